// Uses syncmap through the installed headers and nothing else the package does not name:
// built once through find_package(syncmap) (syncmap::syncmap's link interface) and once
// with the flags `pkg-config --cflags --libs syncmap` prints. Includes the umbrella header
// and instantiates every container, so a header needing a library the package does not
// link fails here: point operations, a range racing with a writer thread, heterogeneous
// lookup, a snapshot, go_map, cow_map and read_dirty_map.
#include <syncmap/syncmap.hpp>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>

#if !defined(EXPECTED_SYNCMAP_VERSION)
#error "the consumer is built with the package's version as EXPECTED_SYNCMAP_VERSION"
#endif

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
    auto snap = m.snapshot();
    m.store(5000, 1);
    const bool snapshot_ok = snap.size() == 3000 && !snap.contains(5000);

    syncmap::sync_map<std::string, int, syncmap::hash<std::string>, std::equal_to<>> names;
    names.store("syncmap", 1);
    const bool lookup_ok = names.load(std::string_view("syncmap")) == 1;

    syncmap::go_map<int, int> g;
    for (int k = 0; k < 100; ++k) g[k] = k;
    for (auto it = g.begin(); it != g.end(); ++it) g.erase(it->first);  // erase while iterating (G1)

    syncmap::cow_map<int, int> c;
    c.store(1, 10);
    syncmap::read_dirty_map<int, int> rd;
    rd.store(1, 20);

    const bool ok = stable_seen == 1000 && values_ok && m.size() == 3001 && snapshot_ok && lookup_ok &&
                    m.load_or_store(5, 0) == std::pair<std::uint64_t, bool>(10, true) && g.empty() &&
                    c.load(1) == 10 && rd.load(1) == 20 && SYNCMAP_VERSION == EXPECTED_SYNCMAP_VERSION;
    std::printf("install consumer (syncmap %d.%d.%d): %s\n", SYNCMAP_VERSION_MAJOR, SYNCMAP_VERSION_MINOR,
                SYNCMAP_VERSION_PATCH, ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
