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
#include <algorithm>
#include <chrono>
#include <thread>

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

}  // namespace

std::vector<scenario_result> run_snapshot_race(const adapter_entry& e, const scenario_config& cfg) {
    auto map = e.make();
    const capabilities caps = map->caps();
    const char* name = "snapshot-race";
    if (!caps.concurrent) return {unsupported(name, e, cfg.threads, "single-threaded map")};
    if (!caps.snapshot) return {unsupported(name, e, cfg.threads, "no snapshot()")};

    using clock = std::chrono::steady_clock;
    const std::size_t n = cfg.keys ? cfg.keys : 64;
    scenario_result r;
    r.scenario = name;
    r.container = e.name;
    r.threads = cfg.threads;

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
    if (!call_ns.empty()) {
        std::sort(call_ns.begin(), call_ns.end());
        r.metric("snapshot() median ns", static_cast<double>(call_ns[call_ns.size() / 2]));
    }
    r.seconds = std::chrono::duration<double>(clock::now() - t0).count();
    return {std::move(r)};
}

}  // namespace syncmap::lab
