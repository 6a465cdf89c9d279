// A read-mostly configuration table: syncmap::cow_map (clauses CW1, CW2, S1).
//
// Readers look settings up wait-free, without touching any shared counter, so lookups
// scale with cores. A writer changes several settings at once with update(): readers see
// the map before or after the whole batch, never in between (CW2). Here the writer
// always sets "listen.host" and "listen.port" together, and readers, reading both through
// one snapshot, never see a host from one batch with a port from another.
#include <syncmap/cow_map.hpp>

#include <atomic>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

int main() {
    syncmap::cow_map<std::string, std::string> config;
    config.update([](auto& batch) {
        batch.store("listen.host", "host-0");
        batch.store("listen.port", "port-0");
        batch.store("log.level", "info");
    });

    std::atomic<bool> stop{false};
    std::atomic<long> reads{0}, torn{0};
    std::vector<std::thread> readers;
    for (int r = 0; r < 2; ++r) {
        readers.emplace_back([&] {
            while (!stop.load(std::memory_order_relaxed)) {
                const auto snap = config.snapshot();  // O(1): one reference on the table
                const std::string host = snap.load("listen.host").value_or("?");
                const std::string port = snap.load("listen.port").value_or("?");
                if (host.substr(5) != port.substr(5)) torn.fetch_add(1, std::memory_order_relaxed);
                reads.fetch_add(1, std::memory_order_relaxed);
            }
        });
    }

    for (int i = 1; i <= 2000; ++i) {
        config.update([&](auto& batch) {  // one copy of the table, one publish
            batch.store("listen.host", "host-" + std::to_string(i));
            batch.store("listen.port", "port-" + std::to_string(i));
        });
    }
    stop.store(true);
    for (auto& t : readers) t.join();

    std::printf("2000 batches published while readers made %ld consistent reads\n", reads.load());
    std::printf("reads that mixed two batches: %ld (CW2 says 0)\n", torn.load());
    config.range([](const std::string& k, const std::string& v) { std::printf("  %s = %s\n", k.c_str(), v.c_str()); });
    return torn.load() == 0 && config.load("listen.port") == "port-2000" ? 0 : 1;
}
