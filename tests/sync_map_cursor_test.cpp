// sync_map's resumable scan and cancellable range: clauses C1, C2 (sequentially, against
// an exact model), C3, C5, B1 and W6. (C2 under concurrency: sync_map_history_test; C4:
// sync_map_snapshot_test.)
//   - C1: a cursor is trivially copyable, at most 24 bytes, and survives its text form
//     (the older smc1 form is still read);
//     each call of a pass starts exactly where the last one stopped (position strictly
//     increasing, keys below it offered, keys at or above it not), and resuming touches
//     one leaf, however far the pass has got (no re-scan).
//   - C2: passes resumed across leaf splits, directory doublings, erasures, re-insertions
//     and clear(), made between calls and from inside callbacks, with chunk sizes from 1
//     up: every key present throughout is offered exactly once, no key twice, no key
//     absent throughout, every value one the key held during the pass.
//   - C3: a paused pass holds no RCU read-side section, retains no version and keeps no
//     retired memory from being freed, while other threads overwrite and grow the map.
//   - C5/B1: a cursor of another map, every kind of malformed text (each character
//     corrupted in turn, wrong length, prefix, separators, hex digits, flags, check byte)
//     and a chunk size of 0 are rejected with syncmap::invalid_cursor naming the problem
//     and the offending value, and the map does not change.
//   - W6: a stop requested before range() yields nothing and returns the start position;
//     one requested mid-way lets at most the rest of one leaf through (none when the
//     callback returns bool, whatever the leaf's size); a callback
//     returning false ends it at once; every stopped traversal resumes with scan() into
//     an exact pass.
#include <syncmap/sync_map.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace {

#if defined(SYNCMAP_TSAN)
constexpr std::size_t work_divisor = 8;
#elif defined(__SANITIZE_ADDRESS__)
constexpr std::size_t work_divisor = 4;
#else
constexpr std::size_t work_divisor = 1;
#endif

constexpr std::size_t iterations(std::size_t n) { return std::max<std::size_t>(1, n / work_divisor); }

using map_type = syncmap::sync_map<std::uint64_t, std::uint64_t>;
using syncmap::cursor;
using syncmap::invalid_cursor;

static_assert(std::is_trivially_copyable_v<cursor>, "C1: trivially copyable");
static_assert(sizeof(cursor) <= 24, "C1: at most 24 bytes");
static_assert(std::is_nothrow_default_constructible_v<cursor>);

std::uint64_t hash_in(const map_type& m, std::uint64_t k) {
    return syncmap::detail::seeded_hash(m.hash_function(), k, m.seed());
}

std::map<std::uint64_t, std::uint64_t> contents(const map_type& m) {
    std::map<std::uint64_t, std::uint64_t> out;
    m.range([&](std::uint64_t k, std::uint64_t v) { out.emplace(k, v); });
    return out;
}

const auto ignore = [](std::uint64_t, std::uint64_t) {};

// ---- C1 ----------------------------------------------------------------------------------

TEST(CursorValue, DefaultCursorStartsAPassOnAnyMap) {
    constexpr cursor c;
    static_assert(c.at_start() && !c.done() && c.position() == 0);
    map_type a, b;
    a.store(1, 1);
    b.store(1, 1);
    std::size_t calls = 0;
    auto count = [&](std::uint64_t, std::uint64_t) { ++calls; };
    EXPECT_TRUE(a.scan(c, 10, count).done());
    EXPECT_TRUE(b.scan(c, 10, count).done());
    EXPECT_EQ(calls, 2u);
    EXPECT_EQ(cursor::from_string(c.to_string()), c);
}

// The 16-byte text form of earlier releases, "smc1-TAG-POSITION-FLAGS-CHECK" (no tiebreak
// field, CRC-8 over 13 bytes), is still read: a saved cursor resumes where it stopped.
TEST(CursorValue, OlderTextFormIsStillRead) {
    auto crc8 = [](const std::vector<std::uint8_t>& bytes) {
        std::uint8_t crc = 0;
        for (std::uint8_t b : bytes) {
            crc ^= b;
            for (int bit = 0; bit < 8; ++bit) crc = static_cast<std::uint8_t>(crc & 0x80 ? (crc << 1) ^ 0x07 : crc << 1);
        }
        return crc;
    };
    map_type m(3);
    for (std::uint64_t k = 0; k < 3000; ++k) m.store(k, k);
    std::set<std::uint64_t> seen;
    const cursor c = m.scan({}, 1000, [&](std::uint64_t k, std::uint64_t) { seen.insert(k); });
    ASSERT_FALSE(c.done());
    ASSERT_EQ(c.tiebreak(), 0u);
    std::vector<std::uint8_t> payload;
    for (int i = 3; i >= 0; --i) payload.push_back(static_cast<std::uint8_t>(c.tag() >> (8 * i)));
    for (int i = 7; i >= 0; --i) payload.push_back(static_cast<std::uint8_t>(c.position() >> (8 * i)));
    payload.push_back(1);  // bound
    char old[48];
    std::snprintf(old, sizeof old, "smc1-%08x-%016llx-01-%02x", static_cast<unsigned>(c.tag()),
                  static_cast<unsigned long long>(c.position()), static_cast<unsigned>(crc8(payload)));
    const cursor back = cursor::from_string(old);
    EXPECT_EQ(back, c) << old;
    for (cursor r = back; !r.done();) r = m.scan(r, 500, [&](std::uint64_t k, std::uint64_t) { EXPECT_TRUE(seen.insert(k).second); });
    EXPECT_EQ(seen.size(), 3000u);
    std::string corrupted = old;
    corrupted[20] = corrupted[20] == '0' ? '1' : '0';
    EXPECT_THROW((void)cursor::from_string(corrupted), invalid_cursor);
}

TEST(CursorValue, TextFormRoundTrips) {
    std::mt19937_64 rng(5);
    std::size_t checked = 0;
    auto round_trip = [&](const cursor& c) {
        const std::string t = c.to_string();
        ASSERT_EQ(t.size(), 53u) << t;
        ASSERT_EQ(t.substr(0, 5), "smc2-") << t;
        ASSERT_EQ(t.find_first_not_of("0123456789abcdef-", 4), std::string::npos) << t;
        const cursor back = cursor::from_string(t);
        ASSERT_EQ(back, c) << t;
        ASSERT_EQ(back.to_string(), t);
        ASSERT_EQ(back.position(), c.position());
        ASSERT_EQ(back.done(), c.done());
        ASSERT_EQ(back.at_start(), c.at_start());
        ++checked;
    };
    round_trip(cursor{});
    for (int maps = 0; maps < 20; ++maps) {
        map_type m(rng());
        for (std::uint64_t i = 0, n = rng() % 3000; i < n; ++i) m.store(rng(), i);
        const auto s = m.snapshot();
        for (int pass = 0; pass < 3; ++pass) {
            // Cursors of the map, of its snapshot, from stopped ranges and from callbacks
            // that return false, done ones included, each resumed from its text form.
            cursor c, cs;
            while (!c.done()) {
                round_trip(c);
                c = m.scan(cursor::from_string(c.to_string()), 1 + rng() % 300, ignore);
            }
            round_trip(c);
            while (!cs.done()) {
                cs = s.scan(cursor::from_string(cs.to_string()), 1 + rng() % 300, ignore);
                round_trip(cs);
            }
            std::size_t n = 0;
            const std::size_t limit = rng() % 100;
            round_trip(m.range([&](std::uint64_t, std::uint64_t) { return ++n < limit; }, std::stop_token{}));
            round_trip(m.scan({}, 1000, [&](std::uint64_t, std::uint64_t) { return false; }));
            if (HasFatalFailure()) return;
        }
    }
    EXPECT_GT(checked, 1000u);
}

// One pass of scan calls, recording what each call offered and the cursor it returned;
// each call is resumed from the previous cursor's text form.
struct pass_record {
    std::vector<std::vector<std::uint64_t>> calls;  // keys offered, per call
    std::vector<cursor> cursors;                    // returned, per call
};

template <class Between>
pass_record run_pass(const map_type& m, std::mt19937_64& rng, std::size_t max_chunk, Between&& between) {
    pass_record r;
    cursor c;
    while (!c.done()) {
        r.calls.emplace_back();
        c = m.scan(cursor::from_string(c.to_string()), 1 + rng() % max_chunk,
                   [&](std::uint64_t k, std::uint64_t) { r.calls.back().push_back(k); });
        r.cursors.push_back(c);
        between();
    }
    return r;
}

// The cursor's meaning, call by call: everything offered by a call lies at or above the
// position it started from and below the position it returned; positions strictly grow.
void expect_positions_bracket_the_calls(const map_type& m, const pass_record& r) {
    std::uint64_t from = 0;
    for (std::size_t i = 0; i < r.calls.size(); ++i) {
        const cursor& c = r.cursors[i];
        if (!c.done()) {
            ASSERT_GT(c.position(), from) << "call " << i << ": the position did not advance";
        }
        for (std::uint64_t k : r.calls[i]) {
            const std::uint64_t h = hash_in(m, k);
            ASSERT_GE(h, from) << "call " << i << " offered a key below its starting position";
            if (!c.done()) {
                ASSERT_LT(h, c.position()) << "call " << i << " offered a key at or past its cursor";
            }
        }
        from = c.done() ? 0 : c.position();
    }
}

TEST(CursorResume, PassesOfAnyChunkSizeOfferEachKeyOnce) {
    std::mt19937_64 rng(11);
    for (std::uint64_t n : {0u, 1u, 100u, 113u, 2000u, 30000u}) {
        map_type m(rng());
        for (std::uint64_t i = 0; i < n; ++i) m.store(i, i);
        for (std::size_t max_chunk : {std::size_t{1}, std::size_t{3}, std::size_t{200}, std::size_t{100000}}) {
            SCOPED_TRACE("n = " + std::to_string(n) + ", chunks up to " + std::to_string(max_chunk));
            const pass_record r = run_pass(m, rng, max_chunk, [] {});
            std::vector<std::uint64_t> all;
            for (const auto& call : r.calls) all.insert(all.end(), call.begin(), call.end());
            std::sort(all.begin(), all.end());
            ASSERT_EQ(all.size(), n);
            for (std::uint64_t i = 0; i < n; ++i) ASSERT_EQ(all[i], i);
            expect_positions_bracket_the_calls(m, r);
            EXPECT_TRUE(r.cursors.back().done());
            if (max_chunk == 1) {
                EXPECT_GE(r.calls.size(), n);
            }
        }
    }
}

// C1's "resume costs O(1)": on a map whose leaves all hold entries, a chunk of 1 visits one
// leaf, wherever the pass is: the cursor leads straight to the next entry.
TEST(CursorResume, ResumingVisitsOneLeafWhereverThePassIs) {
    map_type m(99);
    for (std::uint64_t i = 0; i < iterations(50000); ++i) m.store(i, i);
    const auto shape = m.debug_structure();
    // Every leaf holds entries (seeded hashing spreads 50000 keys over the leaves).
    syncmap::traversal_stats whole;
    std::size_t n = 0;
    m.range([&](std::uint64_t, std::uint64_t) { ++n; }, whole);
    ASSERT_EQ(whole.leaves_visited, shape.leaves);
    cursor c;
    std::size_t calls = 0, worst = 0;
    while (!c.done()) {
        syncmap::traversal_stats st;
        c = m.scan(c, 1, ignore, &st);
        ++calls;
        worst = std::max<std::size_t>(worst, st.leaves_visited);
        ASSERT_LE(st.entries_yielded, 1u);
    }
    // One call per entry, plus at most one empty final call.
    EXPECT_GE(calls, n);
    EXPECT_LE(calls, n + 1);
    EXPECT_EQ(worst, 1u) << "a resumed chunk of 1 visited more than one leaf";
}

// ---- C2, sequentially, against an exact model ---------------------------------------------

// A map and what every key did during the current pass: enough to say, for each key,
// whether it was present throughout the pass, absent throughout, and which values it held.
struct tracked_map {
    map_type m;
    std::unordered_map<std::uint64_t, std::uint64_t> now;  // the map's contents
    std::unordered_set<std::uint64_t> gone;                 // erased at some point of the pass
    std::unordered_map<std::uint64_t, std::vector<std::uint64_t>> held;  // every value of the pass

    explicit tracked_map(std::uint64_t seed) : m(seed) {}

    void start_pass() {
        gone.clear();
        held.clear();
        for (const auto& [k, v] : now) held[k].push_back(v);
    }
    void store(std::uint64_t k, std::uint64_t v) {
        m.store(k, v);
        now[k] = v;
        held[k].push_back(v);
    }
    void erase(std::uint64_t k) {
        m.erase(k);
        if (now.erase(k) != 0) gone.insert(k);
    }
    void clear() {
        m.clear();
        for (const auto& [k, v] : now) gone.insert(k);
        now.clear();
    }
    bool present_throughout(std::uint64_t k, const std::unordered_map<std::uint64_t, std::uint64_t>& at_start) const {
        return at_start.count(k) != 0 && gone.count(k) == 0;
    }
};

TEST(CursorResume, PassesMeetW1ToW4AcrossSplitsGrowthErasuresAndClear) {
    std::mt19937_64 rng(2024);
    const std::size_t passes = iterations(100);
    std::size_t calls = 0, present_checked = 0, raced = 0, mutations_in_callbacks = 0;
    tracked_map t(rng());
    std::uint64_t next_value = 1;
    std::uint64_t fresh = 1'000'000;
    for (std::uint64_t k = 0; k < 3000; ++k) t.store(k, next_value++);
    for (std::size_t p = 0; p < passes; ++p) {
        SCOPED_TRACE("pass " + std::to_string(p));
        // Every pass starts from a few thousand keys at least, and the map is emptied now
        // and then so that passes also run across regrowth from a single leaf.
        if (t.now.size() > 60000) t.clear();
        for (std::uint64_t k = 0; t.now.size() < 2000 && k < 3000; ++k) t.store(k, next_value++);
        t.start_pass();
        const auto at_start = t.now;
        const std::uint64_t changes_before = [&] {
            const auto s = t.m.stats();
            return s.leaf_splits + s.directory_growths + s.clears;
        }();
        auto mutate = [&](unsigned what, bool may_clear) {
            switch (what % 12) {
            case 0:  // overwrite a few
                for (int i = 0; i < 20; ++i) t.store(rng() % 3000, next_value++);
                break;
            case 1:  // erase a few
                for (int i = 0; i < 20; ++i) t.erase(rng() % 3000);
                break;
            case 2:  // erase and re-insert: must not be offered twice (W2)
                for (int i = 0; i < 20; ++i) {
                    const std::uint64_t k = rng() % 3000;
                    t.erase(k);
                    t.store(k, next_value++);
                }
                break;
            case 3:  // a burst of fresh keys: splits and directory doublings under the cursor
                for (std::uint64_t i = 0, n = 100 + rng() % 400; i < n; ++i) t.store(fresh++, next_value++);
                break;
            case 4:
                if (may_clear && rng() % 64 == 0) t.clear();
                break;
            default:
                break;
            }
        };
        std::unordered_map<std::uint64_t, std::size_t> offered;
        std::vector<std::pair<std::uint64_t, std::uint64_t>> yields;
        cursor c;
        const std::size_t max_chunk = std::size_t{4} << (rng() % 10);
        if (p % 5 == 4) {
            // The pass begins as a range() stopped by a stop_token after a random number of entries.
            std::stop_source stop;
            const std::size_t after = rng() % 500;
            c = t.m.range(
                [&](std::uint64_t k, std::uint64_t v) {
                    yields.emplace_back(k, v);
                    if (yields.size() == after) stop.request_stop();
                },
                stop.get_token());
            ++calls;
            mutate(static_cast<unsigned>(rng()), true);
        }
        while (!c.done()) {
            c = t.m.scan(cursor::from_string(c.to_string()), 1 + rng() % max_chunk,
                         [&](std::uint64_t k, std::uint64_t v) {
                             yields.emplace_back(k, v);
                             // Now and then mutate from inside the callback (W5), the
                             // current key included.
                             if (rng() % 64 == 0) {
                                 ++mutations_in_callbacks;
                                 if (rng() % 2 == 0) {
                                     t.erase(k);
                                 } else {
                                     t.store(k, next_value++);
                                 }
                                 mutate(static_cast<unsigned>(rng()), rng() % 8 == 0);
                             }
                         });
            ++calls;
            mutate(static_cast<unsigned>(rng()), true);
        }
        for (const auto& [k, v] : yields) {
            ASSERT_EQ(++offered[k], 1u) << "key " << k << " offered twice (W2)";
            const auto h = t.held.find(k);
            ASSERT_TRUE(h != t.held.end()) << "key " << k << " was absent throughout but offered (W3)";
            ASSERT_NE(std::find(h->second.begin(), h->second.end(), v), h->second.end())
                << "key " << k << " offered with a value it never held (W4)";
        }
        for (const auto& [k, v] : at_start) {
            if (t.present_throughout(k, at_start)) {
                ++present_checked;
                ASSERT_EQ(offered.count(k), 1u) << "key " << k << " was present throughout but not offered (W1)";
            }
        }
        const auto s = t.m.stats();
        if (s.leaf_splits + s.directory_growths + s.clears > changes_before) ++raced;
    }
    std::printf("[ C2 model ] %zu passes (%zu with restructuring), %zu calls, %zu present-throughout keys checked, "
                "%zu callbacks that mutated\n",
                passes, raced, calls, present_checked, mutations_in_callbacks);
    EXPECT_GT(raced, 0u);
    EXPECT_GT(t.m.stats().directory_growths, 3u);
}

// ---- C3 ------------------------------------------------------------------------------------

TEST(CursorPause, APausedPassPinsNothingAndBlocksNoOne) {
    map_type m;
    constexpr std::uint64_t n = 20000;
    for (std::uint64_t k = 0; k < n; ++k) m.store(k, k);
    std::unordered_map<std::uint64_t, std::size_t> offered;
    auto take = [&](std::uint64_t k, std::uint64_t) { ++offered[k]; };
    cursor c = m.scan({}, 777, take);
    c = m.scan(c, 777, take);
    ASSERT_FALSE(c.done());
    EXPECT_EQ(syncmap::detail::rcu_read_ongoing(), 0) << "scan() returned inside an RCU read-side section";
    // Paused: other threads overwrite every key many times, insert (splits retire leaves and
    // directories) and erase keys outside 0..n-1. They all finish: the pass blocks no one.
    const std::size_t rounds = iterations(8);
    std::vector<std::thread> writers;
    for (unsigned w = 0; w < 2; ++w) {
        writers.emplace_back([&, w] {
            for (std::size_t r = 0; r < rounds; ++r) {
                for (std::uint64_t k = w; k < n; k += 2) m.store(k, k + r);
                for (std::uint64_t k = n + w; k < 3 * n; k += 2) m.store(k, 0);
                for (std::uint64_t k = n + w; k < 3 * n; k += 4) m.erase(k);
            }
        });
    }
    for (auto& t : writers) t.join();
    const syncmap::map_stats st = m.stats();
    EXPECT_EQ(st.versions_retained, 0) << "a paused pass made writers keep old versions";
    EXPECT_GT(st.leaf_splits, 0u);
    // Everything the writers retired is freed once a grace period has passed: the paused
    // cursor holds nothing back.
    syncmap::detail::rcu_barrier();
    EXPECT_EQ(syncmap::detail::rcu_pending_bytes.load(), 0);
    EXPECT_EQ(m.stats().retired_bytes_pending, 0);
    // Resume and finish: keys 0..n-1 were present throughout, each offered once.
    while (!c.done()) c = m.scan(c, 777, take);
    for (std::uint64_t k = 0; k < n; ++k) ASSERT_EQ(offered[k], 1u) << k;
    for (const auto& [k, times] : offered) ASSERT_EQ(times, 1u) << k;
}

// ---- C5 and B1 -------------------------------------------------------------------------------

// Expects f() to throw invalid_cursor whose what() contains every one of `words`.
template <class F>
void expect_rejected(F&& f, std::initializer_list<std::string> words, const std::string& input) {
    try {
        f();
        ADD_FAILURE() << "accepted: \"" << input << "\"";
    } catch (const invalid_cursor& e) {
        const std::string what = e.what();
        for (const std::string& w : words) {
            EXPECT_NE(what.find(w), std::string::npos) << "\"" << what << "\" does not mention \"" << w << "\"";
        }
    }
}

// A map whose contents and counters are compared before and after each batch of rejections.
struct watched_map {
    map_type m{0x5eed};
    std::map<std::uint64_t, std::uint64_t> before;
    syncmap::map_stats stats_before;
    watched_map() {
        for (std::uint64_t k = 0; k < 3000; ++k) m.store(k, k * 3);
        before = contents(m);
        stats_before = m.stats();
    }
    void expect_unchanged() const {
        EXPECT_EQ(contents(m), before);
        EXPECT_EQ(m.size(), before.size());
        const auto s = m.stats();
        EXPECT_EQ(s.leaf_splits, stats_before.leaf_splits);
        EXPECT_EQ(s.directory_growths, stats_before.directory_growths);
        EXPECT_EQ(s.clears, stats_before.clears);
        EXPECT_EQ(s.versions_retained, stats_before.versions_retained);
        EXPECT_EQ(s.live_snapshots, stats_before.live_snapshots);
    }
};

TEST(CursorRejection, ChunkSizeZero) {
    watched_map w;
    const auto s = w.m.snapshot();
    w.stats_before = w.m.stats();
    std::size_t calls = 0;
    auto count = [&](std::uint64_t, std::uint64_t) { ++calls; };
    const cursor mid = w.m.scan({}, 10, ignore);
    expect_rejected([&] { w.m.scan({}, 0, count); }, {"chunk size", "0"}, "chunk 0");
    expect_rejected([&] { w.m.scan(mid, 0, count); }, {"chunk size", "0"}, "chunk 0, mid-pass");
    expect_rejected([&] { s.scan({}, 0, count); }, {"chunk size", "0"}, "snapshot, chunk 0");
    EXPECT_EQ(calls, 0u);
    w.expect_unchanged();
}

TEST(CursorRejection, CursorOfAnotherMap) {
    watched_map w;
    map_type other;  // another random seed
    for (std::uint64_t k = 0; k < 3000; ++k) other.store(k, k);
    std::size_t calls = 0;
    auto count = [&](std::uint64_t, std::uint64_t) { ++calls; };
    cursor foreign;
    std::size_t tried = 0;
    while (!foreign.done()) {
        foreign = other.scan(foreign, 250, ignore);
        if (foreign.done()) break;  // a done cursor ends any pass; it carries no position
        const std::string text = foreign.to_string();
        expect_rejected([&] { w.m.scan(foreign, 10, count); }, {"another map", text}, text);
        expect_rejected([&] { w.m.scan(cursor::from_string(text), 10, count); }, {"another map", text}, text);
        ++tried;
    }
    EXPECT_GE(tried, 5u);
    EXPECT_EQ(calls, 0u);
    w.expect_unchanged();
}

TEST(CursorRejection, MalformedTextNamesTheProblem) {
    watched_map w;
    const cursor good = w.m.scan({}, 100, ignore);
    const std::string text = good.to_string();
    ASSERT_EQ(text.size(), 53u);
    std::size_t calls = 0;
    auto rejected = [&](const std::string& t, std::initializer_list<std::string> words) {
        std::vector<std::string> all(words);
        all.push_back(t.substr(0, 64));  // the offending text, quoted
        try {
            w.m.scan(cursor::from_string(t), 10, [&](std::uint64_t, std::uint64_t) { ++calls; });
            ADD_FAILURE() << "accepted: \"" << t << "\"";
        } catch (const invalid_cursor& e) {
            const std::string what = e.what();
            for (const std::string& word : all) {
                EXPECT_NE(what.find(word), std::string::npos) << "\"" << what << "\" does not mention \"" << word << "\"";
            }
        }
    };
    // Wrong length or shape.
    for (const std::string& t : {std::string(), std::string("smc2"), text.substr(0, 52), text + "0", text + "\n",
                                 " " + text, std::string(53, '0'), std::string(36, '0'), std::string(200, 'x'),
                                 "smc1" + text.substr(4), "smc2" + text.substr(4, 32)}) {
        rejected(t, {"not a syncmap cursor"});
    }
    // Wrong prefix or separators.
    for (std::size_t i : {0u, 1u, 2u, 3u, 4u, 13u, 30u, 47u, 50u}) {
        std::string t = text;
        t[i] = t[i] == 'x' ? 'y' : 'x';
        rejected(t, {"not a syncmap cursor"});
    }
    rejected("SMC2" + text.substr(4), {"not a syncmap cursor"});
    rejected("smc3" + text.substr(4), {"not a syncmap cursor"});
    // Characters that are not lowercase hexadecimal digits, in each hex field.
    for (std::size_t i = 5; i < 53; ++i) {
        if (i == 13 || i == 30 || i == 47 || i == 50) continue;
        for (char bad : {'g', 'G', 'A', 'F', ' ', '-', '+', 'x', '~'}) {
            std::string t = text;
            t[i] = bad;
            rejected(t, {"malformed hexadecimal field"});
        }
    }
    // Every wrong check byte, and unknown flags whatever the check byte.
    const std::string body = text.substr(0, 51);
    std::size_t mismatches = 0;
    for (unsigned cc = 0; cc < 256; ++cc) {
        char hex[3];
        std::snprintf(hex, sizeof hex, "%02x", cc);
        const std::string t = body + hex;
        if (t == text) continue;
        rejected(t, {"check byte mismatch"});
        ++mismatches;
        for (const char* flags : {"04", "08", "10", "80", "ff", "07"}) {
            std::string u = t;
            u.replace(48, 2, flags);
            rejected(u, {"unknown flags"});
        }
    }
    EXPECT_EQ(mismatches, 255u);
    // An unbound cursor (flags 00) must be the start cursor: with a position or a tag it is
    // rejected, whichever check byte comes with it.
    std::size_t unbound_with_position = 0;
    for (unsigned cc = 0; cc < 256; ++cc) {
        char hex[3];
        std::snprintf(hex, sizeof hex, "%02x", cc);
        std::string t = body.substr(0, 48) + "00-" + hex;
        try {
            (void)cursor::from_string(t);
            ADD_FAILURE() << "accepted: " << t;
        } catch (const invalid_cursor& e) {
            if (std::string(e.what()).find("unbound cursor with a position") != std::string::npos) {
                ++unbound_with_position;
            }
        }
    }
    EXPECT_EQ(unbound_with_position, 1u) << "exactly one check byte matches; that one reaches the position check";
    EXPECT_EQ(calls, 0u);
    w.expect_unchanged();
    // The intact text still works.
    EXPECT_EQ(cursor::from_string(text), good);
}

// C5: "a corrupted text form is rejected". A cursor text with one character changed to
// any other hexadecimal digit must not be accepted as a cursor of the same map: accepted,
// it would resume the pass at a wrong position and skip or repeat keys. (A change of the
// tag field may pass from_string and is then rejected by scan().)
TEST(CursorRejection, EverySingleCharacterCorruptionIsRejected) {
    watched_map w;
    const auto snap = w.m.snapshot();
    w.stats_before = w.m.stats();
    std::vector<cursor> samples;
    for (cursor c; !c.done();) {
        c = w.m.scan(c, 61, ignore);
        samples.push_back(c);
    }
    for (cursor c; !c.done();) {
        c = snap.scan(c, 203, ignore);
        samples.push_back(c);
    }
    auto accepts = [](const auto& traversable, const cursor& c) {
        try {
            traversable.scan(c, 1, ignore);
            return true;
        } catch (const invalid_cursor&) {
            return false;
        }
    };
    std::size_t tried = 0, accepted = 0;
    std::string examples;
    for (const cursor& c : samples) {
        const std::string text = c.to_string();
        for (std::size_t i = 5; i < text.size(); ++i) {
            if (i == 13 || i == 30 || i == 47 || i == 50) continue;
            for (char d : std::string("0123456789abcdef")) {
                if (d == text[i]) continue;
                std::string t = text;
                t[i] = d;
                ++tried;
                std::optional<cursor> parsed;
                try {
                    parsed = cursor::from_string(t);
                } catch (const invalid_cursor&) {
                }
                if (parsed && (accepts(w.m, *parsed) || accepts(snap, *parsed))) {
                    if (++accepted <= 6) examples += "\n  " + text + " -> " + t;
                }
            }
        }
    }
    std::printf("[ C5 corruption ] %zu single-digit corruptions of %zu cursor texts, %zu accepted\n", tried,
                samples.size(), accepted);
    EXPECT_EQ(accepted, 0u) << "single-digit corruptions accepted as valid cursors of the same map or snapshot:"
                            << examples;
    w.expect_unchanged();
}

// ---- W6 --------------------------------------------------------------------------------------

TEST(CancellableRange, StopRequestedBeforeTheCallYieldsNothing) {
    map_type m;
    for (std::uint64_t k = 0; k < 5000; ++k) m.store(k, k);
    std::stop_source stop;
    stop.request_stop();
    std::size_t calls = 0;
    syncmap::traversal_stats st;
    st.entries_yielded = st.leaves_visited = 99;
    const cursor c = m.range([&](std::uint64_t, std::uint64_t) { ++calls; }, stop.get_token(), &st);
    EXPECT_EQ(calls, 0u);
    EXPECT_FALSE(c.done());
    EXPECT_EQ(c.position(), 0u) << "the start position";
    EXPECT_EQ(st.entries_yielded, 0u);
    EXPECT_EQ(st.leaves_visited, 0u);
    // Resuming from it is a whole pass.
    std::set<std::uint64_t> rest;
    for (cursor r = c; !r.done();) r = m.scan(r, 999, [&](std::uint64_t k, std::uint64_t) { rest.insert(k); });
    EXPECT_EQ(rest.size(), 5000u);
}

// W6: the token is checked before every leaf and, when the callback returns bool (whose
// leaves are offered sorted anyway), before every callback: a stop requested from inside
// one lets at most the rest of one default-size leaf through, or nothing.
TEST(CancellableRange, StopRequestedMidwayIsObservedWithinOneLeaf) {
    std::mt19937_64 rng(8);
    map_type m(rng());
    constexpr std::uint64_t n = 20000;
    for (std::uint64_t k = 0; k < n; ++k) m.store(k, k);
    using leaf = syncmap::detail::leaf<syncmap::detail::inline_slot<std::uint64_t, std::uint64_t>>;
    const std::size_t span = leaf::max_used_for(leaf::default_groups);
    for (int trial = 0; trial < 60; ++trial) {
        const bool returns_bool = trial % 2 == 1;
        const std::size_t stop_after = trial < 2 ? 1 : 1 + rng() % (n - 1);
        std::stop_source stop;
        std::vector<std::uint64_t> yielded;
        syncmap::traversal_stats st;
        auto record = [&](std::uint64_t k) {
            yielded.push_back(k);
            if (yielded.size() == stop_after) stop.request_stop();
        };
        const cursor c = returns_bool ? m.range(
                                            [&](std::uint64_t k, std::uint64_t) {
                                                record(k);
                                                return true;
                                            },
                                            stop.get_token(), &st)
                                      : m.range([&](std::uint64_t k, std::uint64_t) { record(k); }, stop.get_token(), &st);
        ASSERT_GE(yielded.size(), stop_after);
        if (returns_bool) {
            ASSERT_EQ(yielded.size(), stop_after) << "trial " << trial << ": callbacks after the stop was requested";
        } else {
            ASSERT_LT(yielded.size() - stop_after, span) << "trial " << trial;
        }
        EXPECT_EQ(st.entries_yielded, yielded.size());
        if (c.done()) continue;  // the request came in the last leaf
        // The cursor sits past everything offered, with nothing skipped.
        std::set<std::uint64_t> seen(yielded.begin(), yielded.end());
        ASSERT_EQ(seen.size(), yielded.size());
        EXPECT_EQ(c.tiebreak(), 0u) << "no two keys share a hash here";
        for (std::uint64_t k : yielded) ASSERT_LT(hash_in(m, k), c.position());
        std::size_t below = 0;
        for (std::uint64_t k = 0; k < n; ++k) below += hash_in(m, k) < c.position() ? 1 : 0;
        EXPECT_EQ(below, yielded.size()) << "keys below the cursor were skipped";
        std::size_t rest = 0;
        const cursor end = m.scan(c, n, [&](std::uint64_t k, std::uint64_t) {
            ++rest;
            EXPECT_EQ(seen.count(k), 0u);
        });
        EXPECT_TRUE(end.done());
        EXPECT_EQ(yielded.size() + rest, n);
    }
}

TEST(CancellableRange, CallbackReturningFalseStopsAtOnce) {
    std::mt19937_64 rng(9);
    map_type m(rng());
    constexpr std::uint64_t n = 5000;
    for (std::uint64_t k = 0; k < n; ++k) m.store(k, k);
    for (std::size_t k : {std::size_t{1}, std::size_t{2}, std::size_t{111}, std::size_t{112}, std::size_t{113},
                          std::size_t{2500}, std::size_t{n - 1}, std::size_t{n}}) {
        SCOPED_TRACE("stop after " + std::to_string(k));
        std::size_t calls = 0;
        std::uint64_t last = 0;
        syncmap::traversal_stats st;
        const cursor c = m.range(
            [&](std::uint64_t key, std::uint64_t) {
                last = key;
                return ++calls < k;
            },
            std::stop_token{}, &st);
        EXPECT_EQ(calls, k);
        EXPECT_EQ(st.entries_yielded, k);
        // The cursor resumes right after the last key offered.
        if (hash_in(m, last) == ~std::uint64_t{0}) {
            EXPECT_TRUE(c.done());
        } else {
            EXPECT_EQ(c.position(), hash_in(m, last) + 1);
        }
        std::size_t rest = 0;
        for (cursor r = c; !r.done();) r = m.scan(r, 700, [&](std::uint64_t, std::uint64_t) { ++rest; });
        EXPECT_EQ(k + rest, n);
        // The plain range() stops at once too.
        std::size_t plain = 0;
        m.range([&](std::uint64_t, std::uint64_t) { return ++plain < k; });
        EXPECT_EQ(plain, k);
        // And a scan chunk: false ends the chunk after that key.
        std::size_t in_chunk = 0;
        std::uint64_t last_in_chunk = 0;
        const cursor after = m.scan({}, n, [&](std::uint64_t key, std::uint64_t) {
            last_in_chunk = key;
            return ++in_chunk < k;
        });
        EXPECT_EQ(in_chunk, k);
        EXPECT_EQ(last_in_chunk, last) << "a chunk offers the same order as the cancellable range";
        EXPECT_EQ(after, c);
    }
}


// ---- C5/B1: cursors no map produced ---------------------------------------------------------

// The bytes of a cursor, for building ones that no map makes (a cursor is trivially copyable,
// so a program may store and reload its bytes instead of its text).
cursor cursor_from_bytes(std::uint64_t position, std::uint32_t tag, std::uint8_t flags, std::uint64_t tiebreak = 0) {
    cursor c;
    static_assert(sizeof(cursor) == 24);
    unsigned char bytes[sizeof(cursor)] = {};
    std::memcpy(bytes, &position, 8);
    std::memcpy(bytes + 8, &tiebreak, 8);
    std::memcpy(bytes + 16, &tag, 4);
    bytes[20] = flags;
    std::memcpy(static_cast<void*>(&c), bytes, sizeof c);
    return c;
}

// "smc1-00000000-0000000000000000-02-0e" (done flag without the bound flag, tag 0, valid
// check byte) parsed, and every scan() then reported the pass done having offered nothing.
// A done cursor must carry the map's tag like any other; text and bytes are both checked.
TEST(CursorRejection, CraftedDoneCursorsAreRejectedByEveryScan) {
    watched_map w;
    const auto snap = w.m.snapshot();
    w.stats_before = w.m.stats();
    std::size_t calls = 0;
    auto count = [&](std::uint64_t, std::uint64_t) { ++calls; };
    // A genuine done cursor of the map, and its tag, to build near-misses from.
    cursor genuine_done;
    while (!genuine_done.done()) genuine_done = w.m.scan(genuine_done, 1000, ignore);
    const std::uint32_t tag = genuine_done.tag();
    ASSERT_EQ(cursor::from_string(genuine_done.to_string()), genuine_done);

    const std::string crafted = "smc1-00000000-0000000000000000-02-0e";
    expect_rejected([&] { (void)cursor::from_string(crafted); }, {"done cursor without a map tag", crafted}, crafted);

    struct forged_case {
        cursor c;
        const char* why;
    };
    const forged_case forged[] = {
        {cursor_from_bytes(0, 0, 2), "done cursor without a map tag"},
        {cursor_from_bytes(0, tag, 2), "done cursor without a map tag"},
        {cursor_from_bytes(12345, 0, 2), "done cursor without a map tag"},
        {cursor_from_bytes(12345, tag, 3), "done cursor with a position"},
        {cursor_from_bytes(0, 0, 4), "unknown flags"},
        {cursor_from_bytes(0, tag, 0), "unbound cursor with a position"},
        {cursor_from_bytes(0, 0, 0, 7), "unbound cursor with a position"},
        {cursor_from_bytes(0, tag, 3, 7), "done cursor with a position"},
        {cursor_from_bytes(0, 0, 2, 7), "done cursor without a map tag"},
    };
    for (const auto& f : forged) {
        const std::string text = f.c.to_string();
        SCOPED_TRACE(text);
        expect_rejected([&] { w.m.scan(f.c, 10, count); }, {"syncmap::sync_map::scan", "not produced", f.why, text},
                        text);
        expect_rejected([&] { snap.scan(f.c, 10, count); },
                        {"syncmap::sync_map::snapshot_type::scan", "not produced", f.why, text}, text);
        // Its text form is rejected too, whatever check byte comes with it.
        for (unsigned cc = 0; cc < 256; ++cc) {
            char hex[3];
            std::snprintf(hex, sizeof hex, "%02x", cc);
            const std::string t = text.substr(0, 51) + hex;
            EXPECT_THROW((void)cursor::from_string(t), invalid_cursor) << t;
        }
    }
    // A bound done cursor of tag 0 (make() never gives a map tag 0 here) belongs to no one.
    const cursor tag0_done = cursor::make(0, 0, 0, true);
    expect_rejected([&] { w.m.scan(tag0_done, 10, count); }, {"another map", tag0_done.to_string()},
                    tag0_done.to_string());
    expect_rejected([&] { snap.scan(tag0_done, 10, count); }, {"another map", tag0_done.to_string()},
                    tag0_done.to_string());
    // The snapshot's done cursor is not the map's, and the other way round.
    cursor snap_done;
    while (!snap_done.done()) snap_done = snap.scan(snap_done, 1000, ignore);
    expect_rejected([&] { w.m.scan(snap_done, 10, count); }, {"another map"}, snap_done.to_string());
    expect_rejected([&] { snap.scan(genuine_done, 10, count); }, {"another map"}, genuine_done.to_string());
    EXPECT_EQ(calls, 0u);
    w.expect_unchanged();
    // Genuine cursors still work: a done one ends the pass, the start cursor starts one.
    EXPECT_EQ(w.m.scan(genuine_done, 10, count), genuine_done);
    EXPECT_EQ(snap.scan(snap_done, 10, count), snap_done);
    EXPECT_EQ(calls, 0u);
    EXPECT_FALSE(w.m.scan(cursor{}, 10, count).done());
    EXPECT_GE(calls, 10u);
}

}  // namespace
