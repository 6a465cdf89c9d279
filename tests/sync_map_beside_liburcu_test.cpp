// syncmap's RCU (detail/rcu.hpp) and liburcu's are independent: an application that uses
// liburcu keeps doing so beside sync_map. Each grace period waits only for its own
// readers: liburcu's synchronize completes while this thread is inside a sync_map range
// (a syncmap read-side section), syncmap's barrier completes while this thread holds a
// liburcu read lock, and both reclaim what was retired to them, with threads using both.
#include <syncmap/sync_map.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace liburcu_side {
void register_thread();
void unregister_thread();
void read_lock();
void read_unlock();
void synchronize();
void retire_one();
void barrier();
int freed_count();
}  // namespace liburcu_side

namespace {

TEST(SyncMapBesideLiburcu, EachGracePeriodWaitsOnlyForItsOwnReaders) {
    liburcu_side::register_thread();
    syncmap::sync_map<std::uint64_t, std::string> m;
    for (std::uint64_t i = 0; i < 2000; ++i) m.store(i, std::to_string(i));

    // Inside a syncmap read-side section: liburcu's grace period completes.
    bool synchronized = false;
    m.range([&](const std::uint64_t&, const std::string&) {
        if (synchronized) return;
        liburcu_side::synchronize();
        synchronized = true;
    });
    EXPECT_TRUE(synchronized);

    // Inside a liburcu read-side section: syncmap writes, retires and waits for its own
    // grace period (which a liburcu reader does not hold up).
    liburcu_side::read_lock();
    for (std::uint64_t i = 0; i < 2000; ++i) m.store(i, "replaced");
    syncmap::detail::rcu_barrier();
    liburcu_side::read_unlock();
    EXPECT_EQ(m.load(7), std::string("replaced"));
    liburcu_side::unregister_thread();
}

TEST(SyncMapBesideLiburcu, ThreadsUsingBothReclaimBoth) {
    syncmap::sync_map<std::uint64_t, std::uint64_t> m;
    const int freed_before = liburcu_side::freed_count();
    constexpr int threads = 3;
    constexpr int rounds = 2000;
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            liburcu_side::register_thread();
            for (int i = 0; i < rounds; ++i) {
                const auto k = static_cast<std::uint64_t>(t * rounds + i);
                liburcu_side::read_lock();
                m.store(k, k);
                (void)m.load(k / 2);
                liburcu_side::read_unlock();
                liburcu_side::retire_one();
                m.compute(k, [](const std::uint64_t* v) -> std::optional<std::uint64_t> { return *v + 1; });
                if (i % 4 == 0) m.erase(k);
            }
            liburcu_side::unregister_thread();
        });
    }
    for (auto& w : workers) w.join();
    liburcu_side::register_thread();
    liburcu_side::barrier();
    liburcu_side::unregister_thread();
    syncmap::detail::rcu_barrier();
    EXPECT_EQ(liburcu_side::freed_count() - freed_before, threads * rounds);
    EXPECT_EQ(m.size(), static_cast<std::size_t>(threads * rounds * 3 / 4));
    EXPECT_EQ(m.load(1), 2u);
}

}  // namespace
