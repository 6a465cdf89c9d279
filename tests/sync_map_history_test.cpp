// Clauses S1 and C2 checked on recorded concurrent histories (tests/history_checkers.hpp):
//   - S1: writer threads store, erase and clear while a thread takes thousands of
//     snapshots; every snapshot must be explained by one instant within its snapshot()
//     call. The snapshots are read while the writers run and re-read later (S2).
//   - C2: full passes made of scan calls with random chunk sizes and pauses, while writers
//     insert, erase, overwrite and clear (splits, directory doublings, shrink to one leaf),
//     and while the scanning thread itself writes from its callbacks; each pass must meet
//     W1-W4 over [first call start, last call end]. Some passes begin as a range() cut short
//     by a std::stop_token and end as scans, checked as one pass.
// Both concurrent checks run on both storages (inline and node entries, typed tests).
// The checker's own tests come first: hand-made histories with a known answer, and real
// recorded histories made wrong on purpose, which it must reject.
//
// Work is bounded by iteration counts and shrinks under sanitizers: each writer runs a fixed
// number of operations, and the observing thread snapshots (or makes passes) while they run,
// at least a minimum and at most a maximum number of times; the two sides keep pace with each
// other (class crew) so that observations overlap writes however the cores are shared.
#include <syncmap/sync_map.hpp>

#include <gtest/gtest.h>

#include "history_checkers.hpp"
#include "map_types.hpp"
#include "sync_map_types.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <iterator>
#include <latch>
#include <limits>
#include <random>
#include <stop_token>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace {

namespace h = syncmap_test::history;
using map_type = syncmap::sync_map<std::uint64_t, std::uint64_t>;
using syncmap_test::id_of;
using syncmap_test::make;

// The concurrent checks run on both storages: uint64 inline (storage::automatic), uint64
// forced into nodes, and a small struct key and value inline (map_types.hpp). The checker
// works on numbers: keys and values go through syncmap_test::codec.
using syncmap_test::u64_nodes_map;
using small_map = syncmap::sync_map<syncmap_test::small_key, syncmap_test::small_value>;
using history_maps = ::testing::Types<map_type, u64_nodes_map, small_map>;

template <class Map>
class SnapshotHistory : public ::testing::Test {};
TYPED_TEST_SUITE(SnapshotHistory, history_maps, syncmap_test::map_type_names);
template <class Map>
class ScanHistory : public ::testing::Test {};
TYPED_TEST_SUITE(ScanHistory, history_maps, syncmap_test::map_type_names);

#if defined(SYNCMAP_TSAN)
constexpr std::size_t work_divisor = 8;
#elif defined(__SANITIZE_ADDRESS__)
constexpr std::size_t work_divisor = 4;
#else
constexpr std::size_t work_divisor = 1;
#endif

constexpr std::size_t iterations(std::size_t n) { return std::max<std::size_t>(1, n / work_divisor); }

// uint64 inline (storage::automatic) runs the full workload; the other storages repeat it
// at half the size, which keeps their added time small and still grows, splits and clears
// the map many times.
template <class Map>
constexpr std::size_t iterations_for(std::size_t n) {
    return iterations(std::is_same_v<Map, syncmap::sync_map<std::uint64_t, std::uint64_t>> ? n : n / 2);
}

std::string describe(const std::vector<std::string>& problems) {
    std::string s;
    for (const auto& p : problems) s += "\n  " + p;
    return s;
}

// ---- The checker on hand-made histories ------------------------------------------------

h::write_record set(h::key_type k, h::value_type v, h::timestamp invoke, h::timestamp response) {
    return {invoke, response, h::write_kind::set, k, v};
}
h::write_record erase(h::key_type k, h::timestamp invoke, h::timestamp response) {
    return {invoke, response, h::write_kind::erase, k, 0};
}
h::write_record clear(h::timestamp invoke, h::timestamp response) {
    return {invoke, response, h::write_kind::clear, 0, 0};
}

h::observation seen(h::timestamp start, h::timestamp end, std::vector<std::pair<h::key_type, h::value_type>> items) {
    return {start, end, std::move(items)};
}

TEST(HistoryCheckerSelfTest, SnapshotMixingTwoInstantsIsRejected) {
    // One writer: a = 1 during [10, 20], then b = 2 during [30, 40].
    const std::vector<h::write_record> w{set(1, 100, 10, 20), set(2, 200, 30, 40)};
    const h::write_history history(w, 0);
    // b's new value with a's old absence: b needs t >= 30, a's absence needs t <= 20.
    const auto mixed = history.check_snapshot(seen(0, 100, {{2, 200}}));
    EXPECT_FALSE(mixed.explained);
    EXPECT_NE(mixed.reason.find("key 1 is absent"), std::string::npos) << mixed.reason;
    // Each real state is explained, at an instant inside the call.
    for (auto o : {seen(0, 100, {}), seen(0, 100, {{1, 100}}), seen(0, 100, {{1, 100}, {2, 200}})}) {
        const auto v = history.check_snapshot(o);
        EXPECT_TRUE(v.explained) << v.reason;
        EXPECT_GE(v.witness, 0);
        EXPECT_LE(v.witness, 100);
    }
    // The same states, but with a call interval that rules them out.
    EXPECT_FALSE(history.check_snapshot(seen(50, 60, {{1, 100}})).explained);  // b is certainly there by 40
    EXPECT_FALSE(history.check_snapshot(seen(0, 5, {{1, 100}})).explained);   // a began only at 10
    EXPECT_TRUE(history.check_snapshot(seen(15, 16, {{1, 100}})).explained);   // a may have landed by 15
    EXPECT_TRUE(history.check_snapshot(seen(15, 16, {})).explained);           // or not yet
}

TEST(HistoryCheckerSelfTest, OverlappingWritesMayTakeEffectInEitherOrder) {
    // a = 1 during [10, 50] overlaps a = 2 during [20, 30]; a = 3 starts at 60.
    const std::vector<h::write_record> w{set(1, 1, 10, 50), set(1, 2, 20, 30), set(1, 3, 60, 70)};
    const h::write_history history(w, 0);
    EXPECT_TRUE(history.check_snapshot(seen(35, 36, {{1, 1}})).explained);  // 2 then 1
    EXPECT_TRUE(history.check_snapshot(seen(55, 56, {{1, 2}})).explained);  // 1 then 2
    EXPECT_TRUE(history.check_snapshot(seen(65, 66, {{1, 2}})).explained);  // 3 not landed yet
    EXPECT_FALSE(history.check_snapshot(seen(75, 80, {{1, 2}})).explained); // 3 landed by 70
    EXPECT_FALSE(history.check_snapshot(seen(75, 80, {})).explained);       // never erased
    EXPECT_FALSE(history.check_snapshot(seen(0, 9, {{1, 1}})).explained);   // before any write
    EXPECT_TRUE(history.check_snapshot(seen(0, 9, {})).explained);
    // Values no write of that key produced, and keys seen twice, are never explained.
    EXPECT_FALSE(history.check_snapshot(seen(0, 100, {{1, 4}})).explained);
    EXPECT_FALSE(history.check_snapshot(seen(0, 100, {{2, 1}})).explained);
    EXPECT_FALSE(history.check_snapshot(seen(0, 100, {{1, 1}, {1, 1}})).explained);
}

TEST(HistoryCheckerSelfTest, ErasesAndClearsMakeKeysAbsent) {
    const std::vector<h::write_record> w{set(1, 1, 10, 20), set(2, 2, 10, 20), erase(1, 30, 40),
                                         clear(50, 60), set(2, 3, 70, 80)};
    const h::write_history history(w, 0);
    EXPECT_TRUE(history.check_snapshot(seen(41, 45, {{2, 2}})).explained);
    EXPECT_FALSE(history.check_snapshot(seen(41, 45, {{1, 1}, {2, 2}})).explained);  // erased by 40
    EXPECT_TRUE(history.check_snapshot(seen(61, 65, {})).explained);
    EXPECT_FALSE(history.check_snapshot(seen(61, 65, {{2, 2}})).explained);  // cleared by 60
    EXPECT_TRUE(history.check_snapshot(seen(55, 56, {{2, 2}})).explained);   // clear may not have landed
    EXPECT_TRUE(history.check_snapshot(seen(75, 76, {{2, 3}})).explained);
}

TEST(HistoryCheckerSelfTest, ClockSkewOnlyWidensWhatIsAccepted) {
    const std::vector<h::write_record> w{set(1, 1, 100, 200), set(2, 2, 300, 400)};
    const h::write_history exact(w, 0);
    const h::write_history skewed(w, 60);
    // b = 2 without a: needs t >= 300 (240 with skew) and t <= 200 (260 with skew).
    EXPECT_FALSE(exact.check_snapshot(seen(0, 1000, {{2, 2}})).explained);
    EXPECT_TRUE(skewed.check_snapshot(seen(0, 1000, {{2, 2}})).explained);
    const h::write_history huge_skew(w, 1000);
    EXPECT_TRUE(huge_skew.check_snapshot(seen(0, 1000, {{2, 2}})).explained);
}

TEST(HistoryCheckerSelfTest, DuplicateValuesAreRefused) {
    const std::vector<h::write_record> w{set(1, 7, 10, 20), set(2, 7, 30, 40)};
    EXPECT_THROW(h::write_history(w, 0), std::invalid_argument);
}

TEST(HistoryCheckerSelfTest, PassCheckerFindsEachClauseViolation) {
    // Key 1 present throughout [100, 200]; key 2 absent throughout; key 3 erased during it;
    // key 4 overwritten with 41 before the pass started.
    const std::vector<h::write_record> w{set(1, 11, 10, 20), set(2, 21, 10, 20), erase(2, 30, 40),
                                         set(3, 31, 10, 20), erase(3, 150, 160), set(4, 40, 10, 20),
                                         set(4, 41, 50, 60)};
    const h::write_history history(w, 0);
    const auto good = history.check_pass(seen(100, 200, {{1, 11}, {4, 41}}));
    EXPECT_TRUE(good.ok()) << describe(good.problems);
    EXPECT_EQ(good.present_throughout, 2u);  // keys 1 and 4
    EXPECT_EQ(good.absent_throughout, 1u);   // key 2
    EXPECT_TRUE(history.check_pass(seen(100, 200, {{3, 31}, {1, 11}, {4, 41}})).ok());  // 3 may be yielded

    const auto missed = history.check_pass(seen(100, 200, {{4, 41}}));
    EXPECT_EQ(missed.missed, 1u);
    const auto repeated = history.check_pass(seen(100, 200, {{1, 11}, {4, 41}, {1, 11}}));
    EXPECT_EQ(repeated.repeated, 1u);
    const auto phantom = history.check_pass(seen(100, 200, {{1, 11}, {4, 41}, {2, 21}}));
    EXPECT_EQ(phantom.phantom, 1u);
    const auto never = history.check_pass(seen(100, 200, {{1, 11}, {4, 41}, {9, 90}}));
    EXPECT_EQ(never.phantom, 1u);
    EXPECT_EQ(never.illegal, 1u);
    const auto stale = history.check_pass(seen(100, 200, {{1, 11}, {4, 40}}));
    EXPECT_EQ(stale.illegal, 1u);
    EXPECT_FALSE(stale.ok());
    for (const auto* v : {&missed, &repeated, &phantom, &stale}) EXPECT_FALSE(v->ok());
}

// ---- The checker on real recorded histories, made wrong on purpose --------------------

TEST(HistoryCheckerSelfTest, RejectsRealSnapshotsSplicedFromTwoInstants) {
    constexpr std::uint64_t n = 100;
    map_type m;
    h::write_log log;
    std::uint64_t seq = 0;
    for (std::uint64_t k = 0; k < n; ++k) {
        const auto v = h::make_value(0, seq++);
        log.set(k, v, [&] { m.store(k, v); });
    }
    auto observe = [&] {
        h::observation o;
        o.start = h::now();
        auto snap = m.snapshot();
        o.end = h::now();
        for (auto&& [k, v] : snap) o.items.emplace_back(k, v);
        return o;
    };
    const h::observation before = observe();
    // Overwrite the lower half, let the clock move well past the skew, overwrite the upper half.
    for (std::uint64_t k = 0; k < n / 2; ++k) {
        const auto v = h::make_value(0, seq++);
        log.set(k, v, [&] { m.store(k, v); });
    }
    const h::observation middle = observe();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    for (std::uint64_t k = n / 2; k < n; ++k) {
        const auto v = h::make_value(0, seq++);
        log.set(k, v, [&] { m.store(k, v); });
    }
    const h::observation after = observe();

    const h::write_history history(log.records());
    for (const auto* o : {&before, &middle, &after}) {
        const auto v = history.check_snapshot(*o);
        EXPECT_TRUE(v.explained) << v.reason;
    }
    // Lower half from before, upper half from after: no instant has both.
    h::observation spliced{before.start, after.end, {}};
    for (const auto& [k, v] : before.items) {
        if (k < n / 2) spliced.items.emplace_back(k, v);
    }
    for (const auto& [k, v] : after.items) {
        if (k >= n / 2) spliced.items.emplace_back(k, v);
    }
    const auto verdict = history.check_snapshot(spliced);
    EXPECT_FALSE(verdict.explained);
    // The other splice is the state between the two halves, which the map really had.
    h::observation between{before.start, after.end, {}};
    for (const auto& [k, v] : after.items) {
        if (k < n / 2) between.items.emplace_back(k, v);
    }
    for (const auto& [k, v] : before.items) {
        if (k >= n / 2) between.items.emplace_back(k, v);
    }
    const auto real = history.check_snapshot(between);
    EXPECT_TRUE(real.explained) << real.reason;
    // A snapshot missing one key that was present throughout, or with an extra one.
    h::observation missing = middle;
    missing.items.pop_back();
    EXPECT_FALSE(history.check_snapshot(missing).explained);
    h::observation extra = middle;
    extra.items.emplace_back(n + 1, h::make_value(0, seq + 1));
    EXPECT_FALSE(history.check_snapshot(extra).explained);
}

TEST(HistoryCheckerSelfTest, RejectsRealPassesMadeWrong) {
    map_type m;
    h::write_log log;
    std::uint64_t seq = 0;
    for (std::uint64_t k = 0; k < 500; ++k) {
        const auto v = h::make_value(0, seq++);
        log.set(k, v, [&] { m.store(k, v); });
    }
    h::observation pass;
    pass.start = h::now();
    syncmap::cursor c;
    while (!c.done()) c = m.scan(c, 64, [&](std::uint64_t k, std::uint64_t v) { pass.items.emplace_back(k, v); });
    pass.end = h::now();
    // A key erased long before the pass, and a stale value overwritten long before it.
    log.erase(1000, [] {});
    const auto v2 = h::make_value(0, seq++);
    log.set(0, v2, [&] { m.store(0, v2); });
    std::this_thread::sleep_for(std::chrono::milliseconds(2));  // well past the clock skew
    pass.start = h::now();
    pass.items.clear();
    c = {};
    while (!c.done()) c = m.scan(c, 64, [&](std::uint64_t k, std::uint64_t v) { pass.items.emplace_back(k, v); });
    pass.end = h::now();

    const h::write_history history(log.records());
    const auto good = history.check_pass(pass);
    ASSERT_TRUE(good.ok()) << describe(good.problems);
    EXPECT_EQ(good.present_throughout, 500u);
    EXPECT_EQ(good.absent_throughout, 1u);  // key 1000

    h::observation repeated = pass;
    repeated.items.push_back(pass.items[17]);
    EXPECT_EQ(history.check_pass(repeated).repeated, 1u);
    h::observation missed = pass;
    missed.items.erase(missed.items.begin() + 3);
    EXPECT_EQ(history.check_pass(missed).missed, 1u);
    h::observation phantom = pass;
    phantom.items.emplace_back(1000, h::make_value(0, 0));
    EXPECT_EQ(history.check_pass(phantom).phantom, 1u);
    h::observation stale = pass;
    for (auto& [k, v] : stale.items) {
        if (k == 0) v = h::make_value(0, 0);  // key 0's first value, replaced before the pass
    }
    EXPECT_EQ(history.check_pass(stale).illegal, 1u);
}

// ---- S1 under concurrency ---------------------------------------------------------------

struct writer_plan {
    std::size_t ops;        // each writer runs exactly this many operations
    std::uint64_t keys;
    unsigned clear_one_in;  // writer 0 clears with this probability (per operation)
};

// The writers of one test and the observing thread (the one taking snapshots or making
// passes) keep pace with each other, so that observations overlap writes however the
// scheduler shares the (possibly oversubscribed) cores:
//   - the observer waits, before its nth observation, until the writers together have made
//     n * ops_per_observation operations (or have finished);
//   - a writer stays at most ops_per_step operations ahead of the observer's steps (its
//     snapshots, or scan calls) until the observer is done.
// Both sides are bounded, and each waits only for the other's progress, never in a cycle:
// ops_per_observation is at most the writers' combined allowance per step.
class crew {
public:
    crew(unsigned writers, std::size_t ops_per_observation, std::size_t ops_per_step)
        : start_(writers + 1), running_(writers), progress_(writers),
          ops_per_observation_(ops_per_observation), ops_per_step_(ops_per_step) {}

    // Writer side.
    void writer_begins() { start_.arrive_and_wait(); }
    void writer_did(unsigned id, std::size_t ops_done) {
        progress_[id].ops.store(ops_done, std::memory_order_relaxed);
        while (ops_done >= (steps_.load(std::memory_order_relaxed) + 1) * ops_per_step_ &&
               !observer_done_.load(std::memory_order_relaxed)) {
            std::this_thread::yield();
        }
    }
    void writer_ends() { running_.fetch_sub(1, std::memory_order_release); }

    // Observer side.
    void observer_begins() { start_.arrive_and_wait(); }
    void before_observation(std::size_t n) {
        while (writes() < n * ops_per_observation_ && running()) std::this_thread::yield();
    }
    void step() { steps_.fetch_add(1, std::memory_order_relaxed); }
    void observer_ends() { observer_done_.store(true, std::memory_order_relaxed); }
    bool running() const { return running_.load(std::memory_order_acquire) > 0; }

private:
    std::size_t writes() const {
        std::size_t n = 0;
        for (const auto& p : progress_) n += p.ops.load(std::memory_order_relaxed);
        return n;
    }
    struct alignas(64) counter {
        std::atomic<std::size_t> ops{0};
    };

    std::latch start_;
    std::atomic<unsigned> running_;
    std::vector<counter> progress_;
    std::atomic<std::size_t> steps_{0};
    std::atomic<bool> observer_done_{false};
    const std::size_t ops_per_observation_;
    const std::size_t ops_per_step_;
};

// Random stores (70%) and erases (30%) over `keys` keys, with unique values; writer 0 also
// clears now and then.
template <class Map>
void run_writer(Map& m, h::write_log& log, unsigned id, const writer_plan& plan, crew& c) {
    using K = typename Map::key_type;
    using V = typename Map::mapped_type;
    std::mt19937_64 rng(0x51a9u + id * 7919u);
    std::uint64_t seq = 0;
    c.writer_begins();
    for (std::size_t i = 0; i < plan.ops; ++i) {
        c.writer_did(id, i);
        const std::uint64_t k = rng() % plan.keys;
        const unsigned r = static_cast<unsigned>(rng() % 1000);
        if (id == 0 && rng() % plan.clear_one_in == 0) {
            log.clear([&] { m.clear(); });
        } else if (r < 700) {
            const auto v = h::make_value(id, seq++);
            log.set(k, v, [&] { m.store(make<K>(k), make<V>(v)); });
        } else {
            log.erase(k, [&] { m.erase(make<K>(k)); });
        }
    }
    c.writer_did(id, plan.ops);
    c.writer_ends();
}

// The snapshot's contents through one of its four read paths, chosen by `how`.
template <class Snapshot>
std::vector<std::pair<std::uint64_t, std::uint64_t>> contents(const Snapshot& s, unsigned how, std::size_t chunk) {
    std::vector<std::pair<std::uint64_t, std::uint64_t>> out;
    auto take = [&](const auto& k, const auto& v) { out.emplace_back(id_of(k), id_of(v)); };
    switch (how % 3) {
    case 0:
        for (auto&& [k, v] : s) take(k, v);
        break;
    case 1:
        s.range(take);
        break;
    default: {
        syncmap::cursor c;
        while (!c.done()) c = s.scan(c, chunk, take);
    }
    }
    return out;
}

TYPED_TEST(SnapshotHistory, EverySnapshotIsExplainedByOneInstant) {
    using map_type = TypeParam;
    constexpr unsigned writers = 4;  // oversubscribed on purpose: writers preempted mid-write
    // Snapshots are taken while the writers run (at least min_snapshots, at most max_snapshots).
    const std::size_t min_snapshots = iterations_for<map_type>(2000);
    const std::size_t max_snapshots = iterations_for<map_type>(6000);
    const writer_plan plan{iterations_for<map_type>(150000), 1024, 4000};
    map_type m;
    std::vector<h::write_log> logs;
    for (unsigned i = 0; i < writers; ++i) logs.emplace_back(plan.ops);
    std::vector<h::observation> observed;
    observed.reserve(max_snapshots);
    // Writers run freely (up to 1000 operations ahead per snapshot); each snapshot follows
    // at least 100 new writes while they run.
    crew pace(writers, 100, 1000);
    std::size_t s2_rereads = 0, s2_mismatches = 0;

    std::vector<std::thread> threads;
    for (unsigned i = 0; i < writers; ++i) {
        threads.emplace_back([&, i] { run_writer(m, logs[i], i, plan, pace); });
    }
    threads.emplace_back([&] {
        std::mt19937_64 rng(99);
        pace.observer_begins();
        // Up to four snapshots alive at once, each with the index of its observation;
        // destroyed in random order after being re-read through a read path chosen anew,
        // while the writers keep going (S2).
        std::deque<std::pair<typename map_type::snapshot_type, std::size_t>> alive;
        auto destroy_one = [&] {
            const std::size_t victim = rng() % alive.size();
            const auto& [s, index] = alive[victim];
            const auto again = contents(s, static_cast<unsigned>(rng()), 1 + rng() % 50);
            ++s2_rereads;
            if (again != observed[index].items || s.size() != again.size()) ++s2_mismatches;
            alive.erase(alive.begin() + static_cast<std::ptrdiff_t>(victim));
        };
        for (std::size_t i = 0;
             i < max_snapshots && (i < min_snapshots || pace.running()); ++i) {
            pace.before_observation(i);
            h::observation o;
            o.start = h::now();
            typename map_type::snapshot_type snap = m.snapshot();
            o.end = h::now();
            pace.step();
            o.items = contents(snap, static_cast<unsigned>(rng()), 1 + rng() % 200);
            observed.push_back(std::move(o));
            alive.emplace_back(std::move(snap), observed.size() - 1);
            if (alive.size() > 3) destroy_one();
        }
        while (!alive.empty()) destroy_one();
        pace.observer_ends();
    });
    for (auto& t : threads) t.join();

    const auto all = h::merge(logs);
    const h::write_history history(all);
    // Writes by invocation time, with the running maximum of their response times: whether
    // any write was in flight during a snapshot() call (a figure: how often the gate mattered).
    std::vector<std::pair<h::timestamp, h::timestamp>> by_invoke;
    for (const auto& w : all) by_invoke.emplace_back(w.invoke, w.response);
    std::sort(by_invoke.begin(), by_invoke.end());
    for (std::size_t i = 1; i < by_invoke.size(); ++i) {
        by_invoke[i].second = std::max(by_invoke[i].second, by_invoke[i - 1].second);
    }
    std::size_t violations = 0, concurrent = 0, entries = 0;
    std::string first_failures;
    for (const auto& o : observed) {
        entries += o.items.size();
        const auto last = std::upper_bound(by_invoke.begin(), by_invoke.end(),
                                           std::make_pair(o.end, std::numeric_limits<h::timestamp>::max()));
        if (last != by_invoke.begin() && std::prev(last)->second >= o.start) ++concurrent;
        const auto v = history.check_snapshot(o);
        if (!v.explained && ++violations <= 5) first_failures += "\n  " + v.reason;
    }
    const syncmap::map_stats st = m.stats();
    std::printf("[ S1 history ] %zu snapshots (%zu with a write in flight during snapshot()), %zu entries, "
                "%zu writes, %zu keys; violations %zu; S2 re-reads %zu, mismatches %zu; splits %llu, "
                "directory growths %llu, clears %llu\n",
                observed.size(), concurrent, entries, all.size(), history.keys().size(), violations, s2_rereads,
                s2_mismatches, static_cast<unsigned long long>(st.leaf_splits),
                static_cast<unsigned long long>(st.directory_growths), static_cast<unsigned long long>(st.clears));
    EXPECT_EQ(violations, 0u) << first_failures;
    EXPECT_EQ(s2_mismatches, 0u);
    EXPECT_GE(observed.size(), min_snapshots);
    EXPECT_GT(st.leaf_splits, 0u);
    EXPECT_EQ(st.live_snapshots, 0u);
    EXPECT_EQ(st.versions_retained, 0);
}

// ---- C2 under concurrency ----------------------------------------------------------------

TYPED_TEST(ScanHistory, ChunkedPassesMeetW1ToW4) {
    using map_type = TypeParam;
    using K = typename map_type::key_type;
    using V = typename map_type::mapped_type;
    constexpr unsigned writers = 2;
    constexpr std::uint64_t keys = 2048;
    // Passes are made while the writers run (at least min_passes, at most max_passes).
    const std::size_t min_passes = iterations_for<map_type>(300);
    const std::size_t max_passes = iterations_for<map_type>(1000);
    const writer_plan plan{iterations_for<map_type>(400000), keys, 3000};
    map_type m;
    std::vector<h::write_log> logs;
    for (unsigned i = 0; i < writers + 1; ++i) logs.emplace_back(i < writers ? plan.ops : 4096);
    std::vector<h::observation> observed;
    observed.reserve(max_passes);
    // Writers make at most 40 operations per scan call each; each pass follows at least 40
    // new writes while they run.
    crew pace(writers, 40, 40);
    std::size_t calls = 0, raced = 0, stopped_ranges = 0;

    // Seed the map so early passes are long too.
    {
        h::write_log& own = logs[writers];
        for (std::uint64_t k = 0; k < keys; k += 2) {
            const auto v = h::make_value(writers, k);
            own.set(k, v, [&] { m.store(make<K>(k), make<V>(v)); });
        }
    }
    std::vector<std::thread> threads;
    for (unsigned i = 0; i < writers; ++i) {
        threads.emplace_back([&, i] { run_writer(m, logs[i], i, plan, pace); });
    }
    threads.emplace_back([&] {
        std::mt19937_64 rng(1234);
        pace.observer_begins();
        h::write_log& own = logs[writers];
        std::uint64_t seq = keys;  // the seeding used 0 .. keys-1
        // The scanning thread's own writes, made from callbacks and between calls.
        auto write_something = [&] {
            const std::uint64_t k = rng() % keys;
            if (rng() % 2 == 0) {
                const auto v = h::make_value(writers, seq++);
                own.set(k, v, [&] { m.store(make<K>(k), make<V>(v)); });
            } else {
                own.erase(k, [&] { m.erase(make<K>(k)); });
            }
        };
        for (std::size_t p = 0;
             p < max_passes && (p < min_passes || pace.running()); ++p) {
            pace.before_observation(p);
            h::observation o;
            auto take = [&](const K& k, const V& v) {
                o.items.emplace_back(id_of(k), id_of(v));
                if (rng() % 256 == 0) write_something();
                return rng() % 1024 != 0;  // now and then end the chunk early
            };
            const std::size_t max_chunk = rng() % 2 == 0 ? 8 : 400;
            syncmap::cursor c;
            const syncmap::map_stats before = m.stats();
            o.start = h::now();
            if (p % 4 == 3) {
                // range() stopped after a random number of entries, then resumed by scan.
                std::stop_source source;
                const std::size_t stop_after = rng() % 600;
                std::size_t n = 0;
                c = m.range(
                    [&](const K& k, const V& v) {
                        o.items.emplace_back(id_of(k), id_of(v));
                        if (++n == stop_after) source.request_stop();
                    },
                    source.get_token());
                ++calls;
                pace.step();
                if (!c.done()) ++stopped_ranges;
            }
            while (!c.done()) {
                c = m.scan(c, 1 + rng() % max_chunk, take);
                ++calls;
                pace.step();
                // A pause: nothing, a few yields, or writes of our own.
                switch (rng() % 4) {
                case 0:
                    break;
                case 1:
                    for (unsigned y = rng() % 4; y-- > 0;) std::this_thread::yield();
                    break;
                case 2:
                    write_something();
                    break;
                default:
                    for (int i = 0; i < 20; ++i) (void)m.load(make<K>(rng() % keys));
                }
            }
            o.end = h::now();
            const syncmap::map_stats after = m.stats();
            if (after.leaf_splits + after.directory_growths + after.clears >
                before.leaf_splits + before.directory_growths + before.clears) {
                ++raced;
            }
            observed.push_back(std::move(o));
        }
        pace.observer_ends();
    });
    for (auto& t : threads) t.join();

    const h::write_history history(h::merge(logs));
    std::size_t violating_passes = 0, present = 0, absent = 0, yielded = 0;
    std::size_t missed = 0, repeated = 0, phantom = 0, illegal = 0;
    std::string first_failures;
    for (const auto& o : observed) {
        const auto v = history.check_pass(o);
        present += v.present_throughout;
        absent += v.absent_throughout;
        yielded += v.yielded;
        missed += v.missed;
        repeated += v.repeated;
        phantom += v.phantom;
        illegal += v.illegal;
        if (!v.ok() && ++violating_passes <= 3) first_failures += describe(v.problems);
    }
    const syncmap::map_stats st = m.stats();
    std::printf("[ C2 history ] %zu passes (%zu with splits, growth or clear meanwhile, %zu began as a stopped range), "
                "%zu calls, %zu yields; keys present throughout %zu, absent throughout %zu; "
                "W1 %zu, W2 %zu, W3 %zu, W4 %zu violations; splits %llu, growths %llu, clears %llu\n",
                observed.size(), raced, stopped_ranges, calls, yielded, present, absent, missed, repeated, phantom,
                illegal, static_cast<unsigned long long>(st.leaf_splits),
                static_cast<unsigned long long>(st.directory_growths), static_cast<unsigned long long>(st.clears));
    EXPECT_EQ(violating_passes, 0u) << first_failures;
    EXPECT_GE(observed.size(), min_passes);
    EXPECT_GT(present, 0u);  // the check had teeth: keys it required
    EXPECT_GT(st.leaf_splits, 0u);
    EXPECT_GT(st.directory_growths, 0u);
}

}  // namespace
