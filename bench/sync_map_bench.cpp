// bench/sync_map_bench.cpp - syncmap-bench: sync_map against its peers, all in one run.
//
// Method (docs/BENCHMARKS.md has the figures and how to read them)
// - Every map is preloaded once with the same 1M random uint64 keys (peers.hpp) and kept
//   for all its benchmarks; the workloads leave the key set as they found it, and each
//   benchmark checks that at its end. The string_* rows do the same with those keys as
//   21-character std::string keys.
// - Point operations take their keys from one precomputed stream of 2^20 keys drawn
//   uniformly from the preloaded set (load_miss: a stream of 2^20 keys absent from it),
//   each thread starting at its own offset: nothing random is drawn while timing.
// - Maps: sync_map (default storage), sync_map_nodes (storage::nodes forced) and the
//   peers of peers.hpp.
// - Point workloads run in windows: n fresh threads wait on a start flag, run for
//   `window` of wall time, then stop; a sample is (operations done by all threads) over
//   (wall time from the start flag until the last thread joined). Throughput is thus
//   measured over the whole window even when threads outnumber cores and some of them sit
//   preempted. Google Benchmark's manual time carries the window length; the figures are
//   the counters ns_per_op (wall time per operation, all threads together: the inverse
//   of aggregate throughput), Mops_s, and cpu_ns_per_op (CPU time the worker threads
//   consumed per operation, which does not count time spent waiting for a core).
// - Range workloads time one full traversal per iteration; the counters are ns_per_entry
//   and cpu_ns_per_entry.
// - After the run, a summary prints the median of each figure over the repetitions, its
//   ratio against every peer, and whether each target of the engine issue is met, judged
//   by CPU time (what idle cores would show), with the wall-time ratio beside it.
// - Defaults: 7 repetitions of at least 0.25 s each, randomly interleaved across
//   benchmarks so that a burst of outside load does not land on one map only (about four
//   minutes for the 65 benchmarks); any Google Benchmark flag overrides them
//   (--benchmark_filter=load_miss, ...).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <syncmap/sync_map.hpp>

#include "peers.hpp"

namespace syncmap_bench {
namespace {

using clock_type = std::chrono::steady_clock;

// ---- The map under test ----------------------------------------------------------------

// One adapter for every sync_map instantiation measured: uint64 keys with the automatic
// storage choice ("sync_map"), with node storage forced ("sync_map_nodes"), and std::string
// keys (rows string_*, under the name "sync_map").
template <class SyncMap, const char* Name>
class basic_sync_map_adapter {
public:
    using key_type = typename SyncMap::key_type;
    static constexpr const char* name = Name;
    static constexpr bool concurrent_writes = true;

    bool load(const key_type& key, std::uint64_t& value) const {
        if (const std::optional<std::uint64_t> found = map_.load(key)) {
            value = *found;
            return true;
        }
        return false;
    }
    void store(const key_type& key, std::uint64_t value) { map_.store(key, value); }
    bool erase(const key_type& key) { return map_.erase(key); }
    std::uint64_t range_sum() const {
        std::uint64_t sum = 0;
        map_.range([&](const key_type& k, const std::uint64_t& v) { sum += k ^ v; });
        return sum;
    }
    std::size_t size() const { return map_.size(); }

private:
    SyncMap map_;
};

inline constexpr char sync_map_name[] = "sync_map";
inline constexpr char sync_map_nodes_name[] = "sync_map_nodes";

using sync_map_adapter = basic_sync_map_adapter<syncmap::sync_map<std::uint64_t, std::uint64_t>, sync_map_name>;
using sync_map_nodes_adapter =
    basic_sync_map_adapter<syncmap::sync_map<std::uint64_t, std::uint64_t, syncmap::hash<std::uint64_t>,
                                             std::equal_to<std::uint64_t>, syncmap::storage::nodes>,
                           sync_map_nodes_name>;
// std::string keys: sync_map's automatic choice is node storage (a std::string is not
// trivially copyable), so there is no separate sync_map_nodes row for them.
using sync_map_string_adapter = basic_sync_map_adapter<syncmap::sync_map<std::string, std::uint64_t>, sync_map_name>;

// ---- Preloaded maps ----------------------------------------------------------------------

std::vector<void (*)()>& releasers() {
    static std::vector<void (*)()> list;
    return list;
}

template <class Map>
std::unique_ptr<Map>& map_slot() {
    static std::unique_ptr<Map> slot;
    return slot;
}

// The map preloaded with every key, built on first use (so a filtered run builds only what
// it measures) and destroyed by release_maps() before main returns, while liburcu's
// threads are still alive.
template <class Map>
Map& preloaded() {
    std::unique_ptr<Map>& slot = map_slot<Map>();
    if (!slot) {
        slot = std::make_unique<Map>();
        preload(*slot);
        releasers().push_back([] { map_slot<Map>().reset(); });
    }
    return *slot;
}

void release_maps() {
    for (auto release : releasers()) release();
    releasers().clear();
}

std::uint64_t expected_range_sum() {
    static const std::uint64_t sum = [] {
        std::uint64_t s = 0;
        for (std::uint64_t k : shared_keys().keys) s += k ^ value_of(k);
        return s;
    }();
    return sum;
}

// ---- Point workloads ---------------------------------------------------------------------

// Wall time of one sample. Long enough that starting and joining the threads (tens of
// microseconds) and the scheduler's time slices (a few milliseconds) are small next to it.
constexpr auto window = std::chrono::milliseconds(50);

// load_hit and load_miss are both load_only, from the stream of present or of absent keys.
enum class mix { load_only, load90_write10 };

struct thread_tally {
    std::uint64_t ops = 0;
    std::uint64_t hits = 0;  // loads that found their key
    std::uint64_t checksum = 0;
};

// CPU time consumed by the calling thread, in seconds.
double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// One thread's share of a window: operations from the key stream, starting at `pos`, in
// rounds of a few hundred between looks at the stop flag.
//
// load90_write10 (uint64 keys only): of every ten operations, nine are loads and one is a
// write. Writes alternate between erasing a key from the stream and storing that same key
// back, so the map holds every preloaded key but at most one per thread at any instant
// (90% load, 5% erase, 5% store of an absent key).
template <class Map, mix Mix>
thread_tally drive(Map& map, const typename Map::key_type* stream, std::size_t pos, const std::atomic<bool>& stop) {
    using key_type = typename Map::key_type;
    thread_tally tally;
    std::uint64_t value = 0;
    key_type erased{};
    bool holding = false;
    // relaxed: the flag only ends the loop; the join publishes the tally.
    while (!stop.load(std::memory_order_relaxed)) {
        if constexpr (Mix == mix::load_only) {
            for (int i = 0; i < 256; ++i) {
                if (map.load(stream[pos++ & stream_mask], value)) {
                    tally.checksum += value;
                    ++tally.hits;
                }
            }
            tally.ops += 256;
        } else {
            for (int round = 0; round < 25; ++round) {
                for (int i = 0; i < 9; ++i) {
                    if (map.load(stream[pos++ & stream_mask], value)) tally.checksum += value;
                }
                if (holding) {
                    map.store(erased, value_of(erased));
                } else {
                    erased = stream[pos++ & stream_mask];
                    map.erase(erased);
                }
                holding = !holding;
            }
            tally.ops += 250;
        }
    }
    if constexpr (Mix == mix::load90_write10) {
        if (holding) map.store(erased, value_of(erased));  // leave the key set as found
    }
    return tally;
}

struct window_result {
    std::uint64_t ops;
    std::uint64_t hits;  // loads that found their key
    double seconds;      // wall time of the window
    double cpu_seconds;  // CPU time of all its threads together
    std::uint64_t checksum;
};

template <class Map, mix Mix>
window_result run_window(Map& map, const typename Map::key_type* stream, unsigned threads, std::uint64_t sample) {
    std::atomic<unsigned> ready{0};
    std::atomic<bool> go{false};
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> ops{0};
    std::atomic<std::uint64_t> hits{0};
    std::atomic<std::uint64_t> checksum{0};
    std::atomic<std::uint64_t> cpu_nanoseconds{0};
    std::vector<std::thread> pool;
    pool.reserve(threads);
    for (unsigned t = 0; t < threads; ++t) {
        // Threads start spread over the stream, and each sample shifts the starts.
        const std::size_t start = (sample * 0x9e3779b1ULL + t * (stream_size / threads)) & stream_mask;
        pool.emplace_back([&, start] {
            ready.fetch_add(1, std::memory_order_relaxed);
            go.wait(false, std::memory_order_acquire);
            const double cpu_before = thread_cpu_seconds();
            const thread_tally tally = drive<Map, Mix>(map, stream, start, stop);
            const double cpu = thread_cpu_seconds() - cpu_before;
            cpu_nanoseconds.fetch_add(static_cast<std::uint64_t>(cpu * 1e9), std::memory_order_relaxed);
            ops.fetch_add(tally.ops, std::memory_order_relaxed);
            hits.fetch_add(tally.hits, std::memory_order_relaxed);
            checksum.fetch_add(tally.checksum, std::memory_order_relaxed);
        });
    }
    while (ready.load(std::memory_order_relaxed) != threads) std::this_thread::yield();
    const auto begin = clock_type::now();
    go.store(true, std::memory_order_release);
    go.notify_all();
    std::this_thread::sleep_for(window);
    stop.store(true, std::memory_order_relaxed);
    for (std::thread& th : pool) th.join();  // join: every tally is visible below
    const auto end = clock_type::now();
    return {ops.load(std::memory_order_relaxed), hits.load(std::memory_order_relaxed),
            std::chrono::duration<double>(end - begin).count(),
            static_cast<double>(cpu_nanoseconds.load(std::memory_order_relaxed)) * 1e-9,
            checksum.load(std::memory_order_relaxed)};
}

// Which keys a load-only benchmark looks up; mixed workloads use the present keys.
enum class lookups { present, absent };

template <class Map, mix Mix, lookups Keys = lookups::present>
void point_benchmark(benchmark::State& state, unsigned threads) {
    using key_type = typename Map::key_type;
    Map& map = preloaded<Map>();
    const key_type* stream = nullptr;
    if constexpr (Keys == lookups::present) {
        stream = hit_stream<key_type>().data();
    } else {
        stream = miss_stream<key_type>().data();
    }
    std::uint64_t ops = 0;
    std::uint64_t hits = 0;
    double seconds = 0;
    double cpu_seconds = 0;
    std::uint64_t sample = 0;
    for (auto _ : state) {
        const window_result w = run_window<Map, Mix>(map, stream, threads, sample++);
        benchmark::DoNotOptimize(w.checksum);
        state.SetIterationTime(w.seconds);
        ops += w.ops;
        hits += w.hits;
        seconds += w.seconds;
        cpu_seconds += w.cpu_seconds;
    }
    if (map.size() != key_count) {
        state.SkipWithError("the map no longer holds exactly the preloaded keys");
        return;
    }
    if (Mix == mix::load_only && hits != (Keys == lookups::present ? ops : 0)) {
        state.SkipWithError(Keys == lookups::present ? "a load missed a present key" : "a load found an absent key");
        return;
    }
    state.counters["ns_per_op"] = seconds * 1e9 / static_cast<double>(ops);
    state.counters["Mops_s"] = static_cast<double>(ops) / seconds / 1e6;
    // CPU time the worker threads consumed per operation: what one operation costs a core,
    // unaffected by time the threads spent waiting for a core (other processes, or more
    // threads than cores).
    state.counters["cpu_ns_per_op"] = cpu_seconds * 1e9 / static_cast<double>(ops);
}

// ---- Range -------------------------------------------------------------------------------

template <class Map>
void range_benchmark(benchmark::State& state) {
    const Map& map = preloaded<Map>();
    std::uint64_t passes = 0;
    double seconds = 0;
    double cpu_seconds = 0;
    for (auto _ : state) {
        const double cpu_begin = thread_cpu_seconds();
        const auto begin = clock_type::now();
        const std::uint64_t sum = map.range_sum();
        const auto end = clock_type::now();
        cpu_seconds += thread_cpu_seconds() - cpu_begin;
        benchmark::DoNotOptimize(sum);
        if (sum != expected_range_sum()) {
            state.SkipWithError("the traversal missed or repeated entries");
            return;
        }
        const double s = std::chrono::duration<double>(end - begin).count();
        state.SetIterationTime(s);
        seconds += s;
        ++passes;
    }
    state.counters["ns_per_entry"] = seconds * 1e9 / (static_cast<double>(passes) * key_count);
    state.counters["cpu_ns_per_entry"] = cpu_seconds * 1e9 / (static_cast<double>(passes) * key_count);
}

// ---- Registration ------------------------------------------------------------------------

constexpr unsigned read_threads[] = {1, 2};
constexpr unsigned mixed_threads[] = {1, 2, 4, 8};

std::string point_name(const char* workload, const char* map, unsigned threads) {
    return std::string(workload) + "/" + map + "/threads:" + std::to_string(threads);
}

template <class Map>
void register_loads(const char* workload, lookups keys) {
    for (unsigned n : read_threads) {
        auto run = [n, keys](benchmark::State& s) {
            if (keys == lookups::present) {
                point_benchmark<Map, mix::load_only, lookups::present>(s, n);
            } else {
                point_benchmark<Map, mix::load_only, lookups::absent>(s, n);
            }
        };
        benchmark::RegisterBenchmark(point_name(workload, Map::name, n).c_str(), run)
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
    }
}

template <class Map>
void register_mixed() {
    for (unsigned n : mixed_threads) {
        if (!Map::concurrent_writes && n > 1) continue;  // unsynchronised: one thread only
        benchmark::RegisterBenchmark(point_name("load90_write10", Map::name, n).c_str(),
                                     [n](benchmark::State& s) { point_benchmark<Map, mix::load90_write10>(s, n); })
            ->UseManualTime()
            ->Unit(benchmark::kMillisecond);
    }
}

template <class Map>
void register_range() {
    benchmark::RegisterBenchmark((std::string("range/") + Map::name).c_str(), range_benchmark<Map>)
        ->UseManualTime()
        ->Unit(benchmark::kMillisecond);
}

// Every workload for the uint64 -> uint64 maps.
template <class... Maps>
void register_all() {
    (register_loads<Maps>("load_hit", lookups::present), ...);
    (register_loads<Maps>("load_miss", lookups::absent), ...);
    (register_mixed<Maps>(), ...);
    (register_range<Maps>(), ...);
}

// std::string -> uint64 maps: loads of present keys, one thread.
template <class... Maps>
void register_string() {
    const auto one = [](const char* map) { return point_name("string_load_hit", map, 1); };
    (benchmark::RegisterBenchmark(one(Maps::name).c_str(),
                                  [](benchmark::State& s) { point_benchmark<Maps, mix::load_only>(s, 1); })
         ->UseManualTime()
         ->Unit(benchmark::kMillisecond),
     ...);
}

// ---- Summary -----------------------------------------------------------------------------

std::string load_average() {
    std::ifstream in("/proc/loadavg");
    std::string one, five, fifteen;
    if (!(in >> one >> five >> fifteen)) return "unknown";
    return one + " " + five + " " + fifteen;
}

// Forwards everything to the usual display reporter and keeps each benchmark's counters,
// for the summary: the median aggregate when repetitions produce one (the display reporter
// then may receive only aggregates), otherwise the single run's values.
class summary_reporter : public benchmark::BenchmarkReporter {
public:
    explicit summary_reporter(benchmark::BenchmarkReporter* display) : display_(display) {}

    bool ReportContext(const Context& context) override { return display_->ReportContext(context); }
    void ReportRuns(const std::vector<Run>& runs) override {
        for (const Run& run : runs) {
            if (run.error_occurred) continue;
            const bool median = run.run_type == Run::RT_Aggregate && run.aggregate_name == "median";
            if (run.run_type == Run::RT_Aggregate && !median) continue;
            repetitions_ = std::max<std::int64_t>(repetitions_, run.repetitions);
            for (const auto& [counter, value] : run.counters) {
                auto& slot = values_[run.run_name.function_name][counter];
                // A median outranks single runs of the same benchmark.
                if (median) {
                    slot = {value.value, true};
                } else if (!slot.second) {
                    slot = {value.value, false};
                }
            }
        }
        display_->ReportRuns(runs);
    }
    void Finalize() override { display_->Finalize(); }

    // The median over repetitions of one counter (the value itself for one repetition), if
    // that benchmark ran.
    std::optional<double> median(const std::string& benchmark, const std::string& counter) const {
        const auto b = values_.find(benchmark);
        if (b == values_.end()) return std::nullopt;
        const auto c = b->second.find(counter);
        if (c == b->second.end()) return std::nullopt;
        return c->second.first;
    }

    std::int64_t repetitions() const { return repetitions_; }

private:
    benchmark::BenchmarkReporter* display_;
    // benchmark -> counter -> (value, whether it is a median over repetitions)
    std::map<std::string, std::map<std::string, std::pair<double, bool>>> values_;
    std::int64_t repetitions_ = 0;
};

constexpr const char* map_names[] = {sync_map_adapter::name, sync_map_nodes_adapter::name, boost_flat::name,
                                     cuckoo_map::name, tbb_map::name, locked_std::name, lfht_map::name};

std::string fixed(double v, int digits) {
    std::ostringstream s;
    s << std::fixed << std::setprecision(digits) << v;
    return s.str();
}

// A row is a benchmark name without its map: "load_hit/threads:2" or "range".
std::string benchmark_of(const std::string& row, const char* map) {
    const std::size_t slash = row.find('/');
    if (slash == std::string::npos) return row + "/" + map;
    return row.substr(0, slash) + "/" + map + row.substr(slash);
}

void print_table(std::ostream& out, const summary_reporter& r, const std::string& title,
                 const std::vector<std::string>& rows, const std::string& counter, int digits) {
    std::ostringstream body;
    for (const std::string& row : rows) {
        const auto ours = r.median(benchmark_of(row, sync_map_adapter::name), counter);
        bool any = false;
        std::ostringstream line;
        line << std::left << std::setw(27) << row;
        for (const char* m : map_names) {
            const auto v = r.median(benchmark_of(row, m), counter);
            std::string cell = "-";
            if (v) {
                any = true;
                cell = fixed(*v, digits);
                if (ours && std::string(m) != sync_map_adapter::name) cell += " (" + fixed(*v / *ours, 2) + "x)";
            }
            line << std::right << std::setw(17) << cell;
        }
        if (any) body << line.str() << "\n";
    }
    if (body.str().empty()) return;  // none of these benchmarks ran
    out << "\n" << title << "\n" << std::left << std::setw(27) << "benchmark";
    for (const char* m : map_names) out << std::right << std::setw(17) << m;
    out << "\n" << body.str();
}

// Prints each target with its verdict. The targets are judged by CPU time per operation:
// on a machine whose cores are shared with other work, wall-clock figures also measure the
// share of the cores the run got, which CPU time does not; the wall-clock ratio is printed
// beside it for information.
class target_list {
public:
    explicit target_list(std::ostream& out) : out_(out) {}

    // The target is met when `cpu` is at least (or at most) `bound`.
    void check(const std::string& what, std::optional<double> cpu, std::optional<double> wall, bool at_least,
               double bound, const std::string& unit) {
        if (!cpu) {
            out_ << "  [not run] " << what << "\n";
            ++not_run_;
            return;
        }
        const bool met = at_least ? *cpu >= bound : *cpu <= bound;
        ++(met ? met_ : missed_);
        out_ << "  [" << (met ? "met   " : "MISSED") << "] " << what << ": " << fixed(*cpu, 2) << unit << " (target "
             << (at_least ? ">= " : "<= ") << fixed(bound, 2) << unit << ")";
        if (wall) out_ << "; wall " << fixed(*wall, 2) << unit;
        out_ << "\n";
    }

    // A figure shown for orientation, with no target.
    void info(const std::string& what, std::optional<double> cpu, std::optional<double> wall,
              const std::string& unit) {
        if (!cpu) return;
        out_ << "  [info  ] " << what << ": " << fixed(*cpu, 2) << unit;
        if (wall) out_ << "; wall " << fixed(*wall, 2) << unit;
        out_ << "\n";
    }

    void total() const {
        out_ << "  " << met_ << " met, " << missed_ << " missed";
        if (not_run_ != 0) out_ << ", " << not_run_ << " not run (filtered out)";
        out_ << "\n";
    }

private:
    std::ostream& out_;
    int met_ = 0;
    int missed_ = 0;
    int not_run_ = 0;
};

std::optional<double> ratio(std::optional<double> a, std::optional<double> b, double scale = 1.0) {
    if (!a || !b) return std::nullopt;
    return scale * *a / *b;
}

// The engine issue's targets for one sync_map row (`ours`), all for 1M uint64 -> uint64
// with uniform keys (string_load_hit: 1M std::string -> uint64), by CPU time.
void print_targets(std::ostream& out, const summary_reporter& r, const char* ours) {
    const auto figure = [&](const char* workload, const char* map, unsigned threads, const char* counter) {
        return r.median(point_name(workload, map, threads), counter);
    };
    // (a / b) by CPU time and by wall time, for one workload and thread count.
    const auto cpu_ratio = [&](const char* workload, const char* a, const char* b, unsigned threads) {
        return ratio(figure(workload, a, threads, "cpu_ns_per_op"), figure(workload, b, threads, "cpu_ns_per_op"));
    };
    const auto wall_ratio = [&](const char* workload, const char* a, const char* b, unsigned threads) {
        return ratio(figure(workload, a, threads, "ns_per_op"), figure(workload, b, threads, "ns_per_op"));
    };
    const std::string me = ours;
    target_list t(out);
    t.check("load hit, 1 thread: " + me + " / boost_flat time", cpu_ratio("load_hit", ours, boost_flat::name, 1),
            wall_ratio("load_hit", ours, boost_flat::name, 1), false, 1.5, "x");
    for (const char* peer : {cuckoo_map::name, tbb_map::name}) {
        t.check(std::string("load hit, 1 thread: ") + peer + " / " + me + " time",
                cpu_ratio("load_hit", peer, ours, 1), wall_ratio("load_hit", peer, ours, 1), true, 2.0, "x");
    }
    t.check("load miss, 1 thread: " + me + " / boost_flat time", cpu_ratio("load_miss", ours, boost_flat::name, 1),
            wall_ratio("load_miss", ours, boost_flat::name, 1), false, 2.0, "x");
    for (unsigned n : mixed_threads) {
        for (const char* peer : {cuckoo_map::name, tbb_map::name, locked_std::name}) {
            t.check("90% load / 10% write, " + std::to_string(n) + " thread" + (n == 1 ? "" : "s") + ": " + peer +
                        " / " + me + " time",
                    cpu_ratio("load90_write10", peer, ours, n), wall_ratio("load90_write10", peer, ours, n), true,
                    1.5, "x");
        }
    }
    const std::string range_ours = std::string("range/") + ours;
    const std::string range_flat = std::string("range/") + boost_flat::name;
    t.check("range over 1M entries: " + me + " / boost_flat time per entry",
            ratio(r.median(range_ours, "cpu_ns_per_entry"), r.median(range_flat, "cpu_ns_per_entry")),
            ratio(r.median(range_ours, "ns_per_entry"), r.median(range_flat, "ns_per_entry")), false, 1.3, "x");
    if (me == sync_map_adapter::name) {
        t.check("string keys, load hit, 1 thread: sync_map / boost_flat time",
                cpu_ratio("string_load_hit", ours, boost_flat::name, 1),
                wall_ratio("string_load_hit", ours, boost_flat::name, 1), false, 1.2, "x");
    }
    // Scaling, for orientation (no target). By CPU time: n threads that each cost c_n per
    // operation deliver n / c_n operations per CPU-second each, while cores last; 2, 4 and 8
    // threads all saturate two idle cores, so their plain CPU-time ratio is the estimate.
    t.info("load hit, 2 threads: aggregate throughput / 1 thread",
           ratio(figure("load_hit", ours, 1, "cpu_ns_per_op"), figure("load_hit", ours, 2, "cpu_ns_per_op"), 2.0),
           ratio(figure("load_hit", ours, 1, "ns_per_op"), figure("load_hit", ours, 2, "ns_per_op")), "x");
    t.info("90% load / 10% write: 8 threads throughput / 2 threads",
           ratio(figure("load90_write10", ours, 2, "cpu_ns_per_op"), figure("load90_write10", ours, 8, "cpu_ns_per_op")),
           ratio(figure("load90_write10", ours, 2, "ns_per_op"), figure("load90_write10", ours, 8, "ns_per_op")), "x");
    t.total();
}

void print_summary(std::ostream& out, const summary_reporter& r, const std::string& load_before) {
    const std::vector<std::string> point_rows = {
        "load_hit/threads:1",       "load_hit/threads:2",       "load_miss/threads:1",      "load_miss/threads:2",
        "load90_write10/threads:1", "load90_write10/threads:2", "load90_write10/threads:4", "load90_write10/threads:8"};
    const std::vector<std::string> string_rows = {"string_load_hit/threads:1"};
    out << "\nSummary: medians of " << r.repetitions() << " repetition(s); load average " << load_before
        << " before the run, " << load_average() << " after (2 cores would be saturated at 2.0).\n"
        << "(Nx) = peer / sync_map, so above 1 means sync_map is faster.\n";
    print_table(out, r, "Point operations, 1M preloaded uint64 keys [worker CPU ns per op]", point_rows,
                "cpu_ns_per_op", 1);
    print_table(out, r, "Point operations [wall ns per op, all threads together]", point_rows, "ns_per_op", 1);
    print_table(out, r, "Range over 1M entries [CPU ns per entry]", {"range"}, "cpu_ns_per_entry", 2);
    print_table(out, r, "Range over 1M entries [wall ns per entry]", {"range"}, "ns_per_entry", 2);
    print_table(out, r, "1M std::string keys (21 characters) -> uint64 [worker CPU ns per op]", string_rows,
                "cpu_ns_per_op", 1);
    print_table(out, r, "1M std::string keys -> uint64 [wall ns per op]", string_rows, "ns_per_op", 1);

    out << "\nTargets, by CPU time (wall time beside it); memory per entry: see syncmap-memory\n";
    print_targets(out, r, sync_map_adapter::name);
    out << "\nThe same targets for sync_map_nodes (uint64 keys with node storage forced), for comparison\n";
    print_targets(out, r, sync_map_nodes_adapter::name);
}

}  // namespace
}  // namespace syncmap_bench

int main(int argc, char** argv) {
    using namespace syncmap_bench;
    const std::string load_before = load_average();

    // Defaults for a full run (about four minutes on two cores); the same flags given
    // on the command line come later and win.
    std::vector<std::string> defaults = {"--benchmark_repetitions=7", "--benchmark_min_time=0.25",
                                         "--benchmark_enable_random_interleaving=true",
                                         "--benchmark_display_aggregates_only=true"};
    std::vector<char*> args;
    args.push_back(argv[0]);
    for (std::string& d : defaults) args.push_back(d.data());
    for (int i = 1; i < argc; ++i) args.push_back(argv[i]);
    int count = static_cast<int>(args.size());
    args.push_back(nullptr);

    benchmark::Initialize(&count, args.data());
    if (benchmark::ReportUnrecognizedArguments(count, args.data())) return 1;

    benchmark::AddCustomContext("entries", std::to_string(key_count));
    benchmark::AddCustomContext("load_average_before", load_before);
    register_all<sync_map_adapter, sync_map_nodes_adapter, boost_flat, cuckoo_map, tbb_map, locked_std, lfht_map>();
    register_string<sync_map_string_adapter, basic_boost_flat<std::string>, basic_cuckoo_map<std::string>,
                    basic_tbb_map<std::string>, basic_locked_std<std::string>>();

    summary_reporter reporter(benchmark::CreateDefaultDisplayReporter());
    benchmark::RunSpecifiedBenchmarks(&reporter);
    // Nothing was reported when the filter matched nothing or only the list was asked for.
    if (reporter.repetitions() > 0) print_summary(std::cout, reporter, load_before);

    release_maps();
    benchmark::Shutdown();
    return 0;
}
