// Uses sync_map through the installed headers and the package's link interface
// (threads): point operations, a range racing with a writer thread, heterogeneous lookup.
#include <syncmap/sync_map.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>

int main() {
    syncmap::sync_map<std::uint64_t, std::uint64_t> m;
    for (std::uint64_t k = 0; k < 1000; ++k) m.store(k, k * 2);

    std::thread writer([&] {
        for (std::uint64_t k = 1000; k < 3000; ++k) m.store(k, k * 2);
    });
    std::uint64_t stable_seen = 0;
    bool values_ok = true;
    m.range([&](std::uint64_t k, std::uint64_t v) {
        if (k < 1000) ++stable_seen;
        values_ok = values_ok && v == k * 2;
    });
    writer.join();

    syncmap::sync_map<std::string, int, syncmap::hash<std::string>, std::equal_to<>> names;
    names.store("syncmap", 1);
    const bool lookup_ok = names.load(std::string_view("syncmap")) == 1;

    const bool ok = stable_seen == 1000 && values_ok && m.size() == 3000 && lookup_ok &&
                    m.load_or_store(5, 0) == std::pair<std::uint64_t, bool>(10, true);
    std::printf("install consumer: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
