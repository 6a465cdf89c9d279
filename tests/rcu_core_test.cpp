// syncmap's RCU (detail/rcu.hpp) on its own: what a grace period waits for and what it
// does not, nesting, retire + barrier, a use-after-free checker under concurrent readers
// and retirers, and thread churn. CTest runs this binary twice: with membarrier, and with
// SYNCMAP_RCU_NO_MEMBARRIER=1 (readers fence themselves), so both orderings are exercised.
//
// Every check is about behaviour. Where a test sleeps, the sleep only makes a broken
// implementation likely to be caught; a slow machine cannot make a correct one fail.
#include <syncmap/detail/rcu.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
namespace rcu = syncmap::detail;

// Waits (yielding) until `pred` holds.
template <class Pred>
void wait_until(Pred pred) {
    while (!pred()) std::this_thread::yield();
}

std::size_t registry_length() {
    std::size_t n = 0;
    for (rcu::rcu_record* r = rcu::rcu_registry.load(std::memory_order_acquire); r != nullptr; r = r->next) ++n;
    return n;
}

// Objects whose destruction is counted.
std::atomic<long> counted_destroyed{0};
struct counted {
    std::uint64_t payload[4] = {};
    ~counted() { counted_destroyed.fetch_add(1, std::memory_order_relaxed); }
};

void retire_counted(std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        rcu::rcu_retire_reserve(1);
        rcu::rcu_retire(new counted);
    }
}

TEST(Rcu, GracePeriodWaitsForAReaderThatEnteredBefore) {
    std::atomic<bool> inside{false}, left{false}, synchronized{false};
    bool left_when_synchronized = false;
    std::thread reader([&] {
        rcu::rcu_reader r;
        inside.store(true);
        std::this_thread::sleep_for(50ms);
        EXPECT_FALSE(synchronized.load()) << "rcu_synchronize returned while a reader that entered before was inside";
        left.store(true);
    });
    wait_until([&] { return inside.load(); });
    rcu::rcu_synchronize();
    left_when_synchronized = left.load();
    synchronized.store(true);
    reader.join();
    EXPECT_TRUE(left_when_synchronized);
}

TEST(Rcu, GracePeriodDoesNotWaitForAReaderThatEnteredAfter) {
    rcu::rcu_barrier();  // the reclaimer runs, nothing is queued
    const std::uint64_t before = rcu::rcu_globals.counter.load();
    std::atomic<bool> synchronized{false};
    std::thread sync([&] {
        rcu::rcu_synchronize();
        synchronized.store(true);
    });
    // Enter only once the grace period has begun (the reclaimer has published a new
    // counter), then stay inside until it ends. If it waited for us, it would never end:
    // after a generous bound we leave anyway and report it.
    wait_until([&] { return rcu::rcu_globals.counter.load() != before; });
    {
        rcu::rcu_reader r;
        const auto give_up = std::chrono::steady_clock::now() + 60s;
        while (!synchronized.load() && std::chrono::steady_clock::now() < give_up) std::this_thread::sleep_for(1ms);
        EXPECT_TRUE(synchronized.load()) << "the grace period waited for a reader that entered after it began";
    }
    sync.join();
}

TEST(Rcu, NestedSectionsEndWithTheOutermost) {
    EXPECT_FALSE(rcu::rcu_read_ongoing());
    std::atomic<bool> inner_left{false}, outer_left{false};
    bool outer_left_when_synchronized = false;
    std::thread reader([&] {
        rcu::rcu_reader outer;
        {
            rcu::rcu_reader inner;
            EXPECT_TRUE(rcu::rcu_read_ongoing());
        }
        EXPECT_TRUE(rcu::rcu_read_ongoing()) << "leaving the inner section left the outer one";
        inner_left.store(true);
        std::this_thread::sleep_for(50ms);
        outer_left.store(true);
    });
    wait_until([&] { return inner_left.load(); });
    rcu::rcu_synchronize();
    outer_left_when_synchronized = outer_left.load();
    reader.join();
    EXPECT_TRUE(outer_left_when_synchronized) << "a grace period ended inside the outer section";
    EXPECT_FALSE(rcu::rcu_read_ongoing());
}

TEST(Rcu, RetireThenBarrierFreesEverything) {
    rcu::rcu_barrier();
    const long before = counted_destroyed.load();
    // Several full batches and a partial one.
    retire_counted(3 * rcu::retire_batch::capacity + 5);
    rcu::rcu_barrier();
    EXPECT_EQ(counted_destroyed.load() - before, static_cast<long>(3 * rcu::retire_batch::capacity + 5));
    EXPECT_EQ(rcu::rcu_pending_bytes.load(), 0);
}

TEST(Rcu, RetireWhileReadingIsFreedOnlyAfterTheSectionEnds) {
    rcu::rcu_barrier();
    const long before = counted_destroyed.load();
    {
        rcu::rcu_reader r;
        retire_counted(2 * rcu::retire_batch::capacity);  // full batches are handed over now
        // Handed over and not freed while this section lasts: counted as pending.
        EXPECT_GE(rcu::rcu_pending_bytes.load(),
                  static_cast<std::int64_t>(2 * rcu::retire_batch::capacity * sizeof(counted)));
        std::this_thread::sleep_for(20ms);
        EXPECT_EQ(counted_destroyed.load(), before) << "freed while the retiring thread was still reading";
    }
    rcu::rcu_barrier();
    EXPECT_EQ(counted_destroyed.load() - before, static_cast<long>(2 * rcu::retire_batch::capacity));
}

struct tree : rcu::rcu_retirable {
    static inline std::atomic<long> destroyed{0};
    std::vector<int> payload = std::vector<int>(100);
    static void destroy_self(rcu::rcu_retirable* p) noexcept {
        delete static_cast<tree*>(p);
        destroyed.fetch_add(1);
    }
};

TEST(Rcu, RetirableObjectsAreFreedByTheBarrier) {
    rcu::rcu_barrier();
    const long before = tree::destroyed.load();
    for (int i = 0; i < 10; ++i) {
        auto* t = new tree;
        t->destroy = &tree::destroy_self;
        t->bytes = sizeof(tree);
        rcu::rcu_retire_object(t);
    }
    rcu::rcu_barrier();
    EXPECT_EQ(tree::destroyed.load() - before, 10);
    EXPECT_EQ(rcu::rcu_pending_bytes.load(), 0);
}

TEST(Rcu, BarrierFreesWhatExitedThreadsRetired) {
    rcu::rcu_barrier();
    const long before = counted_destroyed.load();
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) threads.emplace_back([] { retire_counted(100); });  // partial batches at exit
    for (auto& t : threads) t.join();
    rcu::rcu_barrier();
    EXPECT_EQ(counted_destroyed.load() - before, 400);
}

// Readers check, inside their section, that nothing they reached has been destroyed.
// Destruction poisons the object and parks it in a graveyard (freed at the end), so a
// premature destroy is seen reliably instead of being a use-after-free.
struct checked {
    static constexpr std::uint64_t live = 0x11fe11fe11fe11feULL;
    static constexpr std::uint64_t dead = 0xdeaddeaddeaddeadULL;
    std::atomic<std::uint64_t> magic{live};
    std::uint64_t value = 0;
};

std::mutex graveyard_mutex;
std::vector<checked*> graveyard;

void bury(void* p) noexcept {
    auto* c = static_cast<checked*>(p);
    c->magic.store(checked::dead, std::memory_order_relaxed);
    std::lock_guard<std::mutex> lock(graveyard_mutex);
    graveyard.push_back(c);
}

TEST(Rcu, ConcurrentReadersNeverSeeWhatWasFreed) {
    constexpr std::size_t slots = 64;
    std::vector<std::atomic<checked*>> table(slots);
    for (auto& s : table) s.store(new checked);
    constexpr int readers = 3, writers = 2;
    constexpr long writes_per_writer = 40000;
    std::atomic<int> writers_done{0};
    std::atomic<long> violations{0}, reads{0};

    std::vector<std::thread> threads;
    for (int r = 0; r < readers; ++r) {
        threads.emplace_back([&, r] {
            std::mt19937_64 rng(r);
            long n = 0;
            while (writers_done.load(std::memory_order_relaxed) < writers || n < 1000) {
                rcu::rcu_reader section;
                checked* seen[4];
                for (auto& p : seen) {
                    p = table[rng() % slots].load(std::memory_order_acquire);
                    if (p->magic.load(std::memory_order_relaxed) != checked::live) violations.fetch_add(1);
                }
                if (n % 16 == 0) {
                    rcu::rcu_reader nested;  // nesting must not end the outer section
                }
                for (int spin = 0; spin < 50; ++spin) rcu::rcu_pause();
                for (auto* p : seen)
                    if (p->magic.load(std::memory_order_relaxed) != checked::live) violations.fetch_add(1);
                ++n;
            }
            reads.fetch_add(n);
        });
    }
    for (int w = 0; w < writers; ++w) {
        threads.emplace_back([&, w] {
            std::mt19937_64 rng(100 + w);
            for (long i = 0; i < writes_per_writer; ++i) {
                auto* fresh = new checked;
                fresh->value = static_cast<std::uint64_t>(i);
                rcu::rcu_retire_reserve(1);
                checked* old = table[rng() % slots].exchange(fresh, std::memory_order_acq_rel);
                rcu::rcu_retire(old, &bury, sizeof(checked));
                if (i % 5000 == 0) rcu::rcu_barrier();  // writers may also wait, outside sections
            }
            writers_done.fetch_add(1);
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(violations.load(), 0) << "a reader saw an object destroyed while it was inside its section";
    EXPECT_GT(reads.load(), 0);
    rcu::rcu_barrier();
    {
        std::lock_guard<std::mutex> lock(graveyard_mutex);
        EXPECT_EQ(graveyard.size(), static_cast<std::size_t>(writers * writes_per_writer));
        for (checked* c : graveyard) delete c;
        graveyard.clear();
    }
    for (auto& s : table) delete s.load();
}

TEST(Rcu, ThreadChurnReusesRecordsAndLeaksNothing) {
    rcu::rcu_barrier();
    const long before = counted_destroyed.load();
    constexpr int total = 20000, concurrent = 4;
    for (int done = 0; done < total; done += concurrent) {
        std::thread threads[concurrent];
        for (auto& t : threads) {
            t = std::thread([] {
                { rcu::rcu_reader r; }
                retire_counted(2);
            });
        }
        for (auto& t : threads) t.join();
    }
    rcu::rcu_barrier();
    EXPECT_EQ(counted_destroyed.load() - before, 2L * total);
    // Records of exited threads are reused: the registry holds about as many records as
    // threads ever ran at once (this test's, the other tests', and the main thread's),
    // not one per thread.
    EXPECT_LT(registry_length(), 64u);
}

TEST(Rcu, ThreadLocalDestructorsMayReadAndRetire) {
    // A thread_local constructed *after* the thread's first RCU use is destroyed before the
    // exit handler; one constructed before it, after (see rcu_lifetime_test for that).
    rcu::rcu_barrier();
    const long before = counted_destroyed.load();
    struct late {
        ~late() {
            rcu::rcu_reader r;
            retire_counted(3);
        }
    };
    std::thread t([] {
        retire_counted(1);
        thread_local late l;
        (void)&l;
    });
    t.join();
    rcu::rcu_barrier();
    EXPECT_EQ(counted_destroyed.load() - before, 4);
}

}  // namespace
