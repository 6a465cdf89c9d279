// A small expiring cache on syncmap::sync_map, with the atomic read-modify-write members:
//   - get() loads a missing entry once, however many threads ask at the same time
//     (load_or_compute runs the loader only when the key is absent);
//   - hit() refreshes an entry's deadline atomically (compute);
//   - evict() walks the map (range: never blocks the other threads) and removes an entry
//     only if it is *still* expired when removed (erase_if(key, pred)): an entry that a
//     hit() refreshed after the walk read it survives.
// Time is a logical clock here so that the program checks its own result; exits 1 if a
// check fails.
#include <syncmap/sync_map.hpp>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

struct entry {
    std::string value;
    std::uint64_t expires_at;  // logical time
};

class cache {
public:
    explicit cache(std::uint64_t ttl) : ttl_(ttl) {}

    std::string get(const std::string& key) {
        auto [e, inserted] = map_.load_or_compute(key, [&] {
            loads_.fetch_add(1, std::memory_order_relaxed);
            return entry{"value of " + key, now() + ttl_};  // the expensive load, once per key
        });
        if (!inserted) hit(key);
        return e.value;
    }

    // Pushes the deadline forward, atomically with respect to evict().
    void hit(const std::string& key) {
        map_.compute(key, [&](const entry* current) -> std::optional<entry> {
            if (current == nullptr) return std::nullopt;  // evicted meanwhile: stays absent
            return entry{current->value, now() + ttl_};
        });
    }

    // Removes the entries expired now; returns how many.
    std::size_t evict() {
        const std::uint64_t t = now();
        std::size_t evicted = 0;
        map_.range([&](const std::string& key, const entry& e) {
            if (e.expires_at > t) return;
            // Re-checked under the key's lock: a hit() since the walk read e keeps it.
            if (map_.erase_if(key, [&](const entry& current) { return current.expires_at <= t; })) ++evicted;
        });
        return evicted;
    }

    void tick(std::uint64_t n = 1) { clock_.fetch_add(n, std::memory_order_relaxed); }
    std::uint64_t now() const { return clock_.load(std::memory_order_relaxed); }
    std::size_t size() const { return map_.size(); }
    std::uint64_t loads() const { return loads_.load(std::memory_order_relaxed); }
    bool contains(const std::string& key) const { return map_.contains(key); }

private:
    syncmap::sync_map<std::string, entry> map_;
    std::atomic<std::uint64_t> clock_{0};
    std::atomic<std::uint64_t> loads_{0};
    const std::uint64_t ttl_;
};

int main() {
    cache c(/*ttl=*/10);
    bool ok = true;
    auto check = [&](bool condition, const char* what) {
        std::printf("%-60s %s\n", what, condition ? "ok" : "FAILED");
        ok = ok && condition;
    };

    // Four threads ask for the same 100 keys: each key is loaded exactly once.
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int k = 0; k < 100; ++k) c.get("key" + std::to_string(k));
        });
    }
    for (auto& t : threads) t.join();
    check(c.loads() == 100, "100 keys asked for by 4 threads: loaded once each");

    // Time passes; keys 0-9 are used again, which refreshes their deadline.
    c.tick(8);
    for (int k = 0; k < 10; ++k) c.hit("key" + std::to_string(k));
    c.tick(5);  // now 13: keys 10-99 expired at 10, keys 0-9 expire at 18
    const std::size_t evicted = c.evict();
    check(evicted == 90, "evict() at time 13 removes the 90 keys not used since 0");
    check(c.size() == 10 && c.contains("key3") && !c.contains("key42"), "the 10 refreshed keys remain");

    // An evicted key is loaded again on the next get().
    c.get("key42");
    check(c.loads() == 101, "an evicted key is loaded again");
    return ok ? 0 : 1;
}
