// Dumping a map that keeps changing: sync_map::snapshot() (clauses S1, S2, S4).
//
// A writer sweeps keys 0..63 over and over, storing the sweep number g into each key in
// key order. At any instant the map therefore holds g for keys [0, j) and g - 1 for keys
// [j, 64): one step at most. A snapshot is the map at one instant (S1), so every snapshot
// shows that shape, and it never changes afterwards (S2) however far the writer gets. A
// plain range() reads each key at its own instant instead (W4): it may show more steps.
#include <syncmap/sync_map.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <thread>
#include <vector>

constexpr int keys = 64;

// True if values[0..keys) read g...g, g-1...g-1: what the map holds at any one instant.
bool one_instant(const std::vector<std::uint64_t>& values) {
    for (int k = 1; k < keys; ++k)
        if (values[k] > values[k - 1] || values[0] - values[k] > 1) return false;
    return true;
}

int main() {
    syncmap::sync_map<int, std::uint64_t> sweep;
    for (int k = 0; k < keys; ++k) sweep.store(k, 0);

    std::atomic<bool> stop{false};
    std::thread writer([&] {
        for (std::uint64_t g = 1; !stop.load(std::memory_order_relaxed); ++g)
            for (int k = 0; k < keys; ++k) sweep.store(k, g);
    });

    // Start looking once the writer is under way (key 63 is written last in a sweep).
    while (sweep.load(keys - 1).value_or(0) < 2) std::this_thread::yield();

    int torn_snapshots = 0, torn_ranges = 0;
    for (int round = 0; round < 300; ++round) {
        std::vector<std::uint64_t> from_snapshot(keys), from_range(keys);
        {
            const auto snap = sweep.snapshot();  // O(1); must be destroyed before the map
            for (const auto& [k, v] : snap) from_snapshot[k] = v;
        }
        sweep.range([&](int k, std::uint64_t v) { from_range[k] = v; });
        torn_snapshots += !one_instant(from_snapshot);
        torn_ranges += !one_instant(from_range);
    }

    // A snapshot keeps its contents while the writer goes on.
    const auto snap = sweep.snapshot();
    std::vector<std::pair<int, std::uint64_t>> dump(snap.begin(), snap.end());
    std::this_thread::yield();
    bool unchanged = true;
    for (const auto& [k, v] : dump) unchanged = unchanged && snap.load(k) == v;
    stop.store(true);
    writer.join();

    std::sort(dump.begin(), dump.end());
    std::printf("a snapshot of the map, dumped in key order (%zu entries):\n", snap.size());
    for (const auto& [k, v] : dump)
        std::printf("%s%2d=%-7llu%s", k % 8 == 0 ? "  " : "", k, static_cast<unsigned long long>(v), k % 8 == 7 ? "\n" : "");
    std::printf("\nsnapshots showing more than one instant: %d of 300 (S1 says 0)\n", torn_snapshots);
    std::printf("ranges showing more than one instant:    %d of 300 (allowed: a range is weakly consistent)\n",
                torn_ranges);
    std::printf("snapshot unchanged while the writer went on: %s\n", unchanged ? "yes" : "NO");
    return torn_snapshots == 0 && unchanged ? 0 : 1;
}
