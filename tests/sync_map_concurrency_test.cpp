// Concurrency stress for sync_map, in the style of Go's TestConcurrentRange
// (src/sync/map_test.go): values are derived from keys, so every read can be checked for
// legality without knowing the interleaving, and the key space is partitioned so that each
// traversal can be held to clauses W1-W4 while other threads insert, erase, overwrite and
// grow the map through many leaf splits and directory doublings. Contention tests check
// invariants that hold for every linearizable history (L1): exactly one load_or_store wins
// per key, CAS increments add up, exchange loses no value, a value is deleted once.
//
// The churn test runs on both storages (typed): erased inline slots are never reused, and
// range's duplicate filter holds under erase and re-insert. The last test holds size() to
// its bound while leaves split (typed, both storages).
// Every other test runs with 2, 4 and 8 threads (8 oversubscribes a 2-core machine, which is where
// preempted lock holders and long read-side sections show up). Work is bounded by iteration
// counts, never by wall time, and shrinks under sanitizers.
#include <syncmap/sync_map.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <latch>
#include <mutex>
#include <numeric>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "map_types.hpp"

namespace {

using map_type = syncmap::sync_map<std::uint64_t, std::uint64_t>;

#if defined(SYNCMAP_TSAN)
constexpr std::size_t work_divisor = 8;
#elif defined(__SANITIZE_ADDRESS__)
constexpr std::size_t work_divisor = 4;
#else
constexpr std::size_t work_divisor = 1;
#endif

constexpr std::size_t iterations(std::size_t n) { return std::max<std::size_t>(1, n / work_divisor); }

// Key classes: the low two bits of a key say who may touch it.
enum key_class : std::uint64_t {
    stable = 0,          // stored before the threads start, overwritten but never removed
    churn = 1,           // inserted, erased, re-inserted by exactly one writer (its owner)
    callback_owned = 2,  // inserted and erased from range callbacks by exactly one thread
    never = 3,           // never stored: must never be seen (W3)
};

constexpr std::uint64_t key_of(key_class c, std::uint64_t index) { return index * 4 + c; }
constexpr key_class class_of(std::uint64_t key) { return static_cast<key_class>(key % 4); }
constexpr std::uint64_t index_of(std::uint64_t key) { return key / 4; }

// value = key * 64 + tag, tag < 64 naming the thread that wrote it: a value is legal for a
// key exactly when value / 64 == key.
constexpr std::uint64_t value_of(std::uint64_t key, std::uint64_t tag) { return key * 64 + tag; }
constexpr bool legal(std::uint64_t key, std::uint64_t value) { return value / 64 == key; }
constexpr std::uint64_t callback_tag = 63;

// Collects failures from any thread; the test thread reports them after joining.
class failure_log {
public:
    void add(std::string what) {
        if (count_.fetch_add(1, std::memory_order_relaxed) < 12) {
            std::lock_guard lock(mutex_);
            first_.push_back(std::move(what));
        }
    }
    std::size_t count() const { return count_.load(std::memory_order_relaxed); }
    std::string summary() const {
        std::lock_guard lock(mutex_);
        std::string s;
        for (const auto& f : first_) s += "\n  " + f;
        return s;
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::string> first_;
    std::atomic<std::size_t> count_{0};
};

std::string describe(const char* what, std::uint64_t key, std::optional<std::uint64_t> value = {}) {
    std::string s = std::string(what) + " (key " + std::to_string(key);
    if (value) s += ", value " + std::to_string(*value);
    return s + ")";
}

// Marks keys seen in one traversal; an epoch stamp per index avoids clearing between passes.
class seen_set {
public:
    explicit seen_set(std::size_t n) : stamp_(n, 0) {}
    void next_pass() { ++epoch_; }
    // False if the index was already seen in this pass.
    bool mark(std::size_t index) {
        if (stamp_[index] == epoch_) return false;
        stamp_[index] = epoch_;
        return true;
    }
    std::size_t capacity() const { return stamp_.size(); }

private:
    std::vector<std::uint32_t> stamp_;
    std::uint32_t epoch_ = 0;
};

class SyncMapConcurrency : public ::testing::TestWithParam<unsigned> {};

// Go's TestConcurrentRange, extended. The map starts with a small stable key set and grows
// to `churn_total` keys while traversals run. Writers own disjoint churn keys, so besides
// W1-W4 every writer can check its own point operations exactly. With
// `callbacks_mutate`, range callbacks also overwrite stable keys and insert and erase
// keys of their own (W5 while other threads write too).
void run_range_stress(unsigned threads, bool callbacks_mutate) {
    const std::size_t stable_count = 1024;
    const std::size_t churn_total = iterations(200000);
    const std::size_t callback_keys = 4096;
    const unsigned rangers = std::max(1u, threads / 4);
    const unsigned writers = threads - rangers;

    map_type m;
    for (std::size_t i = 0; i < stable_count; ++i) {
        const std::uint64_t k = key_of(stable, i);
        m.store(k, value_of(k, 0));
    }
    const auto initial = m.debug_structure();

    failure_log log;
    std::latch start(threads);
    std::atomic<unsigned> writers_running{writers};
    std::atomic<std::size_t> passes{0};
    std::vector<std::unordered_map<std::uint64_t, std::uint64_t>> writer_keys(writers);
    std::vector<std::unordered_set<std::uint64_t>> ranger_keys(rangers);

    auto writer = [&](unsigned w) {
        const std::uint64_t tag = w + 1;
        std::mt19937_64 rng(w * 7919 + threads);
        std::unordered_map<std::uint64_t, std::uint64_t>& mine = writer_keys[w];
        std::vector<std::uint64_t> live;
        std::vector<std::uint64_t> erased;
        start.arrive_and_wait();
        std::size_t step = 0;
        for (std::size_t j = w; j < churn_total; j += writers, ++step) {
            // Insert a fresh key of ours, through a different operation each time.
            const std::uint64_t k = key_of(churn, j);
            const std::uint64_t v = value_of(k, tag);
            switch (step % 4) {
                case 0: m.store(k, v); break;
                case 1:
                    if (m.load_or_store(k, v) != std::make_pair(v, false))
                        log.add(describe("load_or_store of a fresh key reported it loaded", k));
                    break;
                case 2:
                    if (auto prev = m.exchange(k, v))
                        log.add(describe("exchange of a fresh key returned a value", k, *prev));
                    break;
                default:
                    if (m.compare_and_swap(k, v, v))
                        log.add(describe("compare_and_swap succeeded on a missing key", k));
                    m.store(k, v);
                    break;
            }
            mine[k] = v;
            live.push_back(k);

            // Overwrite a stable key; it stays present throughout, so every operation
            // that reports the old value must find one, and a legal one.
            const std::uint64_t sk = key_of(stable, rng() % stable_count);
            const std::uint64_t sv = value_of(sk, tag);
            switch (rng() % 4) {
                case 0: m.store(sk, sv); break;
                case 1: {
                    const auto prev = m.exchange(sk, sv);
                    if (!prev || !legal(sk, *prev)) log.add(describe("exchange on a stable key", sk, prev));
                    break;
                }
                case 2: {
                    const auto cur = m.load(sk);
                    if (!cur || !legal(sk, *cur)) {
                        log.add(describe("load of a stable key", sk, cur));
                    } else {
                        m.compare_and_swap(sk, *cur, sv);  // may lose to another writer
                    }
                    break;
                }
                default: {
                    const auto [actual, loaded] = m.load_or_store(sk, sv);
                    if (!loaded || !legal(sk, actual))
                        log.add(describe("load_or_store on a stable key", sk, actual));
                    break;
                }
            }

            // Our own keys read back exactly what we last wrote (L1 with one writer per key).
            if (!live.empty() && (rng() & 1)) {
                const std::uint64_t k2 = live[rng() % live.size()];
                const auto got = m.load(k2);
                if (got != mine[k2]) log.add(describe("load of an owned key", k2, got));
            }
            if (rng() % 8 == 0) {
                const std::uint64_t nk = key_of(never, rng() % churn_total);
                if (m.contains(nk)) log.add(describe("contains found a key never stored", nk));
            }

            // Erase one of ours every third step, through a different operation each time.
            if (step % 3 == 2 && !live.empty()) {
                const std::size_t at = rng() % live.size();
                const std::uint64_t k2 = live[at];
                live[at] = live.back();
                live.pop_back();
                switch (rng() % 3) {
                    case 0:
                        if (!m.erase(k2)) log.add(describe("erase of an owned key returned false", k2));
                        break;
                    case 1: {
                        const auto got = m.load_and_delete(k2);
                        if (got != mine[k2]) log.add(describe("load_and_delete of an owned key", k2, got));
                        break;
                    }
                    default:
                        if (!m.compare_and_delete(k2, mine[k2]))
                            log.add(describe("compare_and_delete of an owned key failed", k2));
                        break;
                }
                mine.erase(k2);
                erased.push_back(k2);
            }
            // Re-insert an erased key every fifth step: erased and re-inserted keys must
            // still come at most once per traversal (W2).
            if (step % 5 == 4 && !erased.empty()) {
                const std::uint64_t k2 = erased.back();
                erased.pop_back();
                if (m.contains(k2)) log.add(describe("an erased owned key is present", k2));
                m.store(k2, value_of(k2, tag));
                mine[k2] = value_of(k2, tag);
                live.push_back(k2);
            }
        }
        writers_running.fetch_sub(1, std::memory_order_release);
    };

    auto ranger = [&](unsigned r) {
        seen_set stable_seen(stable_count);
        seen_set churn_seen(churn_total);
        seen_set callback_seen(callback_keys);
        std::unordered_set<std::uint64_t>& mine = ranger_keys[r];
        std::size_t next_own = r;  // callback-owned indices r, r + rangers, ... are ours
        start.arrive_and_wait();
        bool last = false;
        do {
            // One more pass after the writers finish, on a quiescent map.
            last = writers_running.load(std::memory_order_acquire) == 0;
            stable_seen.next_pass();
            churn_seen.next_pass();
            callback_seen.next_pass();
            std::size_t stable_hits = 0;
            m.range([&](const std::uint64_t& k, const std::uint64_t& v) {
                if (!legal(k, v)) log.add(describe("W4: range yielded an illegal value", k, v));
                const std::uint64_t i = index_of(k);
                bool fresh = true;
                switch (class_of(k)) {
                    case stable:
                        if (i >= stable_count) {
                            log.add(describe("W3: range yielded a key never stored", k));
                            return;
                        }
                        fresh = stable_seen.mark(i);
                        if (fresh) ++stable_hits;
                        break;
                    case churn:
                        if (i >= churn_total) {
                            log.add(describe("W3: range yielded a key never stored", k));
                            return;
                        }
                        fresh = churn_seen.mark(i);
                        break;
                    case callback_owned:
                        if (i >= callback_keys) {
                            log.add(describe("W3: range yielded a key never stored", k));
                            return;
                        }
                        fresh = callback_seen.mark(i);
                        break;
                    case never:
                        log.add(describe("W3: range yielded a key never stored", k));
                        return;
                }
                if (!fresh) log.add(describe("W2: range yielded a key twice", k));
                if (!callbacks_mutate) return;

                // W5 while other threads write: call back into the map.
                if (class_of(k) == stable) {
                    if (stable_hits % 3 == 0) {
                        m.store(k, value_of(k, callback_tag));
                    } else {
                        const auto got = m.load(k);
                        if (!got || !legal(k, *got)) log.add(describe("load of a stable key in a callback", k, got));
                    }
                    if (stable_hits % 16 == 0) {
                        // Insert a key of ours; it may or may not be yielded later in this pass.
                        const std::uint64_t ck = key_of(callback_owned, next_own);
                        next_own = (next_own + rangers) % callback_keys;
                        if (mine.insert(ck).second) m.store(ck, value_of(ck, callback_tag));
                    }
                } else if (class_of(k) == churn) {
                    const auto got = m.load(k);
                    if (got && !legal(k, *got)) log.add(describe("load of a churn key in a callback", k, got));
                } else if (class_of(k) == callback_owned && mine.count(k)) {
                    // Erase our own key from its callback: only we touch it, so it is there.
                    if (!m.erase(k)) log.add(describe("erase of a callback-owned key returned false", k));
                    mine.erase(k);
                }
            });
            if (stable_hits != stable_count) {
                log.add("W1: a pass yielded " + std::to_string(stable_hits) + " of " +
                        std::to_string(stable_count) + " stable keys");
            }
            passes.fetch_add(1, std::memory_order_relaxed);
        } while (!last);
    };

    std::vector<std::thread> pool;
    for (unsigned w = 0; w < writers; ++w) pool.emplace_back(writer, w);
    for (unsigned r = 0; r < rangers; ++r) pool.emplace_back(ranger, r);
    for (auto& t : pool) t.join();

    ASSERT_EQ(log.count(), 0u) << log.summary();
    EXPECT_GE(passes.load(), rangers);

    // Quiescent: the exact final contents are known.
    std::unordered_map<std::uint64_t, std::uint64_t> expected;
    for (const auto& mine : writer_keys) expected.insert(mine.begin(), mine.end());
    for (const auto& mine : ranger_keys) {
        for (std::uint64_t k : mine) expected.emplace(k, value_of(k, callback_tag));
    }
    std::size_t yielded = 0;
    std::size_t stable_seen = 0;
    m.range([&](std::uint64_t k, std::uint64_t v) {
        ++yielded;
        if (class_of(k) == stable) {
            ++stable_seen;
            EXPECT_TRUE(legal(k, v)) << k;
        } else {
            auto it = expected.find(k);
            ASSERT_NE(it, expected.end()) << "key " << k << " should be absent";
            EXPECT_EQ(it->second, v) << "key " << k;
        }
    });
    EXPECT_EQ(stable_seen, stable_count);
    EXPECT_EQ(yielded, stable_count + expected.size());
    EXPECT_EQ(m.size(), stable_count + expected.size());
    for (const auto& [k, v] : expected) ASSERT_EQ(m.load(k), v) << "key " << k;
    const auto final_structure = m.debug_structure();
    EXPECT_EQ(final_structure.entries, m.size());
    // The traversals really did run across leaf splits and directory doublings.
    EXPECT_GT(final_structure.global_depth, initial.global_depth);
    EXPECT_GT(final_structure.leaves, initial.leaves);
}

TEST_P(SyncMapConcurrency, RangeWhileWritersGrowTheMap) { run_range_stress(GetParam(), false); }

TEST_P(SyncMapConcurrency, MutatingRangeCallbacksWhileWritersGrowTheMap) {
    run_range_stress(GetParam(), true);
}

// clear() racing with writers and traversals. Nothing is present throughout, so W1 does not
// apply; W2-W4 do, and every point read must return a legal value or nothing.
TEST_P(SyncMapConcurrency, RangeWhileClearing) {
    const unsigned threads = GetParam();
    const std::size_t key_count = 20000;
    const std::size_t steps = iterations(60000);
    map_type m;
    failure_log log;
    std::latch start(threads);
    std::atomic<unsigned> writers_running{threads - 1};

    auto writer = [&](unsigned w) {
        std::mt19937_64 rng(w + 101);
        start.arrive_and_wait();
        for (std::size_t s = 0; s < steps; ++s) {
            const std::uint64_t k = key_of(churn, rng() % key_count);
            if (w == 0 && s % 4096 == 4095) {
                m.clear();
            } else if (rng() % 4 == 0) {
                m.erase(k);
            } else if (rng() % 2) {
                m.store(k, value_of(k, w + 1));
            } else {
                const auto got = m.load(k);
                if (got && !legal(k, *got)) log.add(describe("load returned an illegal value", k, got));
            }
        }
        writers_running.fetch_sub(1, std::memory_order_release);
    };
    auto ranger = [&] {
        seen_set seen(key_count);
        start.arrive_and_wait();
        bool last = false;
        do {
            last = writers_running.load(std::memory_order_acquire) == 0;
            seen.next_pass();
            std::size_t calls = 0;
            m.range([&](std::uint64_t k, std::uint64_t v) {
                ++calls;
                if (!legal(k, v)) log.add(describe("W4: illegal value", k, v));
                if (class_of(k) != churn || index_of(k) >= key_count) {
                    log.add(describe("W3: a key never stored", k));
                } else if (!seen.mark(index_of(k))) {
                    log.add(describe("W2: a key yielded twice", k));
                }
            });
            if (calls > key_count) log.add("a pass yielded more calls than there are keys");
        } while (!last);
    };

    std::vector<std::thread> pool;
    for (unsigned w = 0; w + 1 < threads; ++w) pool.emplace_back(writer, w);
    pool.emplace_back(ranger);
    for (auto& t : pool) t.join();
    ASSERT_EQ(log.count(), 0u) << log.summary();

    std::size_t yielded = 0;
    m.range([&](std::uint64_t k, std::uint64_t v) {
        ++yielded;
        EXPECT_TRUE(legal(k, v));
        EXPECT_EQ(m.load(k), v);
    });
    EXPECT_EQ(m.size(), yielded);
    EXPECT_EQ(m.debug_structure().entries, yielded);
    m.clear();
    EXPECT_TRUE(m.empty());
}

// Every thread calls load_or_store on every key, in its own order. Per key exactly one
// call stores (loaded == false), and every call returns the winner's value.
TEST_P(SyncMapConcurrency, LoadOrStoreHasExactlyOneWinnerPerKey) {
    const unsigned threads = GetParam();
    const std::size_t keys = iterations(8192);
    const unsigned rounds = 4;
    map_type m;
    for (unsigned round = 0; round < rounds; ++round) {
        std::vector<std::vector<std::pair<std::uint64_t, bool>>> results(
            threads, std::vector<std::pair<std::uint64_t, bool>>(keys));
        std::latch start(threads);
        std::vector<std::thread> pool;
        for (unsigned t = 0; t < threads; ++t) {
            pool.emplace_back([&, t] {
                std::vector<std::size_t> order(keys);
                std::iota(order.begin(), order.end(), 0);
                // Half the threads go in the same order (contention on the same leaf),
                // half shuffled.
                if (t % 2) std::shuffle(order.begin(), order.end(), std::mt19937_64(t + round * 31));
                start.arrive_and_wait();
                for (std::size_t i : order) {
                    const std::uint64_t k = key_of(churn, i);
                    results[t][i] = m.load_or_store(k, value_of(k, t));
                }
            });
        }
        for (auto& t : pool) t.join();
        for (std::size_t i = 0; i < keys; ++i) {
            const std::uint64_t k = key_of(churn, i);
            const auto stored = m.load(k);
            ASSERT_TRUE(stored.has_value()) << k;
            unsigned winners = 0;
            for (unsigned t = 0; t < threads; ++t) {
                const auto [actual, loaded] = results[t][i];
                ASSERT_EQ(actual, *stored) << "thread " << t << ", key " << k;
                if (!loaded) {
                    ++winners;
                    EXPECT_EQ(actual, value_of(k, t)) << "the winner stored its own value";
                }
            }
            ASSERT_EQ(winners, 1u) << "key " << k;
        }
        EXPECT_EQ(m.size(), keys);
        m.clear();
    }
}

// Counters incremented through load + compare_and_swap loops: no increment is lost or
// duplicated, so each counter ends at exactly the number of successful CASes on it.
TEST_P(SyncMapConcurrency, CompareAndSwapIncrementsAddUp) {
    const unsigned threads = GetParam();
    const std::size_t counters = 8;  // few keys: heavy contention on each
    const std::size_t increments = iterations(20000);
    map_type m;
    for (std::size_t c = 0; c < counters; ++c) m.store(c, 0);
    std::vector<std::vector<std::uint64_t>> done(threads, std::vector<std::uint64_t>(counters, 0));
    std::latch start(threads);
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            std::mt19937_64 rng(t + 1);
            start.arrive_and_wait();
            for (std::size_t i = 0; i < increments; ++i) {
                const std::uint64_t c = rng() % counters;
                for (;;) {
                    const auto cur = m.load(c);
                    if (!cur) break;  // never happens: checked below through the totals
                    if (m.compare_and_swap(c, *cur, *cur + 1)) {
                        ++done[t][c];
                        break;
                    }
                }
            }
        });
    }
    for (auto& t : pool) t.join();
    std::uint64_t total = 0;
    for (std::size_t c = 0; c < counters; ++c) {
        std::uint64_t expected = 0;
        for (unsigned t = 0; t < threads; ++t) expected += done[t][c];
        EXPECT_EQ(m.load(c), expected) << "counter " << c;
        total += expected;
    }
    EXPECT_EQ(total, threads * increments);
}

// Every thread exchanges unique tokens into a few keys and keeps what it gets back. Per
// key, the values handed back plus the final value are exactly the tokens put in, each once,
// and exactly one exchange found the key absent.
TEST_P(SyncMapConcurrency, ExchangeLosesNoValue) {
    const unsigned threads = GetParam();
    const std::size_t keys = 4;
    const std::size_t per_thread = iterations(20000);
    map_type m;
    std::vector<std::vector<std::optional<std::uint64_t>>> returned(threads);
    std::latch start(threads);
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            returned[t].reserve(per_thread);
            start.arrive_and_wait();
            for (std::size_t i = 0; i < per_thread; ++i) {
                const std::uint64_t token = (std::uint64_t{t} << 32) | i;
                returned[t].push_back(m.exchange(i % keys, token));
            }
        });
    }
    for (auto& t : pool) t.join();
    for (std::uint64_t k = 0; k < keys; ++k) {
        std::vector<std::uint64_t> out;
        std::size_t absent = 0;
        for (unsigned t = 0; t < threads; ++t) {
            for (std::size_t i = k; i < per_thread; i += keys) {
                if (returned[t][i]) {
                    out.push_back(*returned[t][i]);
                } else {
                    ++absent;
                }
            }
        }
        const auto final_value = m.load(k);
        ASSERT_TRUE(final_value.has_value());
        out.push_back(*final_value);
        EXPECT_EQ(absent, 1u) << "key " << k;
        std::vector<std::uint64_t> in;
        for (unsigned t = 0; t < threads; ++t) {
            for (std::size_t i = k; i < per_thread; i += keys) in.push_back((std::uint64_t{t} << 32) | i);
        }
        std::sort(out.begin(), out.end());
        std::sort(in.begin(), in.end());
        EXPECT_TRUE(out == in) << "key " << k << ": a token was lost or duplicated";
    }
}

// Threads race to delete the same keys, half through load_and_delete, half through
// compare_and_delete with the stored value: per key and round, exactly one succeeds, and
// load_and_delete hands back the stored value.
TEST_P(SyncMapConcurrency, EachValueIsDeletedOnce) {
    const unsigned threads = GetParam();
    const std::size_t keys = iterations(4096);
    const unsigned rounds = 6;
    map_type m;
    for (unsigned round = 0; round < rounds; ++round) {
        for (std::size_t i = 0; i < keys; ++i) m.store(key_of(churn, i), value_of(key_of(churn, i), round));
        std::vector<std::vector<std::uint8_t>> won(threads, std::vector<std::uint8_t>(keys, 0));
        failure_log log;
        std::latch start(threads);
        std::vector<std::thread> pool;
        for (unsigned t = 0; t < threads; ++t) {
            pool.emplace_back([&, t] {
                start.arrive_and_wait();
                for (std::size_t n = 0; n < keys; ++n) {
                    const std::size_t i = (t % 2) ? n : keys - 1 - n;
                    const std::uint64_t k = key_of(churn, i);
                    const std::uint64_t v = value_of(k, round);
                    if ((t + i) % 2) {
                        if (const auto got = m.load_and_delete(k)) {
                            won[t][i] = 1;
                            if (*got != v) log.add(describe("load_and_delete returned a wrong value", k, got));
                        }
                    } else if (m.compare_and_delete(k, v)) {
                        won[t][i] = 1;
                    }
                }
            });
        }
        for (auto& t : pool) t.join();
        ASSERT_EQ(log.count(), 0u) << log.summary();
        for (std::size_t i = 0; i < keys; ++i) {
            unsigned winners = 0;
            for (unsigned t = 0; t < threads; ++t) winners += won[t][i];
            ASSERT_EQ(winners, 1u) << "round " << round << ", key " << key_of(churn, i);
        }
        EXPECT_TRUE(m.empty());
    }
}

// Stores and erases of the same few keys from every thread, with readers checking that a
// load returns a legal value or nothing, and a final quiescent check that size, range and
// the structure agree.
TEST_P(SyncMapConcurrency, HotKeysStoreEraseLoad) {
    const unsigned threads = GetParam();
    const std::size_t steps = iterations(100000);
    const std::size_t hot = 64;
    map_type m;
    failure_log log;
    std::latch start(threads);
    std::vector<std::thread> pool;
    for (unsigned t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            std::mt19937_64 rng(t + 11);
            start.arrive_and_wait();
            for (std::size_t s = 0; s < steps; ++s) {
                const std::uint64_t k = key_of(churn, rng() % hot);
                switch (rng() % 6) {
                    case 0: m.store(k, value_of(k, t)); break;
                    case 1: m.erase(k); break;
                    case 2: {
                        const auto got = m.exchange(k, value_of(k, t));
                        if (got && !legal(k, *got)) log.add(describe("exchange returned an illegal value", k, got));
                        break;
                    }
                    case 3: {
                        const auto got = m.load_and_delete(k);
                        if (got && !legal(k, *got)) log.add(describe("load_and_delete: illegal value", k, got));
                        break;
                    }
                    default: {
                        const auto got = m.load(k);
                        if (got && !legal(k, *got)) log.add(describe("load returned an illegal value", k, got));
                        std::uint64_t seen = 0;
                        if (m.visit(k, [&](const std::uint64_t& v) { seen = v; }) && !legal(k, seen))
                            log.add(describe("visit saw an illegal value", k, seen));
                        break;
                    }
                }
            }
        });
    }
    for (auto& t : pool) t.join();
    ASSERT_EQ(log.count(), 0u) << log.summary();
    std::size_t yielded = 0;
    m.range([&](std::uint64_t k, std::uint64_t v) {
        ++yielded;
        EXPECT_TRUE(legal(k, v));
        EXPECT_EQ(m.load(k), v);
    });
    EXPECT_EQ(m.size(), yielded);
    EXPECT_EQ(m.debug_structure().entries, yielded);
}

INSTANTIATE_TEST_SUITE_P(Threads, SyncMapConcurrency, ::testing::Values(2u, 4u, 8u),
                         [](const ::testing::TestParamInfo<unsigned>& info) {
                             return std::to_string(info.param) + "_threads";
                         });

// ---- Erased slots and the duplicate filter under churn ---------------------------------------
//
// Inline storage writes a key into a slot once; an erase only marks the slot deleted, and
// the slot is not reused until its leaf is rebuilt, so a reader that matched a key can never
// read another key's value from that slot. A key erased and re-inserted while a range reads
// its leaf lands in a new slot: the range may meet it in both, and must yield it once.
// Writers erase and re-insert a small set of keys as fast as they can (leaves fill with
// deleted slots and are rebuilt over and over) while readers load and range: every value
// must be legal for its key (value = f(key): key * 64 + tag, and the small struct's check
// byte catches a value mixed from two writes), every key at most once per range, and the
// keys that are only ever overwritten, never erased, exactly once (W1). Run on both inline
// key and value kinds, and on node storage for comparison.
template <class Map>
class SyncMapChurn : public ::testing::Test {};
using churn_maps = ::testing::Types<map_type,
                                    syncmap::sync_map<syncmap_test::small_key, syncmap_test::small_value>,
                                    syncmap::sync_map<std::uint64_t, std::uint64_t, syncmap::hash<std::uint64_t>,
                                                      std::equal_to<std::uint64_t>, syncmap::storage::nodes>>;
TYPED_TEST_SUITE(SyncMapChurn, churn_maps, syncmap_test::map_type_names);

TYPED_TEST(SyncMapChurn, ReadersNeverSeeAnotherKeysValueNorAKeyTwice) {
    using Map = TypeParam;
    using K = typename Map::key_type;
    using V = typename Map::mapped_type;
    using syncmap_test::id_of;
    using syncmap_test::make;
    constexpr std::uint64_t stable_keys = 64;  // ids 0 .. 63: overwritten, never erased
    constexpr std::uint64_t churn_keys = 192;  // ids 64 .. 255: erased and re-inserted
    constexpr std::uint64_t all_keys = stable_keys + churn_keys;
    constexpr unsigned writers = 2, readers = 2;  // each reader ranges, then loads
    const std::size_t ops = iterations(600000);
    Map m;
    for (std::uint64_t k = 0; k < all_keys; ++k) m.store(make<K>(k), make<V>(value_of(k, 0)));
    failure_log log;
    std::atomic<unsigned> writing{writers};
    std::atomic<std::size_t> ranges{0}, loads{0};
    // Reads a value and checks it against its key; a torn small_value throws from id_of.
    auto check = [&](const char* what, std::uint64_t k, const V& v) {
        std::uint64_t id = 0;
        try {
            id = id_of(v);
        } catch (const std::exception&) {
            log.add(describe((std::string(what) + ": a torn value").c_str(), k));
            return;
        }
        if (!legal(k, id)) log.add(describe((std::string(what) + ": another key's value").c_str(), k, id));
    };
    std::latch start(writers + readers);
    std::vector<std::thread> pool;
    std::atomic<std::uint64_t> churn_present{0};
    for (unsigned w = 0; w < writers; ++w) {
        pool.emplace_back([&, w] {
            std::mt19937_64 rng(0xc4u + w);
            // This writer's churn keys: ids stable_keys + 2 i + w. An erase is followed by
            // the same key's re-insertion (it lands in a new slot: the duplicate filter's
            // case) or by another key's insertion (which would land in the erased slot if
            // slots were reused: another key's value behind a matched key).
            constexpr std::uint64_t mine = churn_keys / 2;
            std::vector<bool> present(mine, true);
            auto id = [&](std::uint64_t i) { return stable_keys + 2 * i + w; };
            start.arrive_and_wait();
            for (std::size_t n = 0; n < ops; ++n) {
                const std::uint64_t tag = 1 + w * 8 + rng() % 8;
                if (rng() % 8 == 0) {
                    const std::uint64_t k = rng() % stable_keys;
                    m.store(make<K>(k), make<V>(value_of(k, tag)));
                    continue;
                }
                const std::uint64_t i = rng() % mine;
                if (!present[i]) {
                    m.store(make<K>(id(i)), make<V>(value_of(id(i), tag)));
                    present[i] = true;
                    continue;
                }
                m.erase(make<K>(id(i)));
                present[i] = false;
                if (rng() % 2 == 0) {
                    m.store(make<K>(id(i)), make<V>(value_of(id(i), tag)));
                    present[i] = true;
                } else if (const std::uint64_t j = rng() % mine; !present[j]) {
                    m.store(make<K>(id(j)), make<V>(value_of(id(j), tag)));
                    present[j] = true;
                }
            }
            churn_present.fetch_add(static_cast<std::uint64_t>(std::count(present.begin(), present.end(), true)));
            writing.fetch_sub(1);
        });
    }
    for (unsigned r = 0; r < readers; ++r) {
        pool.emplace_back([&, r] {
            std::mt19937_64 rng(0x5eedu + r);
            std::vector<unsigned> times(all_keys);
            start.arrive_and_wait();
            while (writing.load() > 0) {
                std::fill(times.begin(), times.end(), 0u);
                m.range([&](const K& key, const V& v) {
                    const std::uint64_t k = id_of(key);
                    if (k >= all_keys) {
                        log.add(describe("range yielded a key never stored", k));
                        return;
                    }
                    if (++times[k] == 2) log.add(describe("range yielded a key twice", k));
                    check("range", k, v);
                });
                for (std::uint64_t k = 0; k < stable_keys; ++k) {
                    if (times[k] != 1) log.add(describe("range missed a key present throughout", k));
                }
                ranges.fetch_add(1, std::memory_order_relaxed);
                for (int i = 0; i < 64; ++i) {
                    const std::uint64_t k = rng() % all_keys;
                    if (const auto got = m.load(make<K>(k))) check("load", k, *got);
                    m.visit(make<K>(k), [&](const V& v) { check("visit", k, v); });
                }
                loads.fetch_add(64, std::memory_order_relaxed);
            }
        });
    }
    for (auto& t : pool) t.join();
    EXPECT_EQ(log.count(), 0u) << log.summary();
    EXPECT_GT(ranges.load(), 0u);
    EXPECT_GT(loads.load(), 0u);
    EXPECT_EQ(m.size(), stable_keys + churn_present.load());
    if constexpr (Map::inline_storage) {
        EXPECT_GT(m.stats().leaf_rebuilds, 0u) << "the churn rebuilt no leaf: erased slots were never reclaimed";
    }
}

// ---- size() under concurrent splits ----------------------------------------------------------
//
// size()'s bound (docs/GUARANTEES.md): at least the keys present throughout the call, at
// most the keys present at some instant of it. A writer inserts fresh keys (the map splits
// leaves over and over) and erases some of them again, counting each operation before it
// starts and after it returns; a sizer thread calls size() and debug_structure() meanwhile.
// Keys inserted before the call began and whose erase had not started by its end were
// present throughout; at most the keys whose insert had started by its end, less those
// whose erase had finished before it began, were present at some instant. A walk that
// counts a hash interval twice while a split rewrites the directory
// (directory::for_each_leaf) breaks the upper bound; one that misses an interval, the
// lower; and debug_structure's walk must span the directory exactly.
//
// A split rewrites 2^(global depth - leaf depth) entries, so a walk has the longest window
// between the halves when shallow leaves split under a deep directory, and the shortest
// walks when there are few leaves. So each round first stores keys of one 4096th of the
// hash space (top twelve bits set), which split the root again and again down to a leaf
// of depth 12: a directory of 4096 entries over 13 leaves, most of them shallow and empty.
// The writer then inserts into the rest, where those leaves split while spanning up to
// 2048 entries. Eight short rounds, as the widest splits come first. One writer and the
// sizer: one thread per core of a 2-core machine; each waits only for the other's progress
// (the sizer makes at most 64 calls per 16 inserts, the writer waits for one call per 16).
// The planted bug of split_publication_test (lower half published first) shows here in
// 9 runs of this test in 20 (measured; 0 in 20 without it): this checks the bound under
// real concurrency, the deterministic test is the one that always catches the order.
//
// Memory orders: the writer bumps `started` (relaxed), then a seq_cst fence, then writes;
// the sizer reads the map, then a seq_cst fence, then `started`: if the read saw the write,
// the fences order the bump before the load ([atomics.fences]). `done` is a release bump
// after the write, read with acquire before the call: the write happens before the read.
template <class Map>
class SyncMapSizeBound : public ::testing::Test {};
using size_maps = ::testing::Types<map_type, syncmap::sync_map<std::uint64_t, std::uint64_t, syncmap::hash<std::uint64_t>,
                                                               std::equal_to<std::uint64_t>, syncmap::storage::nodes>>;
TYPED_TEST_SUITE(SyncMapSizeBound, size_maps, syncmap_test::map_type_names);

struct size_round {
    std::size_t calls = 0;
    std::uint64_t splits = 0;
};

template <class Map>
size_round size_bound_round(std::uint64_t inserts, failure_log& log) {
    std::atomic<std::uint64_t> inserts_started{0}, inserts_done{0}, erases_started{0}, erases_done{0};
    Map m;
    const auto hot = [&](std::uint64_t k) {
        return (syncmap::detail::seeded_hash(m.hash_function(), k, m.seed()) >> 52) == 0xfff;
    };
    std::uint64_t preloaded = 0;
    for (std::uint64_t k = std::uint64_t{1} << 40; m.stats().directory_growths < 12; ++k) {
        if (!hot(k)) continue;
        m.store(k, value_of(k, 0));
        ++preloaded;
    }
    std::vector<std::uint64_t> keys;  // the writer's keys, outside the hot 4096th
    for (std::uint64_t k = 0; keys.size() < inserts; ++k) {
        if (!hot(k)) keys.push_back(k);
    }
    std::atomic<bool> writing{true};
    std::atomic<std::size_t> calls{0};
    std::latch start(2);
    std::thread writer([&] {
        start.arrive_and_wait();
        std::size_t seen_calls = 0;
        for (std::uint64_t i = 0; i < inserts; ++i) {
            if (i % 16 == 0) {
                for (unsigned spin = 0; calls.load(std::memory_order_relaxed) == seen_calls; ++spin) {
                    if (spin >= 1024) std::this_thread::yield();
                }
                seen_calls = calls.load(std::memory_order_relaxed);
            }
            inserts_started.fetch_add(1, std::memory_order_relaxed);
            std::atomic_thread_fence(std::memory_order_seq_cst);
            m.store(keys[i], value_of(keys[i], 1));
            inserts_done.fetch_add(1, std::memory_order_release);
            if (i % 4 == 3) {  // erase a key inserted a little earlier
                erases_started.fetch_add(1, std::memory_order_relaxed);
                std::atomic_thread_fence(std::memory_order_seq_cst);
                if (!m.erase(keys[i - 3])) log.add(describe("a key was gone before its erase", keys[i - 3]));
                erases_done.fetch_add(1, std::memory_order_release);
            }
        }
        writing.store(false, std::memory_order_release);
    });
    start.arrive_and_wait();
    std::uint64_t batch = 0;
    unsigned calls_in_batch = 0;
    while (writing.load(std::memory_order_acquire)) {
        const std::uint64_t started = inserts_started.load(std::memory_order_relaxed);
        if (started / 16 != batch) {
            batch = started / 16;
            calls_in_batch = 0;
        } else if (calls_in_batch >= 64) {
            std::this_thread::yield();
            continue;
        }
        ++calls_in_batch;
        const std::uint64_t inserted_before = inserts_done.load(std::memory_order_acquire);
        const std::uint64_t erased_before = erases_done.load(std::memory_order_acquire);
        const bool structure = calls.load(std::memory_order_relaxed) % 16 == 0;  // O(capacity)
        const std::size_t n = m.size();
        std::optional<typename Map::structure_info> shape;
        if (structure) shape = m.debug_structure();
        std::atomic_thread_fence(std::memory_order_seq_cst);
        const std::uint64_t insert_begun_after = inserts_started.load(std::memory_order_relaxed);
        const std::uint64_t erase_begun_after = erases_started.load(std::memory_order_relaxed);
        // Present throughout (erases begun meanwhile may exceed the inserts done before:
        // then nothing is known to be), and present at some instant.
        const auto lo = static_cast<std::int64_t>(preloaded + inserted_before) - static_cast<std::int64_t>(erase_begun_after);
        const auto hi = static_cast<std::int64_t>(preloaded + insert_begun_after) - static_cast<std::int64_t>(erased_before);
        auto check = [&](const char* what, std::size_t got) {
            if (static_cast<std::int64_t>(got) < lo || static_cast<std::int64_t>(got) > hi) {
                log.add(std::string(what) + " " + std::to_string(got) + " outside [" + std::to_string(lo) + ", " +
                        std::to_string(hi) + "]");
            }
        };
        check("size()", n);
        if (shape) {
            check("debug_structure().entries", shape->entries);
            if (shape->entries_walked != std::size_t{1} << shape->global_depth) {
                log.add("debug_structure() walked " + std::to_string(shape->entries_walked) + " directory entries of " +
                        std::to_string(std::size_t{1} << shape->global_depth));
            }
        }
        calls.fetch_add(1, std::memory_order_relaxed);
    }
    writer.join();
    EXPECT_EQ(m.size(), preloaded + inserts - inserts / 4);
    return {calls.load(), m.stats().leaf_splits};
}

TYPED_TEST(SyncMapSizeBound, SizeStaysWithinItsBoundWhileLeavesSplit) {
    failure_log log;
    size_round total;
    for (int round = 0; round < 8; ++round) {
        const size_round r = size_bound_round<TypeParam>(iterations(4000), log);
        EXPECT_GT(r.calls, 0u);
        EXPECT_GT(r.splits, 12u);  // the 12 of the preload, and the writer's
        total.calls += r.calls;
        total.splits += r.splits;
    }
    EXPECT_EQ(log.count(), 0u) << log.summary();
    std::printf("[ size bound ] %zu size() calls during %llu splits\n", total.calls,
                static_cast<unsigned long long>(total.splits));
}

}  // namespace
