// A tour of syncmap::sync_map: Go's sync.Map API, then a range racing with writers.
//
// The range below runs while three threads insert, overwrite and erase other keys and
// force the table to grow many times. The contract it demonstrates (docs/GUARANTEES.md,
// W1-W4): every key present throughout the range is visited exactly once, with a value it
// really held, and no writer ever waits for the range.
#include <syncmap/sync_map.hpp>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

int main() {
    // ---- Go's sync.Map, method by method ------------------------------------------
    syncmap::sync_map<std::string, int> m;
    m.store("alpha", 1);                                 // m.Store("alpha", 1)
    auto [actual, loaded] = m.load_or_store("alpha", 9);  // m.LoadOrStore("alpha", 9)
    std::printf("load_or_store(alpha, 9) -> (%d, loaded=%s)\n", actual, loaded ? "true" : "false");
    std::optional<int> previous = m.exchange("alpha", 2);  // m.Swap("alpha", 2)
    std::printf("exchange(alpha, 2) -> previous %d\n", previous.value_or(-1));
    bool swapped = m.compare_and_swap("alpha", 2, 3);    // m.CompareAndSwap("alpha", 2, 3)
    std::printf("compare_and_swap(alpha, 2, 3) -> %s, load(alpha) -> %d\n", swapped ? "true" : "false",
                m.load("alpha").value_or(-1));
    m.store("beta", 20);
    m.range([](const std::string& k, int v) {             // m.Range(func(k, v any) bool {...})
        std::printf("  range: %s = %d\n", k.c_str(), v);
        return true;
    });
    std::optional<int> gone = m.load_and_delete("beta");  // m.LoadAndDelete("beta")
    std::printf("load_and_delete(beta) -> %d, size now %zu\n", gone.value_or(-1), m.size());

    // ---- A range racing with writers ----------------------------------------------
    // Keys [0, stable) are present throughout; their value is always key * 7. Writers
    // churn keys >= stable. Every range must see each stable key exactly once.
    constexpr std::uint64_t stable = 10'000;
    syncmap::sync_map<std::uint64_t, std::uint64_t> live;
    for (std::uint64_t k = 0; k < stable; ++k) live.store(k, k * 7);

    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> writes{0};
    std::vector<std::thread> writers;
    for (unsigned t = 0; t < 3; ++t) {
        writers.emplace_back([&, t] {
            std::uint64_t x = 0x9e3779b97f4a7c15ULL * (t + 1);
            while (!stop.load(std::memory_order_relaxed)) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;  // xorshift
                const std::uint64_t k = stable + x % 50'000;
                if (x % 4 == 0) {
                    live.erase(k);
                } else {
                    live.store(k, k * 7);
                }
                writes.fetch_add(1, std::memory_order_relaxed);
            }
        });
    }

    std::uint64_t ranges = 0;
    std::uint64_t violations = 0;
    std::uint64_t visited = 0;
    while (ranges < 30) {
        std::vector<std::uint8_t> seen(stable, 0);
        live.range([&](std::uint64_t k, std::uint64_t v) {
            ++visited;
            if (v != k * 7) ++violations;         // W4: a value the key really held
            if (k < stable && seen[k]++ != 0) ++violations;  // W2: never twice
        });
        for (std::uint8_t s : seen) {
            if (s != 1) ++violations;             // W1: stable keys exactly once
        }
        ++ranges;
    }
    stop.store(true);
    for (auto& w : writers) w.join();

    const auto shape = live.debug_structure();
    std::printf("\n%llu ranges over a map churned by 3 writers (%llu writes meanwhile)\n",
                static_cast<unsigned long long>(ranges), static_cast<unsigned long long>(writes.load()));
    std::printf("entries visited: %llu; violations of W1/W2/W4: %llu\n",
                static_cast<unsigned long long>(visited), static_cast<unsigned long long>(violations));
    std::printf("final shape: %zu entries in %zu leaves, directory 2^%u\n", shape.entries, shape.leaves,
                shape.global_depth);
    return violations == 0 ? 0 : 1;
}
