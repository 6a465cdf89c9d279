// Scenario snapshot-under-churn: snapshots taken while writers store, erase and clear.
//
// Writers run every point operation the map has over `n` keys (stores outnumber deletes,
// so the map fills to about two thirds), and writer 0 clears the map eight times per run,
// so the map keeps growing again from empty: leaf splits and directory growth happen
// between and during snapshot() calls. One thread takes snapshots, paced over the run:
//   S1  each snapshot's contents (read through its iterators) must be explained by one
//       instant within its snapshot() call (window_checker.hpp, after the run);
//   S2  right after it is taken, and again after four more snapshots (the live map has
//       meanwhile changed a lot, often been cleared), its size(), its iterators, its
//       range(), its load()/contains() of every entry and of absent keys, and (where it
//       has one) its chunked scan must agree with the contents first read;
//   C4  at both moments, a walk of the snapshot in chunks of random sizes (some ended
//       early by the callback) must yield exactly those contents, each entry once; a
//       walk that does not is a C4 violation and, disagreeing with the rest, an S2 one.
// Point operations are not checked for L1 here (the per-key checker does not model
// clear); point-ops and the range scenarios do that.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <deque>

#include "../core/window_checker.hpp"
#include "scenarios.hpp"

namespace syncmap::lab {

items sorted(items v) {
    std::sort(v.begin(), v.end());
    return v;
}

namespace {

std::string show(key_type k, std::optional<value_type> v) {
    char buf[64];
    if (v)
        std::snprintf(buf, sizeof buf, "%llu=%llx", static_cast<unsigned long long>(k), static_cast<unsigned long long>(*v));
    else
        std::snprintf(buf, sizeof buf, "%llu absent", static_cast<unsigned long long>(k));
    return buf;
}

// The first difference between two sorted item lists, described.
std::string difference(const items& expected, const items& got, const char* what) {
    std::size_t i = 0;
    while (i < expected.size() && i < got.size() && expected[i] == got[i]) ++i;
    std::string s = std::string(what) + " has " + std::to_string(got.size()) + " entries, the contents " +
                    std::to_string(expected.size());
    if (i < expected.size()) s += "; contents have " + show(expected[i].first, expected[i].second);
    if (i < got.size()) s += "; " + std::string(what) + " has " + show(got[i].first, got[i].second);
    return s;
}

}  // namespace

std::string s2_disagreement(const snapshot_view& s, const items& contents, std::size_t key_space,
                            std::mt19937_64& rng, std::uint64_t& comparisons) {
    comparisons += 3;
    if (s.size() != contents.size())
        return "size() is " + std::to_string(s.size()) + ", the contents have " + std::to_string(contents.size());
    items got;
    got.reserve(contents.size());
    s.iterate([&](key_type k, value_type v) {
        got.emplace_back(k, v);
        return true;
    });
    got = sorted(std::move(got));
    if (got != contents) return difference(contents, got, "iteration");
    got.clear();
    s.range([&](key_type k, value_type v) {
        got.emplace_back(k, v);
        return true;
    });
    got = sorted(std::move(got));
    if (got != contents) return difference(contents, got, "range()");
    for (const auto& [k, v] : contents) {
        comparisons += 2;
        const auto loaded = s.load(k);
        if (loaded != v) return "load(" + std::to_string(k) + ") gives " + show(k, loaded) + ", contents " + show(k, v);
        if (!s.contains(k)) return "contains(" + std::to_string(k) + ") is false, contents " + show(k, v);
    }
    // Keys the snapshot does not hold must stay absent.
    for (int probe = 0; probe < 32; ++probe) {
        const key_type k = rng() % key_space;
        const auto it = std::lower_bound(contents.begin(), contents.end(), std::pair<key_type, value_type>{k, 0});
        if (it != contents.end() && it->first == k) continue;
        comparisons += 2;
        if (const auto loaded = s.load(k)) return "load(" + std::to_string(k) + ") gives " + show(k, loaded) + ", contents have no such key";
        if (s.contains(k)) return "contains(" + std::to_string(k) + ") is true, contents have no such key";
    }
    return {};
}

namespace {

// C4: a chunked walk of `s` yields exactly `contents` (sorted), each entry once.
std::string c4_disagreement(const snapshot_view& s, const items& contents, std::size_t key_space,
                            std::mt19937_64& rng, std::uint64_t& calls) {
    items got;
    got.reserve(contents.size());
    scan_cursor c;
    const std::uint64_t limit = 4 * contents.size() + 64;  // a walk of n entries needs at most about 2n calls
    for (std::uint64_t call = 0; !c.done; ++call) {
        if (call == limit) return "the chunked walk did not end after " + std::to_string(limit) + " calls";
        const std::size_t chunk = random_chunk(rng, key_space);
        const bool stoppable = (rng() & 1) != 0;
        // Sometimes the callback ends the chunk early (only a stoppable call listens).
        const std::size_t stop_after = stoppable && rng() % 4 == 0 ? 1 + rng() % chunk : 0;
        std::size_t offered = 0;
        c = s.scan(c, chunk, [&](key_type k, value_type v) {
            got.emplace_back(k, v);
            return ++offered != stop_after;
        }, stoppable);
        ++calls;
    }
    got = sorted(std::move(got));
    for (std::size_t i = 1; i < got.size(); ++i)
        if (got[i].first == got[i - 1].first) return "the chunked walk offered key " + std::to_string(got[i].first) + " twice";
    if (got != contents) return difference(contents, got, "the chunked walk");
    return {};
}

}  // namespace

std::vector<scenario_result> run_snapshot_under_churn(const adapter_entry& e, const scenario_config& cfg) {
    auto map = e.make();
    const capabilities caps = map->caps();
    const char* name = "snapshot-under-churn";
    if (!caps.concurrent) return {unsupported(name, e, cfg.threads, "single-threaded map")};
    if (!caps.snapshot) return {unsupported(name, e, cfg.threads, "no snapshot()")};

    using clock = std::chrono::steady_clock;
    const std::size_t n = cfg.keys ? cfg.keys : 1024;
    scenario_result r = result_for(name, e, cfg.threads);
    r.variant = caps.clear ? "writes + clear" : "writes";
    if (!caps.clear) r.note = "no concurrent clear(): the map only grows and churns";
    if (!caps.snapshot_scan) r.note += std::string(r.note.empty() ? "" : "; ") + "no chunked snapshot scan (C4)";

    op_mix mix;
    mix.weight[static_cast<std::size_t>(op_kind::store)] = 40;
    mix.weight[static_cast<std::size_t>(op_kind::erase)] = 12;
    mix.weight[static_cast<std::size_t>(op_kind::load_and_delete)] = 12;
    mix.weight[static_cast<std::size_t>(op_kind::exchange)] = 10;
    mix.weight[static_cast<std::size_t>(op_kind::load_or_store)] = 10;
    mix.weight[static_cast<std::size_t>(op_kind::compare_and_swap)] = 10;
    mix.weight[static_cast<std::size_t>(op_kind::compare_and_delete)] = 6;
    mix = mix.restricted_to(caps);

    ranged_workload w;
    w.writers = cfg.threads;
    w.max_traversals = cfg.max_traversals;
    w.ops_per_writer = cfg.ops_per_thread;
    const auto clear_period = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(cfg.seconds / 8));
    clock::time_point next_clear{};
    std::uint64_t clears = 0;
    w.write_once = [&](worker_context& ctx) {
        if (caps.clear && ctx.index == 0) {
            const auto t = clock::now();
            if (next_clear == clock::time_point{}) next_clear = t + clear_period;
            if (t >= next_clear) {
                ctx.rec.clear();
                ++clears;
                next_clear += clear_period;
                return true;
            }
        }
        ctx.rec.execute(mix(ctx.rng), ctx.rng() % n);
        return true;
    };

    // The snapshots still alive, oldest first, each with the contents first read.
    struct held {
        std::unique_ptr<snapshot_view> view;
        items contents;
    };
    std::deque<held> alive;
    constexpr std::size_t keep_alive = 4;
    clause_tally s2, c4;
    std::uint64_t comparisons = 0, chunk_calls = 0;
    std::vector<timestamp> call_ns;
    std::size_t min_size = static_cast<std::size_t>(-1), max_size = 0;
    std::mt19937_64 check_rng(cfg.seed ^ 0x5eed5eedULL);

    // One verification of a snapshot: S2 (its answers agree with its contents, the chunked
    // walk included where it has one) and C4 (the chunked walk is exactly its contents).
    auto verify = [&](const held& h, const char* when) {
        const std::string prefix = "snapshot of " + std::to_string(h.contents.size()) + " entries, " + when + ": ";
        std::string s2_why = s2_disagreement(*h.view, h.contents, n, check_rng, comparisons);
        if (caps.snapshot_scan) {
            const std::string c4_why = c4_disagreement(*h.view, h.contents, n, check_rng, chunk_calls);
            ++c4.checks;
            c4.item_checks += h.contents.size();
            if (!c4_why.empty()) {
                ++c4.violations;
                ++c4.item_violations;
                c4.example(prefix + c4_why);
                if (s2_why.empty()) s2_why = c4_why;  // the scan disagrees with the rest: S2 too
            }
        }
        ++s2.checks;
        s2.item_checks += h.contents.size();
        if (!s2_why.empty()) {
            ++s2.violations;
            ++s2.item_violations;
            s2.example(prefix + s2_why);
        }
    };

    w.range_once = [&](worker_context& ctx) {
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
        min_size = std::min(min_size, rec.items.size());
        max_size = std::max(max_size, rec.items.size());
        held fresh{std::move(view), sorted(rec.items)};
        ctx.rec.log().traversals.push_back(std::move(rec));
        verify(fresh, "right after snapshot()");
        alive.push_back(std::move(fresh));
        if (alive.size() > keep_alive) {
            verify(alive.front(), "four snapshots later");
            alive.pop_front();
        }
    };

    const auto t0 = clock::now();
    const map_counters before = map->counters();
    history h = run_ranged(*map, w, cfg);
    for (const held& x : alive) verify(x, "at the end of the run");
    alive.clear();  // every snapshot dies before its map
    const map_counters after = map->counters();
    map.reset();

    r.ops = h.ops.size() + h.clears.size();
    r.traversals = h.traversals.size();
    const window_checker windows(h, cfg.skew);
    clause_tally s1;
    for (const traversal_record& t : h.traversals) windows.check_snapshot(t, s1);
    r.add(clause::S1, s1);
    r.add(clause::S2, s2);
    if (caps.snapshot_scan) r.add(clause::C4, c4);

    r.metric("snapshots", static_cast<double>(h.traversals.size()));
    r.metric("clears", static_cast<double>(clears));
    if (!h.traversals.empty()) {
        r.metric("snapshot entries min", static_cast<double>(min_size));
        r.metric("snapshot entries max", static_cast<double>(max_size));
        std::sort(call_ns.begin(), call_ns.end());
        r.metric("snapshot() median ns", static_cast<double>(call_ns[call_ns.size() / 2]));
        r.metric("snapshot() max ns", static_cast<double>(call_ns.back()));
    }
    r.metric("S2 comparisons", static_cast<double>(comparisons));
    if (caps.snapshot_scan) r.metric("C4 scan calls", static_cast<double>(chunk_calls));
    if (caps.counters && after.structural_changes && before.structural_changes)
        r.metric("structural changes", static_cast<double>(*after.structural_changes - *before.structural_changes));
    r.seconds = std::chrono::duration<double>(clock::now() - t0).count();
    return {std::move(r)};
}

}  // namespace syncmap::lab
