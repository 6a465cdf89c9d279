// Scenario churn-during-range: store / load_and_delete churn on other keys during a range.
//
// Keys [0, n/2) are stored first and never touched again; writers churn keys [n/2, n)
// with store and load_and_delete (the pattern that made some maps end a traversal early
// or skip a bucket after a concurrent erase). Besides W1-W4 it counts, directly and
// without any inference from timestamps, ranges that missed a stable key.
//
// A second phase drives a dense leaf: 100 keys (one leaf of sync_map, below its split
// threshold) that writers erase a few at a time and store back in another order, so that
// a key leaves its slot and comes back in another one while a range reads the leaf; a
// range that copies the slots without noticing meets it twice. One thread ranges back to
// back, without recording, and counts keys seen twice per range directly: W2 checks, one
// per range (sync_map's duplicate filter is what keeps them at 0).
#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <thread>
#include <vector>

#include "pitfall_measures.hpp"
#include "scenarios.hpp"

namespace syncmap::lab {

namespace {

constexpr key_type dense_keys = 100;

void check_dense_leaf(const adapter_entry& e, const scenario_config& cfg, scenario_result& r) {
    auto map = e.make();
    const bool has_erase = map->caps().has(op_kind::erase);
    for (key_type k = 0; k < dense_keys; ++k) map->store(k, k + 1);
    std::atomic<bool> stop{false};
    std::vector<std::thread> writers;
    for (unsigned t = 0; t < cfg.threads; ++t) {
        writers.emplace_back([&, t] {
            std::mt19937_64 rng(cfg.seed * 31 + t);
            std::array<key_type, 8> batch{};
            while (!stop.load(std::memory_order_relaxed)) {
                const std::size_t m = 2 + rng() % 7;
                for (std::size_t i = 0; i < m; ++i) {
                    batch[i] = rng() % dense_keys;
                    if (has_erase) {
                        map->erase(batch[i]);
                    } else {
                        map->load_and_delete(batch[i]);
                    }
                }
                std::shuffle(batch.begin(), batch.begin() + static_cast<std::ptrdiff_t>(m), rng);
                for (std::size_t i = 0; i < m; ++i) map->store(batch[i], batch[i] + 1);
            }
        });
    }
    clause_tally w2;
    std::uint64_t repeated = 0;
    const auto until = std::chrono::steady_clock::now() +
                       std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                           std::chrono::duration<double>(std::min(0.3, cfg.seconds / 4)));
    while (std::chrono::steady_clock::now() < until) {
        std::array<std::uint8_t, dense_keys> seen{};
        std::uint64_t twice = 0;
        key_type example = 0;
        map->range([&](key_type k, value_type) {
            if (k < dense_keys && seen[k]++ != 0) {
                ++twice;
                example = k;
            }
            return true;
        });
        ++w2.checks;
        if (twice != 0) {
            ++w2.violations;
            repeated += twice;
            char buf[160];
            std::snprintf(buf, sizeof buf, "dense leaf: a range yielded %llu key(s) twice, key %llu among them",
                          static_cast<unsigned long long>(twice), static_cast<unsigned long long>(example));
            w2.example(buf);
        }
    }
    stop.store(true);
    for (auto& t : writers) t.join();
    r.add(clause::W2, w2);
    r.metric("dense-leaf ranges", static_cast<double>(w2.checks));
    r.metric("dense-leaf keys seen twice", static_cast<double>(repeated));
}

}  // namespace

std::vector<scenario_result> run_churn_during_range(const adapter_entry& e, const scenario_config& cfg) {
    auto map = e.make();
    const capabilities caps = map->caps();
    const char* name = "churn-during-range";
    if (!caps.concurrent) return {unsupported(name, e, cfg.threads, "single-threaded map")};
    if (!caps.range) return {unsupported(name, e, cfg.threads, "no traversal safe under concurrent writes")};
    if (!caps.can_delete()) return {unsupported(name, e, cfg.threads, "no concurrent erase")};

    const std::size_t n = cfg.keys ? cfg.keys : 1024;
    const std::size_t half = n / 2;
    scenario_result r = result_for(name, e, cfg.threads);

    ranged_workload w;
    w.writers = cfg.threads;
    w.max_traversals = cfg.max_traversals;
    w.ops_per_writer = cfg.ops_per_thread;
    w.preload = [&](thread_recorder& rec) {
        for (key_type k = 0; k < n; ++k) rec.store(k);
    };
    const bool has_lad = caps.has(op_kind::load_and_delete);
    w.write_once = [&](worker_context& ctx) {
        const key_type k = half + ctx.rng() % (n - half);
        if (ctx.rng() & 1)
            ctx.rec.store(k);
        else if (has_lad)
            ctx.rec.load_and_delete(k);
        else
            ctx.rec.erase(k);
        return true;
    };
    w.range_once = plain_range;

    const auto t0 = std::chrono::steady_clock::now();
    history h = run_ranged(*map, w, cfg);
    map.reset();
    check_history(h, r, cfg.skew);
    measure_writer_latency(h, r, 0, static_cast<std::uint16_t>(w.writers));

    measure_stable_missed(h, half, r);
    measure_duplicates(h, r);
    check_dense_leaf(e, cfg, r);
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return {std::move(r)};
}

}  // namespace syncmap::lab
