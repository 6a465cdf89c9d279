// The reader/writer protocol of one sync_map leaf, under a deterministic scheduler.
//
// SYNCMAP_SCHEDULE_POINT() (schedule_point.hpp) sits between the shared-memory steps of
// the protocol: control-word and slot loads and stores, the copy-on-write link and the
// written_at stamp, state_at and the unchanged_since re-check. This test defines it to
// hand a baton between real threads (protocol_schedule.hpp): one writer thread and one
// or two reader threads run on one real sync_map (fixed seed, at most nine keys, so the
// map's single leaf never restructures; some scenarios use a constant hash so that every
// key probes the same group with the same h2 byte), and at every point a strategy picks
// which thread goes on. Each execution is sequentially consistent and reproducible from
// its choices. Two strategies:
//   - exhaustive DFS over every schedule with at most 3 preemptions (2 in sanitizer
//     builds), for the two-thread scenarios: every schedule of the bound, none sampled;
//   - seeded PCT (random priorities, depth 3), 3000 schedules per scenario and storage
//     (1000 in sanitizer builds), for the three-thread scenarios.
// Both storages throughout: sync_map<u64, u64> keeps entries inline, storage::nodes puts
// them behind node pointers.
//
// What each execution checks (every operation is stamped with the event clock at its
// start and end; the writer is one thread, so each key's states are a sequence):
//   load(k)          returns a state k had at some instant of the load: never a value k
//                    never held (another key's value, an unwritten slot), and never
//                    "absent" while k was present throughout;
//   range()          no key twice; every key present throughout is visited; each value
//                    visited was the key's value at some instant; no key absent throughout;
//   snapshot         taken before the writes: load, range and iteration give exactly its
//                    contents, whatever the writer does meanwhile (preserving a copy of the
//                    leaf in the middle of the read).
//
// The test bites. Each break below was made by hand in include/, one at a time, and the
// scenarios listed failed (scenario/storage, as printed; then the break was reverted):
//   (a) inline insert_at publishes the control byte before fill() writes key and value
//       -> insert_vs_load, erase_reinsert_vs_load, erase_reinsert_vs_range, collide_vs_range,
//          collide_erase_insert_vs_load, collide_full_group_vs_range/_vs_load (all inline),
//          live_3threads inline and inl-col: a load or a range met the unwritten value 0.
//   (b) read_leaf without the unchanged_since re-check
//       -> snapshot_load, snapshot_range, snapshot_iterate, collide_snapshot_load,
//          snapshot_chain_load, snapshot_chain_range, snapshot_3threads (inline and nodes):
//          the snapshot saw a write made after it.
//   (c) written_at stamped after the slot stores instead of before them
//       -> the same seven snapshot scenarios, inline and nodes.
//   (c') the copy linked (`before`) after written_at is stamped
//       -> snapshot_load crashes (state_at follows a null `before`); the crash handler
//          names the scenario and schedule.
//   (d) inline_slot::reuse_deleted = true (an erased inline slot reused for another key)
//       -> collide_erase_insert_vs_load, collide_vs_range, collide_full_group_vs_range,
//          collide_full_group_vs_load (inline), live_3threads inl-col: load(1) matched key
//          1's slot, then read key 5's value.
//   (e) node-slot match by hash only (no key comparison) in find_in / visit_in
//       -> collide_erase_insert_vs_load, collide_snapshot_load, collide_full_group_vs_load
//          (nodes), live_3threads nod-col: another key's value under an equal hash (this
//          one shows without any preemption: with equal full hashes the key comparison is
//          the only check).
//   (f) range without its duplicate removal (collect's may_repeat forced false)
//       -> collide_full_group_vs_range, inline and nodes: key 1 visited twice.
//   (g) read_leaf re-reads the live leaf, not state_at's copy, after a failed re-check
//       -> the seven snapshot scenarios, inline and nodes.
// Weakening a memory order (acquire to relaxed, dropping the fence) is out of reach of any
// sequentially consistent scheduler; TSan runs this test in CI for that.

#include "protocol_schedule.hpp"

#define SYNCMAP_SCHEDULE_POINT() ::proto::schedule_point()

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <signal.h>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "syncmap/sync_map.hpp"

namespace {

using proto::sanitized;

using u64 = std::uint64_t;

// Values name their key: value(k, version) / 1000 == k, and 0 is never a value.
constexpr u64 value(u64 key, u64 version) { return key * 1000 + version; }

// Every key hashes the same: one probe sequence, equal h2 bytes, equal full hashes.
struct constant_hash {
    u64 operator()(u64, u64) const noexcept { return 0x5bd1e9955bd1e995ULL; }
};

using inline_map = syncmap::sync_map<u64, u64>;
using node_map = syncmap::sync_map<u64, u64, syncmap::hash<u64>, std::equal_to<u64>, syncmap::storage::nodes>;
using inline_collide = syncmap::sync_map<u64, u64, constant_hash, std::equal_to<u64>, syncmap::storage::inline_entries>;
using node_collide = syncmap::sync_map<u64, u64, constant_hash, std::equal_to<u64>, syncmap::storage::nodes>;
static_assert(inline_map::inline_storage && inline_collide::inline_storage);
static_assert(!node_map::inline_storage && !node_collide::inline_storage);

constexpr u64 map_seed = 0x0123456789abcdefULL;

// ---- Scenarios -------------------------------------------------------------------------

enum class read_kind { load, range, snap_load, snap_range, snap_iterate };
struct read_op {
    read_kind kind;
    u64 key = 0;
    int snap = 0;  // snapshot reads: 0, the first snapshot; 1, the second
};
enum class write_kind { store, erase };
struct write_op {
    write_kind kind;
    u64 key;
    u64 val = 0;
};

struct scenario {
    std::string name;
    std::map<u64, u64> initial;
    bool snapshot = false;
    // With a snapshot: writes applied after it, before a second snapshot (then the first
    // snapshot reads a preserved copy, and the writes of the schedule chain another).
    std::vector<write_op> between;
    std::vector<write_op> writes;              // thread 0
    std::vector<std::vector<read_op>> readers;  // threads 1, 2
    int threads() const { return 1 + static_cast<int>(readers.size()); }
};

std::map<u64, u64> three() { return {{1, value(1, 1)}, {2, value(2, 1)}, {3, value(3, 1)}}; }
// With a constant hash: fills the home group, so a key inserted now goes to the next group.
std::map<u64, u64> eight() {
    std::map<u64, u64> m;
    for (u64 k = 1; k <= 8; ++k) m[k] = value(k, 1);
    return m;
}
write_op store(u64 k, u64 version) { return {write_kind::store, k, value(k, version)}; }
write_op erase(u64 k) { return {write_kind::erase, k}; }
read_op load(u64 k) { return {read_kind::load, k}; }
read_op snap_load(u64 k, int snap = 0) { return {read_kind::snap_load, k, snap}; }
constexpr read_op range{read_kind::range};
constexpr read_op snap_range{read_kind::snap_range};
constexpr read_op snap_iterate{read_kind::snap_iterate};
constexpr read_op snap2_range{read_kind::snap_range, 0, 1};

// Writes to a snapshot-visible leaf: the first preserves a copy, the others change the
// leaf after it (update, erase, insert).
std::vector<write_op> overwrite() { return {store(1, 2), erase(2), store(4, 1)}; }

// ---- One execution -----------------------------------------------------------------------

struct write_record {
    u64 key;
    u64 start, end;
    std::optional<u64> after;
};
struct read_record {
    read_op op;
    u64 start = 0, end = 0;
    std::optional<u64> found;
    std::vector<std::pair<u64, u64>> entries;
};

std::string show(const std::optional<u64>& v) { return v ? std::to_string(*v) : std::string("absent"); }

class history {
public:
    history(const scenario& sc) : sc_(sc) {
        snap_contents_[0] = sc.initial;
        snap_contents_[1] = sc.initial;
        for (const write_op& w : sc.between) {
            if (w.kind == write_kind::store) {
                snap_contents_[1][w.key] = w.val;
            } else {
                snap_contents_[1].erase(w.key);
            }
        }
        // The live map starts where the second snapshot (if any) was taken.
        start_ = sc.between.empty() ? sc.initial : snap_contents_[1];
        for (const auto& [k, v] : start_) keys_.insert(k);
        for (const write_op& w : sc.between) keys_.insert(w.key);
        for (const write_op& w : sc.writes) keys_.insert(w.key);
    }

    std::vector<write_record> writes;
    std::vector<std::vector<read_record>> reads;

    // The states key k may be observed in by a read that ran over [a, b]: state j (0: the
    // initial one; j > 0: after the j-th write to k) if write j started before b and write
    // j+1 (if any) ended after a.
    std::vector<std::optional<u64>> allowed(u64 k, u64 a, u64 b) const {
        std::vector<std::optional<u64>> states;
        std::vector<const write_record*> ws;
        for (const write_record& w : writes) {
            if (w.key == k) ws.push_back(&w);
        }
        std::optional<u64> state = initial_of(k);
        for (std::size_t j = 0; j <= ws.size(); ++j) {
            if (j > 0) state = ws[j - 1]->after;
            const bool begun = j == 0 || ws[j - 1]->start < b;
            const bool not_over = j == ws.size() || ws[j]->end > a;
            if (begun && not_over) states.push_back(state);
        }
        return states;
    }

    // Empty if every read is consistent with the history, else what went wrong.
    std::string check() const {
        std::ostringstream err;
        for (const auto& thread_reads : reads) {
            for (const read_record& r : thread_reads) check_one(r, err);
        }
        return err.str();
    }

private:
    std::optional<u64> initial_of(u64 k) const {
        auto it = start_.find(k);
        if (it == start_.end()) return std::nullopt;
        return it->second;
    }
    std::optional<u64> in_snapshot(int snap, u64 k) const {
        const std::map<u64, u64>& m = snap_contents_[snap];
        auto it = m.find(k);
        if (it == m.end()) return std::nullopt;
        return it->second;
    }

    void check_one(const read_record& r, std::ostringstream& err) const {
        switch (r.op.kind) {
        case read_kind::load: {
            const auto ok = allowed(r.op.key, r.start, r.end);
            if (r.found && *r.found / 1000 != r.op.key) {
                err << "load(" << r.op.key << ") returned " << *r.found << ", a value of key " << *r.found / 1000 << "; ";
            } else if (std::find(ok.begin(), ok.end(), r.found) == ok.end()) {
                err << "load(" << r.op.key << ") returned " << show(r.found) << ", a state the key did not have during the load; ";
            }
            break;
        }
        case read_kind::range: {
            std::map<u64, int> seen;
            for (const auto& [k, v] : r.entries) {
                if (++seen[k] == 2) err << "range visited key " << k << " twice; ";
                if (!keys_.contains(k)) {
                    err << "range visited key " << k << " (value " << v << "), never stored; ";
                    continue;
                }
                const auto ok = allowed(k, r.start, r.end);
                if (v / 1000 != k) {
                    err << "range visited key " << k << " with value " << v << ", a value of key " << v / 1000 << "; ";
                } else if (std::find(ok.begin(), ok.end(), std::optional<u64>(v)) == ok.end()) {
                    err << "range visited key " << k << " with value " << v << ", not held during the range; ";
                }
            }
            for (u64 k : keys_) {
                if (seen.contains(k)) continue;
                const auto ok = allowed(k, r.start, r.end);
                if (std::find(ok.begin(), ok.end(), std::nullopt) == ok.end()) {
                    err << "range missed key " << k << ", present throughout; ";
                }
            }
            break;
        }
        case read_kind::snap_load: {
            const std::optional<u64> want = in_snapshot(r.op.snap, r.op.key);
            if (r.found != want) {
                err << "snapshot " << r.op.snap << " load(" << r.op.key << ") returned " << show(r.found) << ", the snapshot holds "
                    << (want ? std::to_string(*want) : std::string("absent")) << "; ";
            }
            break;
        }
        case read_kind::snap_range:
        case read_kind::snap_iterate: {
            std::vector<std::pair<u64, u64>> got = r.entries;
            std::sort(got.begin(), got.end());
            const std::map<u64, u64>& m = snap_contents_[r.op.snap];
            const std::vector<std::pair<u64, u64>> want(m.begin(), m.end());
            if (got != want) {
                err << "snapshot " << r.op.snap << (r.op.kind == read_kind::snap_range ? " range" : " iteration") << " gave {";
                for (const auto& [k, v] : r.entries) err << ' ' << k << ':' << v;
                err << " }, the snapshot holds {";
                for (const auto& [k, v] : want) err << ' ' << k << ':' << v;
                err << " }; ";
            }
            break;
        }
        }
    }

    const scenario& sc_;
    std::map<u64, u64> snap_contents_[2];
    std::map<u64, u64> start_;
    std::set<u64> keys_;
};

template <class Map>
std::string execute(const scenario& sc, proto::strategy& strategy, proto::worker_pool& pool, std::size_t& points) {
    Map map(map_seed);
    for (const auto& [k, v] : sc.initial) map.store(k, v);
    std::optional<typename Map::snapshot_type> snaps[2];  // destroyed before the map
    if (sc.snapshot) {
        snaps[0].emplace(map.snapshot());
        for (const write_op& w : sc.between) {
            if (w.kind == write_kind::store) {
                map.store(w.key, w.val);
            } else {
                map.erase(w.key);
            }
        }
        if (!sc.between.empty()) snaps[1].emplace(map.snapshot());
    }

    history h(sc);
    h.reads.resize(sc.readers.size());
    proto::baton baton(sc.threads(), strategy);
    baton.begin();
    pool.run([&](int id) {
        if (id >= sc.threads()) return;
        baton.arrive(id);
        if (id == 0) {
            for (const write_op& w : sc.writes) {
                write_record rec{w.key, baton.tick(), 0, std::nullopt};
                proto::schedule_point();  // see below
                if (w.kind == write_kind::store) {
                    map.store(w.key, w.val);
                    rec.after = w.val;
                } else {
                    map.erase(w.key);
                }
                rec.end = baton.tick();
                h.writes.push_back(rec);
            }
        } else {
            for (const read_op& op : sc.readers[static_cast<std::size_t>(id - 1)]) {
                read_record rec{op, 0, 0, std::nullopt, {}};
                rec.start = baton.tick();
                // A point at the start of each operation: otherwise an operation's first
                // steps (up to its first point inside syncmap) would run glued to the end
                // of the thread's previous operation.
                proto::schedule_point();
                const auto& snap = snaps[op.snap];
                switch (op.kind) {
                case read_kind::load: rec.found = map.load(op.key); break;
                case read_kind::range:
                    map.range([&](const u64& k, const u64& v) { rec.entries.emplace_back(k, v); });
                    break;
                case read_kind::snap_load: rec.found = snap->load(op.key); break;
                case read_kind::snap_range:
                    snap->range([&](const u64& k, const u64& v) { rec.entries.emplace_back(k, v); });
                    break;
                case read_kind::snap_iterate:
                    for (auto it = snap->begin(); it != snap->end(); ++it) rec.entries.emplace_back(it->first, it->second);
                    break;
                }
                rec.end = baton.tick();
                h.reads[static_cast<std::size_t>(id - 1)].push_back(std::move(rec));
            }
        }
        baton.depart();
    });
    points = baton.points();
    if (baton.overflow()) return "more than " + std::to_string(proto::baton::max_points) + " schedule points in one execution";
    return h.check();
}

// ---- Exploration -------------------------------------------------------------------------

// A crash inside a schedule (a broken protocol may follow a null pointer) names the
// scenario and the schedule before the process dies.
// The handler then puts the previous one (a sanitizer's, or the default) back and
// returns: the faulting access runs again and the previous handler reports it as usual.
const char* crash_scenario = nullptr;
proto::strategy* crash_strategy = nullptr;
struct sigaction previous_segv {};
struct sigaction previous_bus {};

extern "C" void on_crash(int sig) {
    if (crash_scenario != nullptr && crash_strategy != nullptr) {
        std::fprintf(stderr, "protocol_schedule: signal %d in scenario %s (%s)\n", sig, crash_scenario,
                     crash_strategy->describe().c_str());
    }
    sigaction(sig, sig == SIGSEGV ? &previous_segv : &previous_bus, nullptr);
}

struct crash_report {
    crash_report(const std::string& name, proto::strategy& s) {
        crash_scenario = name.c_str();
        crash_strategy = &s;
        static const bool installed = [] {
            struct sigaction action {};
            action.sa_handler = on_crash;
            sigemptyset(&action.sa_mask);
            sigaction(SIGSEGV, &action, &previous_segv);
            sigaction(SIGBUS, &action, &previous_bus);
            return true;
        }();
        (void)installed;
    }
    ~crash_report() {
        crash_scenario = nullptr;
        crash_strategy = nullptr;
    }
};

struct tally {
    std::size_t schedules = 0;
    std::size_t points = 0;
    bool complete = false;
    bool failed = false;
};

void prepare_worker() { syncmap::detail::rcu_reader register_this_thread; }

// Every schedule of the scenario with at most `bound` preemptions, up to `cap` of them.
template <class Map>
tally explore_dfs(const scenario& sc, const char* storage, int bound, std::size_t cap) {
    proto::worker_pool pool(sc.threads(), prepare_worker);
    proto::dfs_strategy strategy(bound);
    const crash_report crash(sc.name, strategy);
    tally t;
    for (;;) {
        std::size_t points = 0;
        const std::string err = execute<Map>(sc, strategy, pool, points);
        ++t.schedules;
        t.points += points;
        if (!err.empty()) {
            ADD_FAILURE() << sc.name << "/" << storage << ": " << err << "(" << strategy.describe() << ")";
            t.failed = true;
            return t;
        }
        if (strategy.diverged()) {
            ADD_FAILURE() << sc.name << "/" << storage << ": a replayed schedule diverged (" << strategy.describe() << ")";
            t.failed = true;
            return t;
        }
        if (!strategy.next()) {
            t.complete = true;
            return t;
        }
        if (t.schedules >= cap) return t;
    }
}

// `runs` PCT schedules of depth 3, seeds seed, seed + 1, ...
template <class Map>
tally explore_pct(const scenario& sc, const char* storage, std::uint64_t seed, std::size_t runs) {
    proto::worker_pool pool(sc.threads(), prepare_worker);
    tally t;
    std::size_t steps = 0;
    {
        // One run without priority changes, to learn how many points an execution has.
        proto::pct_strategy probe(seed, sc.threads(), 1, 1);
        std::size_t points = 0;
        const std::string err = execute<Map>(sc, probe, pool, points);
        EXPECT_EQ(err, "") << sc.name << "/" << storage << " (" << probe.describe() << ")";
        steps = probe.steps();
        ++t.schedules;
        t.points += points;
    }
    for (std::size_t i = 0; i < runs; ++i) {
        proto::pct_strategy strategy(seed + i, sc.threads(), 3, steps);
        const crash_report crash(sc.name, strategy);
        std::size_t points = 0;
        const std::string err = execute<Map>(sc, strategy, pool, points);
        ++t.schedules;
        t.points += points;
        if (!err.empty()) {
            ADD_FAILURE() << sc.name << "/" << storage << ": " << err << "(" << strategy.describe() << ")";
            t.failed = true;
            return t;
        }
    }
    t.complete = true;
    return t;
}

void report(const scenario& sc, const char* storage, const char* how, const tally& t,
            std::chrono::steady_clock::duration took) {
    std::printf("  %-32s %-7s %-10s %7zu schedules%s, %8zu points, %6.2f s\n", sc.name.c_str(), storage, how, t.schedules,
                t.failed ? " (FAIL)" : t.complete ? " (all) " : " (cap) ", t.points,
                std::chrono::duration<double>(took).count());
}

// The cap on DFS schedules per scenario: the bound-2 enumerations stay below it; the
// sanitizer builds stop earlier (they run every schedule 5-20 times slower).
constexpr std::size_t dfs_cap = sanitized ? 3000 : 40000;
// The preemption bound of the exhaustive enumerations.
constexpr int bound = sanitized ? 2 : 3;
constexpr std::size_t pct_runs = sanitized ? 1000 : 3000;

template <class Map>
void dfs(const scenario& sc, const char* storage, int bound) {
    const auto t0 = std::chrono::steady_clock::now();
    const tally t = explore_dfs<Map>(sc, storage, bound, dfs_cap);
    char how[16];
    std::snprintf(how, sizeof how, "dfs<=%d", bound);
    report(sc, storage, how, t, std::chrono::steady_clock::now() - t0);
}

template <class Map>
void pct(const scenario& sc, const char* storage, std::uint64_t seed) {
    const auto t0 = std::chrono::steady_clock::now();
    const tally t = explore_pct<Map>(sc, storage, seed, pct_runs);
    report(sc, storage, "pct d=3", t, std::chrono::steady_clock::now() - t0);
}

// Both storages, one leaf (fixed seed, few keys).
void dfs_both(const scenario& sc, int bound) {
    dfs<inline_map>(sc, "inline", bound);
    dfs<node_map>(sc, "nodes", bound);
}

// The same, with the constant hash that puts every key in one probe sequence.
void dfs_both_colliding(const scenario& sc, int bound) {
    dfs<inline_collide>(sc, "inline", bound);
    dfs<node_collide>(sc, "nodes", bound);
}

// ---- Tests -------------------------------------------------------------------------------

TEST(ProtocolSchedule, InsertVsLoad) {
    dfs_both({"insert_vs_load", three(), false, {}, {store(4, 1)}, {{load(4), load(1)}}}, bound);
}

TEST(ProtocolSchedule, UpdateVsLoad) {
    dfs_both({"update_vs_load", three(), false, {}, {store(1, 2), store(1, 3)}, {{load(1), load(2)}}}, bound);
}

TEST(ProtocolSchedule, UpdateVsRange) {
    dfs_both({"update_vs_range", three(), false, {}, {store(1, 2), store(3, 2), store(1, 3)}, {{range}}}, bound);
}

TEST(ProtocolSchedule, EraseReinsertVsLoad) {
    dfs_both({"erase_reinsert_vs_load", three(), false, {}, {erase(1), store(1, 2)}, {{load(1), load(2)}}}, bound);
}

TEST(ProtocolSchedule, EraseReinsertVsRange) {
    dfs_both({"erase_reinsert_vs_range", three(), false, {}, {erase(1), store(1, 2), store(4, 1)}, {{range}}}, bound);
}

// The copy-on-write publication order: link the copy, stamp written_at, fence, then the
// slot stores; against state_at, the read, unchanged_since (read_leaf).
TEST(ProtocolSchedule, SnapshotLoadVsOverwrite) {
    dfs_both({"snapshot_load", three(), true, {}, overwrite(), {{snap_load(1), snap_load(2), snap_load(4)}}}, bound);
}

TEST(ProtocolSchedule, SnapshotRangeVsOverwrite) {
    dfs_both({"snapshot_range", three(), true, {}, overwrite(), {{snap_range}}}, bound);
}

TEST(ProtocolSchedule, SnapshotIterateVsOverwrite) {
    dfs_both({"snapshot_iterate", three(), true, {}, overwrite(), {{snap_iterate}}}, bound);
}

// A constant hash: every key probes the same group with the same h2 byte and the same full
// hash, so only the key comparison (and, inline, never reusing an erased slot) keeps a
// reader from another key's value when a slot changes hands.
TEST(ProtocolSchedule, CollidingEraseInsertVsLoad) {
    const scenario sc{"collide_erase_insert_vs_load", three(), false, {}, {erase(1), store(5, 1), store(1, 2)},
                      {{load(1), load(3)}}};
    dfs_both_colliding(sc, bound);
}

TEST(ProtocolSchedule, CollidingVsRange) {
    const scenario sc{"collide_vs_range", three(), false, {}, {erase(1), store(5, 1), store(1, 2)}, {{range}}};
    dfs_both_colliding(sc, bound);
}

TEST(ProtocolSchedule, CollidingSnapshotLoad) {
    const scenario sc{"collide_snapshot_load", three(), true, {}, {erase(1), store(5, 1), store(2, 2)},
                      {{snap_load(1), snap_load(2), snap_load(5)}}};
    dfs_both_colliding(sc, bound);
}

// A full home group: key 1, erased and re-inserted, moves to the next group of the probe
// sequence (inline slots are never reused; for nodes, key 9 takes the erased slot first),
// so a range that read the home group before the erase meets key 1 again in the next
// group, and must drop the duplicate. A load of key 8 (present throughout) probes past
// the changing group.
TEST(ProtocolSchedule, CollidingFullGroupVsRange) {
    const scenario sc{"collide_full_group_vs_range", eight(), false, {}, {erase(1), store(9, 1), store(1, 2)},
                      {{range}}};
    dfs_both_colliding(sc, bound);
}

TEST(ProtocolSchedule, CollidingFullGroupVsLoad) {
    const scenario sc{"collide_full_group_vs_load", eight(), false, {}, {erase(1), store(9, 1), store(1, 2)},
                      {{load(1), load(9), load(8)}}};
    dfs_both_colliding(sc, bound);
}

// Two snapshots: the first reads a preserved copy, the second the live leaf, and the
// scheduled writes preserve a second copy in front of the first (state_at walks the chain).
TEST(ProtocolSchedule, SnapshotChainLoad) {
    dfs_both({"snapshot_chain_load", three(), true, {store(1, 2), store(4, 1)}, {store(1, 3), erase(3), store(2, 2)},
              {{snap_load(1, 0), snap_load(4, 0), snap_load(1, 1), snap_load(3, 1)}}},
             bound);
}

TEST(ProtocolSchedule, SnapshotChainRange) {
    dfs_both({"snapshot_chain_range", three(), true, {store(1, 2), store(4, 1)}, {store(1, 3), erase(3), store(2, 2)},
              {{snap_range, snap2_range}}},
             bound);
}

// Three threads, randomized: a point reader and a traversal against one writer, on the
// live map and on a snapshot.
TEST(ProtocolSchedule, LiveThreeThreadsPct) {
    const scenario sc{"live_3threads", three(), false, {}, {erase(1), store(4, 1), store(1, 2), store(2, 2)},
                      {{load(1), load(4), load(2)}, {range}}};
    pct<inline_map>(sc, "inline", 1000);
    pct<node_map>(sc, "nodes", 2000);
    pct<inline_collide>(sc, "inl-col", 3000);
    pct<node_collide>(sc, "nod-col", 4000);
}

TEST(ProtocolSchedule, SnapshotThreeThreadsPct) {
    const scenario sc{"snapshot_3threads", three(), true, {}, {store(1, 2), erase(2), store(4, 1), store(2, 2)},
                      {{snap_load(1), snap_load(2), load(1)}, {snap_range, snap_iterate}}};
    pct<inline_map>(sc, "inline", 5000);
    pct<node_map>(sc, "nodes", 6000);
}

}  // namespace
