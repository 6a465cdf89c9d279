// Scenario scan-pass: full passes of the cursor scan (clause C2), with random chunk sizes
// and pauses between calls, while writers churn, grow and (in one variant) clear the map.
//
// Keys [0, n/4) are stored first and never written again by the writers (in the clear
// variant, writer 0 stores them again right after each clear); keys [n/4, n) churn with
// store, load_and_delete or erase, exchange, load_or_store and compare_and_swap; and 3 %
// of the writes insert a fresh key from [n, 8n), so the map keeps growing (leaf splits,
// directory doublings) for most of the run. In the "churn + clear" variant writer 0 also
// clears the map eight times per run (shrink to one leaf, then growth again).
//
// One thread makes passes, paced over the run. A pass is a series of scan(cursor, chunk,
// f) calls from a fresh cursor until the cursor is done: each call with a random chunk
// size, with a callback that either returns void (the container's unordered path) or
// bool (and then sometimes ends the chunk early), and a random pause between calls (none,
// a spin, a yield, or a sleep). Three passes in ten begin as range(f, stop_token), stopped
// part-way (by the token, or by the callback returning false) and resumed by scan from the
// cursor it returned. Every 16th item of the churned band, the callback erases that key and
// stores it again, and every 64th item it inserts a fresh key: a pass must never yield a
// key twice, even one erased and re-inserted behind it (W2 across the whole pass).
//
// Each pass is one C2 check: W1-W4 over [first call start, last call end], decided by
// window_checker.hpp (which models the clears). Measured: calls per pass, pauses, passes
// during which the map restructured (splits, growth, clears), passes begun as a range.
#include <algorithm>
#include <chrono>
#include <stop_token>

#include "../core/window_checker.hpp"
#include "pitfall_measures.hpp"
#include "scenarios.hpp"

namespace syncmap::lab {

namespace {

struct pass_stats {
    std::uint64_t passes = 0;
    std::uint64_t calls = 0;
    std::uint64_t from_range = 0;  // passes begun as a range stopped part-way
    std::uint64_t restructured = 0;
    std::uint64_t reinserted = 0;
    std::uint64_t unfinished = 0;
    timestamp paused_ns = 0;
    timestamp longest_pause_ns = 0;
    timestamp pass_ns = 0;
};

scenario_result run_variant(const adapter_entry& e, const scenario_config& cfg, bool with_clear) {
    using clock = std::chrono::steady_clock;
    auto map = e.make();
    const capabilities caps = map->caps();
    const std::size_t n = cfg.keys ? cfg.keys : 1024;
    const std::size_t stable = n / 4;
    const key_type fresh_end = static_cast<key_type>(8 * n);

    scenario_result r = result_for("scan-pass", e, cfg.threads);
    r.variant = with_clear ? "churn + clear" : "churn + growth";

    auto erase = [&](thread_recorder& rec, key_type k) {
        if (caps.has(op_kind::load_and_delete) && (k & 1))
            rec.load_and_delete(k);
        else
            rec.erase(k);
    };
    std::atomic<key_type> next_fresh{n};
    auto insert_fresh = [&](thread_recorder& rec) {
        const key_type k = next_fresh.fetch_add(1, std::memory_order_relaxed);
        if (k < fresh_end) rec.store(k);
    };

    ranged_workload w;
    w.writers = cfg.threads;
    w.max_traversals = cfg.max_traversals;
    w.ops_per_writer = cfg.ops_per_thread;
    w.preload = [&](thread_recorder& rec) {
        for (key_type k = 0; k < n; k += (k < stable ? 1 : 2)) rec.store(k);
    };
    const auto clear_period = std::chrono::duration_cast<clock::duration>(std::chrono::duration<double>(cfg.seconds / 4));
    clock::time_point next_clear{};
    std::uint64_t clears = 0;
    w.write_once = [&](worker_context& ctx) {
        if (with_clear && ctx.index == 0) {
            const auto t = clock::now();
            if (next_clear == clock::time_point{}) next_clear = t + clear_period;
            if (t >= next_clear) {
                ctx.rec.clear();
                for (key_type k = 0; k < stable; ++k) ctx.rec.store(k);
                ++clears;
                next_clear += clear_period;
                return true;
            }
        }
        const unsigned roll = static_cast<unsigned>(ctx.rng() % 100);
        const key_type k = stable + ctx.rng() % (n - stable);
        if (roll < 3)
            insert_fresh(ctx.rec);
        else if (roll < 50)
            ctx.rec.store(k);
        else if (roll < 70)
            erase(ctx.rec, k);
        else if (roll < 80 && caps.has(op_kind::exchange))
            ctx.rec.exchange(k);
        else if (roll < 90 && caps.has(op_kind::load_or_store))
            ctx.rec.load_or_store(k);
        else if (caps.has(op_kind::compare_and_swap))
            ctx.rec.compare_and_swap(k);
        else
            ctx.rec.store(k);
        return true;
    };

    pass_stats st;
    // A pass that has not ended after this many calls is reported (C2 promises it ends).
    const std::uint64_t call_limit = 64 * fresh_end;
    w.range_once = [&](worker_context& ctx) {
        map_adapter& m = ctx.rec.map();
        traversal_record pass;
        pass.kind = traversal_kind::scan_pass;
        pass.thread = ctx.rec.thread();
        pass.items.reserve(2 * n);
        std::uint64_t item = 0;
        // Records the item and, now and then, writes from inside the callback (W5).
        auto record = [&](key_type k, value_type v) {
            pass.items.emplace_back(k, v);
            ++item;
            if (k >= stable && k < n && item % 16 == 0) {
                erase(ctx.rec, k);
                ctx.rec.store(k);
                ++st.reinserted;
            } else if (item % 64 == 0) {
                insert_fresh(ctx.rec);
            }
        };
        const std::optional<std::uint64_t> changes_before = m.counters().structural_changes;
        scan_cursor c;
        std::uint64_t calls = 0;
        pass.start = now();
        if (ctx.rng() % 10 < 3) {
            // Begin as a range stopped part-way, then resume from its cursor.
            std::stop_source source;
            const std::uint64_t stop_at = 1 + ctx.rng() % (2 * n);
            const bool by_callback = (ctx.rng() & 1) != 0;
            c = m.range_until_stopped([&](key_type k, value_type v) {
                record(k, v);
                if (item != stop_at) return true;
                if (by_callback) return false;
                source.request_stop();
                return true;
            }, source.get_token());
            ++calls;
            if (!c.done) ++st.from_range;  // stopped part-way: the scans below resume it
        }
        while (!c.done) {
            if (calls == call_limit) {
                ++st.unfinished;
                break;
            }
            if (calls > 0) {
                const timestamp p = random_pause(ctx.rng);
                st.paused_ns += p;
                st.longest_pause_ns = std::max(st.longest_pause_ns, p);
            }
            const std::size_t chunk = random_chunk(ctx.rng, n);
            const bool stoppable = (ctx.rng() & 1) != 0;
            const std::size_t stop_after = stoppable && ctx.rng() % 4 == 0 ? 1 + ctx.rng() % chunk : 0;
            std::size_t offered = 0;
            c = m.scan(c, chunk, [&](key_type k, value_type v) {
                record(k, v);
                return ++offered != stop_after;
            }, stoppable);
            ++calls;
        }
        pass.end = now();
        const std::optional<std::uint64_t> changes_after = m.counters().structural_changes;
        if (changes_before && changes_after && *changes_after != *changes_before) ++st.restructured;
        ++st.passes;
        st.calls += calls;
        st.pass_ns += pass.end - pass.start;
        if (c.done) ctx.rec.log().traversals.push_back(std::move(pass));
    };

    // Passes pause between calls, so they are longer than ranges: the run gets twice the
    // time of the others (writers and passes are paced over all of it).
    scenario_config run_cfg = cfg;
    run_cfg.seconds = 2 * cfg.seconds;
    const auto t0 = clock::now();
    history h = run_ranged(*map, w, run_cfg);
    map.reset();

    r.ops = h.ops.size() + h.clears.size();
    r.traversals = h.traversals.size();
    const window_checker windows(h, cfg.skew);
    clause_tally c2;
    for (const traversal_record& t : h.traversals) windows.check_pass(t, c2, r.variant);
    if (st.unfinished) {
        // A pass that never completes breaks C2 as surely as a missed key.
        c2.checks += st.unfinished;
        c2.violations += st.unfinished;
        c2.example(std::to_string(st.unfinished) + " passes had not ended after " + std::to_string(call_limit) +
                   " scan calls");
    }
    r.add(clause::C2, c2);
    // Counted directly, for the claims table: repeats in a pass, and (where nothing clears
    // them) stable keys a pass missed.
    measure_duplicates(h, r);
    if (!with_clear) measure_stable_missed(h, stable, r);

    r.metric("passes", static_cast<double>(st.passes));
    if (st.passes) {
        r.metric("scan calls per pass", static_cast<double>(st.calls) / static_cast<double>(st.passes));
        r.metric("pass ms mean", static_cast<double>(st.pass_ns) / 1e6 / static_cast<double>(st.passes));
        r.metric("paused share of pass %", 100.0 * static_cast<double>(st.paused_ns) / static_cast<double>(std::max<timestamp>(st.pass_ns, 1)));
        r.metric("longest pause us", static_cast<double>(st.longest_pause_ns) / 1e3);
        r.metric("passes begun as a stopped range", static_cast<double>(st.from_range));
        r.metric("passes racing restructuring %", 100.0 * static_cast<double>(st.restructured) / static_cast<double>(st.passes));
    }
    r.metric("keys re-inserted behind a pass", static_cast<double>(st.reinserted));
    r.metric("fresh keys inserted", static_cast<double>(std::min<key_type>(next_fresh.load(), fresh_end) - n));
    if (with_clear) r.metric("clears", static_cast<double>(clears));
    r.seconds = std::chrono::duration<double>(clock::now() - t0).count();
    return r;
}

}  // namespace

std::vector<scenario_result> run_scan_pass(const adapter_entry& e, const scenario_config& cfg) {
    const char* name = "scan-pass";
    capabilities caps;
    {
        auto probe = e.make();
        caps = probe->caps();
    }
    if (!caps.concurrent) return {unsupported(name, e, cfg.threads, "single-threaded map")};
    if (!caps.scan) return {unsupported(name, e, cfg.threads, "no cursor scan")};
    std::vector<scenario_result> out;
    out.push_back(run_variant(e, cfg, false));
    if (caps.clear) out.push_back(run_variant(e, cfg, true));
    return out;
}

}  // namespace syncmap::lab
