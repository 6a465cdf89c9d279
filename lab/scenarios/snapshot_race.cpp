// Scenario snapshot-race: snapshot() calls back to back against writers on a few hot keys.
//
// The first write to a leaf after a snapshot must preserve the leaf's state for it, and
// must decide so, and stamp itself with the version clock, inside the writer gate that
// snapshot() closes to bump the clock: a write that reads the clock, or decides that no
// snapshot lives, before entering the gate races the snapshot that appears meanwhile.
// These races are short (the writer's few steps between the decision and the gate), so
// this scenario makes them frequent: `n` keys (default 64, one or two leaves of sync_map)
// written by every writer (two more than the thread count) as fast as it can with store, erase, load_or_store and exchange,
// so that keys are erased and brought back by load_or_store while snapshots live; one
// thread takes snapshots one at a time, each kept alive a few microseconds while the
// writers go on, re-read, and destroyed, with a few microseconds without any snapshot
// before the next (the "no snapshot lives" state is the one a racing write can wrongly
// keep). Checks:
//   S1  each snapshot's contents (read right after snapshot() returned) are explained by
//       one instant within its snapshot() call (window_checker.hpp);
//   S2  just before it is destroyed, its size(), iterators, range(), load() and contains()
//       agree with those contents (a write that should have preserved the leaf for it
//       changes what it shows);
//   L1  every key's history of point operations is linearizable (no clear here).
//
// A second phase makes the race certain instead of frequent: one thread holds what writers
// wait for (hold_writers_of an absent key: sync_map's leaf lock, inside a compute that
// writes nothing), `threads` writers start writes of keys of the same leaf (a map of 17
// keys at most is one leaf) and stall at that lock,
// after every step a write takes before its lock; a snapshot is taken and read meanwhile;
// then the holder lets go, the stalled writes commit, and the snapshot must still show
// what it showed (S2). A write that decided "no snapshot lives", or read the clock, before
// its lock fails here in every trial where it had reached the lock in time.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "../core/linearizability.hpp"
#include "../core/window_checker.hpp"
#include "scenarios.hpp"

namespace syncmap::lab {

namespace {

// Operations per run, all writers together: enough for thousands of snapshots to race
// them, few enough that checking L1 over 64 hot keys stays quick.
constexpr std::uint64_t race_ops_per_run = 120000;

// Busy-waits about `ns` nanoseconds (pacing: the writers run meanwhile on other cores).
void spin_for(timestamp ns) {
    const timestamp until = now() + ns;
    while (now() < until) {
    }
}

// The stalled-writer phase: trials per run, and the keys of its map (one leaf).
constexpr std::uint64_t stalled_trials_per_run = 120;
constexpr key_type stalled_keys = 16;
// How long the snapshot's thread lets the writers reach the held lock before snapshot().
constexpr timestamp stalled_reach_ns = 40'000;

// What a stalled writer does to its key: the last kind inserts (the key is erased before
// the trial), the others change a present key. A kind the map lacks falls back to store.
enum class stalled_kind : unsigned { erase, load_and_delete, compare_and_delete, store, exchange, compare_and_swap, insert };
constexpr unsigned stalled_kind_count = 7;

void stalled_write(map_adapter& map, const capabilities& caps, stalled_kind kind, key_type k, value_type present,
                   value_type fresh) {
    switch (kind) {
        case stalled_kind::erase:
            if (caps.has(op_kind::erase)) return void(map.erase(k));
            break;
        case stalled_kind::load_and_delete:
            if (caps.has(op_kind::load_and_delete)) return void(map.load_and_delete(k));
            break;
        case stalled_kind::compare_and_delete:
            if (caps.has(op_kind::compare_and_delete)) return void(map.compare_and_delete(k, present));
            break;
        case stalled_kind::store: break;
        case stalled_kind::exchange:
            if (caps.has(op_kind::exchange)) return void(map.exchange(k, fresh));
            break;
        case stalled_kind::compare_and_swap:
            if (caps.has(op_kind::compare_and_swap)) return void(map.compare_and_swap(k, present, fresh));
            break;
        case stalled_kind::insert:
            if (caps.has(op_kind::load_or_store)) return void(map.load_or_store(k, fresh));
            break;
    }
    map.store(k, fresh);
}

// Runs the stalled-writer phase on a map of its own; adds to `s2` and `comparisons`.
// Returns the number of trials.
std::uint64_t run_stalled_writers(const adapter_entry& e, const scenario_config& cfg, clause_tally& s2,
                                  std::uint64_t& comparisons) {
    auto map = e.make();
    const capabilities caps = map->caps();
    const unsigned writers = std::min<unsigned>(std::max(cfg.threads, 1u), stalled_keys);
    std::mt19937_64 rng(cfg.seed ^ 0x57a11edULL);
    std::uint64_t trials = 0;
    const timestamp deadline = now() + static_cast<timestamp>(cfg.seconds * 1e9);
    for (; trials < stalled_trials_per_run && now() < deadline; ++trials) {
        const value_type base = (trials + 1) << 8;  // every trial writes values of its own
        for (key_type k = 0; k < stalled_keys; ++k) map->store(k, base + k);
        std::vector<key_type> order(stalled_keys);
        for (key_type k = 0; k < stalled_keys; ++k) order[k] = k;
        std::shuffle(order.begin(), order.end(), rng);
        // Absent, so that holding it commits nothing: a commit by the holder would
        // preserve the leaf for the snapshot itself and hide the stalled writes' mistakes.
        const key_type held = stalled_keys;
        std::vector<stalled_kind> kinds(writers);
        for (unsigned w = 0; w < writers; ++w) {
            kinds[w] = static_cast<stalled_kind>(rng() % stalled_kind_count);
            if (kinds[w] == stalled_kind::insert && caps.can_delete()) {
                if (caps.has(op_kind::erase)) {
                    map->erase(order[w]);
                } else {
                    (void)map->load_and_delete(order[w]);
                }
            }
        }

        std::atomic<bool> holding{false};
        std::atomic<bool> release{false};
        std::thread holder([&] {
            map->hold_writers_of(held, [&] {
                holding.store(true, std::memory_order_release);
                while (!release.load(std::memory_order_acquire)) std::this_thread::yield();
            });
        });
        while (!holding.load(std::memory_order_acquire)) std::this_thread::yield();
        std::vector<std::thread> stalled;
        stalled.reserve(writers);
        for (unsigned w = 0; w < writers; ++w) {
            const key_type k = order[w];
            stalled.emplace_back([&, w, k] { stalled_write(*map, caps, kinds[w], k, base + k, base + 100 + k); });
        }
        // Let them reach the lock (yielding: on 2 cores they need this thread's core).
        const timestamp until = now() + stalled_reach_ns;
        while (now() < until) std::this_thread::yield();

        std::unique_ptr<snapshot_view> view = map->snapshot();
        items contents;
        view->iterate([&](key_type k, value_type v) {
            contents.emplace_back(k, v);
            return true;
        });
        contents = sorted(std::move(contents));
        release.store(true, std::memory_order_release);
        holder.join();
        for (std::thread& t : stalled) t.join();
        const std::string why = s2_disagreement(*view, contents, stalled_keys, rng, comparisons);
        ++s2.checks;
        s2.item_checks += contents.size();
        if (!why.empty()) {
            ++s2.violations;
            ++s2.item_violations;
            s2.example("snapshot taken while " + std::to_string(writers) +
                       " writes stalled at a held lock, after they committed: " + why);
        }
    }
    return trials;
}

}  // namespace

std::vector<scenario_result> run_snapshot_race(const adapter_entry& e, const scenario_config& cfg) {
    auto map = e.make();
    const capabilities caps = map->caps();
    const char* name = "snapshot-race";
    if (!caps.concurrent) return {unsupported(name, e, cfg.threads, "single-threaded map")};
    if (!caps.snapshot) return {unsupported(name, e, cfg.threads, "no snapshot()")};

    using clock = std::chrono::steady_clock;
    const std::size_t n = cfg.keys ? cfg.keys : 64;
    scenario_result r = result_for(name, e, cfg.threads);

    op_mix mix;
    mix.weight[static_cast<std::size_t>(op_kind::store)] = 30;
    mix.weight[static_cast<std::size_t>(op_kind::erase)] = 30;
    mix.weight[static_cast<std::size_t>(op_kind::load_or_store)] = 30;
    mix.weight[static_cast<std::size_t>(op_kind::exchange)] = 10;
    mix = mix.restricted_to(caps);

    // Snapshots per run: bounded so the history stays small (n entries each).
    const std::size_t max_snapshots = std::max<std::size_t>(cfg.max_traversals * 40, 100);
    // Two writers more than the thread count: even at 1 thread on 2 cores, writers are
    // preempted in the middle of a write, so a snapshot can read a leaf between a racing
    // write's decision and its stores (the state the S2 re-read then contradicts).
    const unsigned writers = cfg.threads + 2;
    const std::uint64_t ops_per_writer = cfg.ops_per_thread ? cfg.ops_per_thread : race_ops_per_run / writers;
    std::atomic<unsigned> writers_done{0};
    std::atomic<std::uint64_t> taken{0};
    std::atomic<bool> snapshots_over{false};
    constexpr std::uint64_t ops_per_snapshot = 16;  // per writer
    clause_tally s2;
    std::uint64_t comparisons = 0;
    std::vector<timestamp> call_ns;
    std::mt19937_64 check_rng(cfg.seed ^ 0x7ace7aceULL);

    run_limits limits;
    limits.seconds = cfg.seconds;
    const auto t0 = clock::now();
    history h = run_threads(*map, writers + 1, cfg.seed, limits, {}, [&](worker_context& ctx) {
        if (ctx.index < writers) {
            for (std::uint64_t i = 0; i < ops_per_writer && !ctx.stopping(); ++i) {
                // At most ops_per_snapshot ahead of the snapshots, so that neither side runs
                // away from the other however the cores are shared.
                while (i >= (taken.load(std::memory_order_relaxed) + 1) * ops_per_snapshot &&
                       !snapshots_over.load(std::memory_order_relaxed) && !ctx.stopping())
                    std::this_thread::yield();
                ctx.rec.execute(mix(ctx.rng), ctx.rng() % n);
            }
            writers_done.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        for (std::size_t i = 0; i < max_snapshots && !ctx.stopping() &&
                                writers_done.load(std::memory_order_relaxed) < writers;
             ++i) {
            traversal_record rec;
            rec.kind = traversal_kind::snapshot;
            rec.thread = ctx.rec.thread();
            rec.start = now();
            std::unique_ptr<snapshot_view> view = ctx.rec.map().snapshot();
            rec.end = now();
            call_ns.push_back(rec.end - rec.start);
            rec.items.reserve(n);
            view->iterate([&](key_type k, value_type v) {
                rec.items.emplace_back(k, v);
                return true;
            });
            const items contents = sorted(rec.items);
            ctx.rec.log().traversals.push_back(std::move(rec));
            // Alive while the writers go on; the yield lets a writer preempted in the middle
            // of a write finish it before the re-read.
            std::this_thread::yield();
            spin_for(1000 + ctx.rng() % 3000);
            const std::string why = s2_disagreement(*view, contents, n, check_rng, comparisons);
            ++s2.checks;
            s2.item_checks += contents.size();
            if (!why.empty()) {
                ++s2.violations;
                ++s2.item_violations;
                s2.example("snapshot of " + std::to_string(contents.size()) + " entries, before destruction: " + why);
            }
            view.reset();
            taken.fetch_add(1, std::memory_order_relaxed);
            spin_for(500 + ctx.rng() % 1500);  // no snapshot alive
        }
        snapshots_over.store(true, std::memory_order_relaxed);
    });
    map.reset();
    const std::uint64_t stalled_trials = caps.hold_writers ? run_stalled_writers(e, cfg, s2, comparisons) : 0;

    r.ops = h.ops.size();
    r.traversals = h.traversals.size();
    const window_checker windows(h, cfg.skew);
    clause_tally s1;
    for (const traversal_record& t : h.traversals) windows.check_snapshot(t, s1);
    r.add(clause::S1, s1);
    r.add(clause::S2, s2);
    l1_options options;
    options.skew = cfg.skew;
    r.add(clause::L1, check_linearizability(h.ops, options).tally);

    r.metric("snapshots", static_cast<double>(h.traversals.size()));
    r.metric("S2 comparisons", static_cast<double>(comparisons));
    if (caps.hold_writers) r.metric("stalled-writer trials", static_cast<double>(stalled_trials));
    if (!call_ns.empty()) {
        std::sort(call_ns.begin(), call_ns.end());
        r.metric("snapshot() median ns", static_cast<double>(call_ns[call_ns.size() / 2]));
    }
    r.seconds = std::chrono::duration<double>(clock::now() - t0).count();
    return {std::move(r)};
}

}  // namespace syncmap::lab
