// lab/scenarios/scenarios.hpp - the scenario entry points (one file each), registered in
// registry.cpp.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "../core/workload.hpp"
#include "scenario.hpp"

namespace syncmap::lab {

std::vector<scenario_result> run_point_ops(const adapter_entry&, const scenario_config&);
std::vector<scenario_result> run_store_during_range(const adapter_entry&, const scenario_config&);
std::vector<scenario_result> run_erase_during_range(const adapter_entry&, const scenario_config&);
std::vector<scenario_result> run_churn_during_range(const adapter_entry&, const scenario_config&);
std::vector<scenario_result> run_two_ranges(const adapter_entry&, const scenario_config&);
std::vector<scenario_result> run_growth_during_range(const adapter_entry&, const scenario_config&);
std::vector<scenario_result> run_retired_memory(const adapter_entry&, const scenario_config&);
std::vector<scenario_result> run_snapshot_under_churn(const adapter_entry&, const scenario_config&);
std::vector<scenario_result> run_snapshot_race(const adapter_entry&, const scenario_config&);
std::vector<scenario_result> run_snapshot_memory(const adapter_entry&, const scenario_config&);
std::vector<scenario_result> run_scan_pass(const adapter_entry&, const scenario_config&);
std::vector<scenario_result> run_go_map_iteration(const adapter_entry&, const scenario_config&);

// Writers and traversal threads on one map. Thread ids 0 .. writers-1 are writers, the
// rest rangers. Rangers loop `range_once` until `max_traversals` each, the deadline, or
// `writers_finished` (when `rangers_wait_for_writers`); writers loop `write_once` until the
// rangers are done, the deadline, or their op cap.
struct ranged_workload {
    unsigned writers = 1;
    unsigned rangers = 1;
    std::size_t max_traversals = 300;
    std::uint64_t ops_per_writer = 0;  // 0: the default budget below
    // Writers pace themselves to about this many operations per run in total, spread over
    // the run, so that every traversal meets writes and a run's history stays small enough
    // to check in well under a second.
    static constexpr std::uint64_t default_ops_per_run = 300000;
    bool rangers_wait_for_writers = false;  // growth: range until every writer is finished
    double deadline_seconds = 0;            // 0: cfg.seconds
    std::function<void(thread_recorder&)> preload;
    std::function<bool(worker_context&)> write_once;  // false: this writer is finished
    std::function<void(worker_context&)> range_once;
};

history run_ranged(map_adapter& map, const ranged_workload& w, const scenario_config& cfg);

// The default traversal: record every item, never stop early, and spend about
// `item_work_ns` per item, as a consumer doing a little work would. A traversal then lasts
// long enough (~0.2 ms for 1024 keys) for many writes to land inside it.
inline constexpr timestamp item_work_ns = 150;
void plain_range(worker_context& ctx);
// Sleeps until `due` (or the stop flag): pacing that leaves the CPU to the other threads.
void pace_until(std::chrono::steady_clock::time_point due, const worker_context& ctx);
void item_work();

// The memory scenarios' writer: overwrites keys 0 .. keys-1 (stride 7, starting at
// `thread`) until `done`, at most `per_second` stores per second (paced in batches of
// 256), and adds the number of stores to `count`. The cap keeps the retirement rate within
// what RCU's reclaimer frees on a shared machine, so that memory held back shows pinning
// by readers, not a reclaimer that fell behind.
void overwrite_until(map_adapter& map, unsigned thread, std::size_t keys, double per_second,
                     const std::atomic<bool>& done, std::atomic<std::uint64_t>& count);
inline constexpr double memory_scenario_overwrites_per_second = 1e6;

// A snapshot's contents, sorted by key (snapshot_under_churn.cpp).
using items = std::vector<std::pair<key_type, value_type>>;
items sorted(items v);
// S2: size(), iteration, range(), load() and contains() over `s` (and of 32 random keys of
// [0, key_space) it does not hold) agree with `contents` (sorted). Returns "" or the first
// disagreement; `comparisons` counts what was compared (snapshot_under_churn.cpp).
std::string s2_disagreement(const snapshot_view& s, const items& contents, std::size_t key_space,
                            std::mt19937_64& rng, std::uint64_t& comparisons);

// One chunk size for a scan call: small (1..8) 30 %, medium (9..128) 60 %, about a leaf
// or more (129..1024) 8 %, more than the whole map (`keys` * 4) 2 %.
std::size_t random_chunk(std::mt19937_64& rng, std::size_t keys);
// A pause between two calls of a chunked pass, holding nothing: none, a spin of a few
// microseconds, a yield, or a sleep of 50-300 us. Returns its length in nanoseconds.
timestamp random_pause(std::mt19937_64& rng);

}  // namespace syncmap::lab
