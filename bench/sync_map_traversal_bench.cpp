// bench/sync_map_traversal_bench.cpp - syncmap-traversal-bench: the costs of walking a
// sync_map that changes: snapshot creation, writes while a snapshot lives, chunked scans
// against one uninterrupted range, resuming by cursor against resuming by re-sorting, and
// the memory a snapshot retains and releases.
//
// Method: one map of 1M random uint64 keys (fixed seed) shared by all benchmarks; keys for
// point operations come from a precomputed stream. Every figure is a Google Benchmark
// counter; after the run a summary prints the figures (medians when repeated) and the
// verdict of each target, judged by CPU time: snapshot() under 1 us at 1M entries, an
// overwrite while one snapshot lives at most 2x one with none, and a full pass of scan
// calls with chunk 100 at most 1.2x one uninterrupted range.
#include <benchmark/benchmark.h>
#include <malloc.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <syncmap/sync_map.hpp>

namespace {

using map_type = syncmap::sync_map<std::uint64_t, std::uint64_t>;
constexpr std::size_t entry_count = 1'000'000;

const std::vector<std::uint64_t>& keys() {
    static const std::vector<std::uint64_t> k = [] {
        std::vector<std::uint64_t> v(entry_count);
        std::mt19937_64 rng(42);
        for (auto& x : v) x = rng();
        return v;
    }();
    return k;
}

const std::vector<std::uint64_t>& key_stream() {
    static const std::vector<std::uint64_t> s = [] {
        std::vector<std::uint64_t> v(1 << 20);
        std::mt19937_64 rng(7);
        for (auto& x : v) x = keys()[rng() % entry_count];
        return v;
    }();
    return s;
}

map_type& shared_map() {
    static map_type* m = [] {
        auto* p = new map_type(1234);
        for (std::uint64_t k : keys()) p->store(k, k);
        return p;
    }();
    return *m;
}

// Medians of the figures the summary compares, filled by the benchmarks (last run wins).
std::map<std::string, double>& figures() {
    static std::map<std::string, double> f;
    return f;
}

void BM_snapshot_create(benchmark::State& state) {
    map_type& m = shared_map();
    for (auto _ : state) {
        auto s = m.snapshot();
        benchmark::DoNotOptimize(s.version());
    }
    state.counters["entries"] = static_cast<double>(entry_count);
}
BENCHMARK(BM_snapshot_create);

// Overwrites of existing keys, without and with a snapshot alive (the snapshot is taken
// before timing and lives through all iterations, so every first overwrite of a key keeps
// the old version in a chain).
void overwrite(benchmark::State& state, bool with_snapshot) {
    map_type& m = shared_map();
    const auto& stream = key_stream();
    std::optional<map_type::snapshot_type> snap;
    if (with_snapshot) snap.emplace(m.snapshot());
    std::size_t i = 0;
    std::uint64_t v = 1;
    for (auto _ : state) {
        const std::uint64_t k = stream[i++ & (stream.size() - 1)];
        m.store(k, k ^ v++);
    }
    state.counters["ns_per_store"] =
        benchmark::Counter(static_cast<double>(state.iterations()), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
    if (snap) state.counters["versions_retained"] = static_cast<double>(m.stats().versions_retained);
    snap.reset();
    for (std::uint64_t k : keys()) m.store(k, k);  // restore values (not timed)
}
void BM_store_no_snapshot(benchmark::State& state) { overwrite(state, false); }
void BM_store_snapshot_alive(benchmark::State& state) { overwrite(state, true); }
BENCHMARK(BM_store_no_snapshot);
BENCHMARK(BM_store_snapshot_alive);

void BM_range_whole(benchmark::State& state) {
    map_type& m = shared_map();
    for (auto _ : state) {
        std::uint64_t sum = 0;
        m.range([&](std::uint64_t, std::uint64_t val) { sum += val; });
        benchmark::DoNotOptimize(sum);
    }
    state.counters["ns_per_entry"] = benchmark::Counter(static_cast<double>(state.iterations() * entry_count),
                                                        benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_range_whole)->Unit(benchmark::kMillisecond);

// A full pass of scan calls with chunk 100 per iteration (about 10,000 to 20,000 calls:
// a call offers between 50 and 100 entries, preferring to stop at a leaf boundary).
void BM_scan_chunks_of_100(benchmark::State& state) {
    map_type& m = shared_map();
    std::uint64_t chunks = 0;
    for (auto _ : state) {
        std::uint64_t sum = 0;
        syncmap::cursor c;
        do {
            c = m.scan(c, 100, [&](std::uint64_t, std::uint64_t val) { sum += val; });
            ++chunks;
        } while (!c.done());
        benchmark::DoNotOptimize(sum);
    }
    state.counters["chunks_per_pass"] = static_cast<double>(chunks) / static_cast<double>(state.iterations());
    state.counters["ns_per_entry"] = benchmark::Counter(static_cast<double>(state.iterations() * entry_count),
                                                        benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_scan_chunks_of_100)->Unit(benchmark::kMillisecond);

// The naive way to resume a traversal of a changing map: collect every key, sort, binary
// search the last key returned, take the next 100. One resume per iteration.
void BM_resume_by_resort(benchmark::State& state) {
    map_type& m = shared_map();
    std::uint64_t last = keys()[0];
    for (auto _ : state) {
        std::vector<std::uint64_t> all;
        all.reserve(entry_count);
        m.range([&](std::uint64_t k, std::uint64_t) { all.push_back(k); });
        std::sort(all.begin(), all.end());
        auto it = std::upper_bound(all.begin(), all.end(), last);
        std::uint64_t sum = 0;
        for (int n = 0; n < 100 && it != all.end(); ++n, ++it) sum += *it;
        if (it != all.end()) last = *it;
        benchmark::DoNotOptimize(sum);
    }
    state.counters["ns_per_resume"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_resume_by_resort)->Unit(benchmark::kMillisecond)->Iterations(5);

// One resume by cursor: a chunk of 100 from a cursor in the middle of the pass.
void BM_resume_by_cursor(benchmark::State& state) {
    map_type& m = shared_map();
    syncmap::cursor middle;
    for (int i = 0; i < 5000; ++i) middle = m.scan(middle, 100, [](std::uint64_t, std::uint64_t) {});
    const std::string text = middle.to_string();
    for (auto _ : state) {
        std::uint64_t sum = 0;
        const syncmap::cursor c = syncmap::cursor::from_string(text);
        benchmark::DoNotOptimize(m.scan(c, 100, [&](std::uint64_t, std::uint64_t val) { sum += val; }));
        benchmark::DoNotOptimize(sum);
    }
    state.counters["ns_per_resume"] = benchmark::Counter(static_cast<double>(state.iterations()),
                                                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_resume_by_cursor);

// Bytes a snapshot retains while every key is overwritten once, and what is left after it
// is destroyed, from the allocator's own count (mallinfo2), after draining RCU.
void BM_snapshot_memory(benchmark::State& state) {
    for (auto _ : state) {
        map_type m(99);
        for (std::uint64_t k : keys()) m.store(k, k);
        syncmap::detail::rcu_barrier();
        const auto base = mallinfo2().uordblks;
        auto snap = std::optional<map_type::snapshot_type>(m.snapshot());
        for (std::uint64_t k : keys()) m.store(k, k + 1);
        syncmap::detail::rcu_barrier();
        const auto held = mallinfo2().uordblks;
        const auto retained = m.stats().versions_retained;
        snap.reset();
        syncmap::detail::rcu_barrier();
        const auto after = mallinfo2().uordblks;
        state.counters["retained_bytes_per_overwrite"] =
            (static_cast<double>(held) - static_cast<double>(base)) / static_cast<double>(entry_count);
        state.counters["versions_retained"] = static_cast<double>(retained);
        state.counters["bytes_left_after_destroy"] = static_cast<double>(after) - static_cast<double>(base);
    }
}
BENCHMARK(BM_snapshot_memory)->Iterations(1)->Unit(benchmark::kMillisecond);

double nanoseconds_per(benchmark::TimeUnit unit) {
    switch (unit) {
        case benchmark::kSecond: return 1e9;
        case benchmark::kMillisecond: return 1e6;
        case benchmark::kMicrosecond: return 1e3;
        default: return 1.0;
    }
}

// Collects the counters of the run for the summary: the median over repetitions when there
// is one (it is reported after the repetitions, under the same function name), otherwise
// the last run.
class summary_reporter : public benchmark::ConsoleReporter {
public:
    void ReportRuns(const std::vector<Run>& runs) override {
        ConsoleReporter::ReportRuns(runs);
        for (const Run& r : runs) {
            if (r.error_occurred) continue;
            if (r.run_type == Run::RT_Aggregate && r.aggregate_name != "median") continue;
            const std::string& name = r.run_name.function_name;
            figures()[name + ".real_ns"] = r.GetAdjustedRealTime() * nanoseconds_per(r.time_unit);
            figures()[name + ".cpu_ns"] = r.GetAdjustedCPUTime() * nanoseconds_per(r.time_unit);
            for (const auto& [k, c] : r.counters) figures()[name + "." + k] = c.value;
        }
    }
};

// A target's verdict, judged by CPU time (as syncmap-bench does), with wall time beside it.
void print_verdict(const char* what, double cpu, double wall, double bound, bool strictly_below, const char* unit) {
    if (cpu <= 0) {
        std::printf("  [not run] %s\n", what);
        return;
    }
    const bool met = strictly_below ? cpu < bound : cpu <= bound;
    std::printf("  [%s] %s: %.2f%s (target %s %.2f%s); wall %.2f%s\n", met ? "met   " : "MISSED", what, cpu, unit,
                strictly_below ? "<" : "<=", bound, unit, wall, unit);
}

void print_summary() {
    auto& f = figures();
    auto get = [&](const std::string& k) { return f.count(k) ? f[k] : 0.0; };
    auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
    std::printf("\nsummary (medians when repeated; CPU time, wall time in brackets)\n");
    std::printf("  snapshot() at 1M entries:              %8.0f ns [%.0f]\n", get("BM_snapshot_create.cpu_ns"),
                get("BM_snapshot_create.real_ns"));
    const double s0 = get("BM_store_no_snapshot.cpu_ns"), s1 = get("BM_store_snapshot_alive.cpu_ns");
    std::printf("  store, no snapshot / snapshot alive:   %8.1f / %.1f ns [%.1f / %.1f]\n", s0, s1,
                get("BM_store_no_snapshot.real_ns"), get("BM_store_snapshot_alive.real_ns"));
    const double r = get("BM_range_whole.cpu_ns"), c = get("BM_scan_chunks_of_100.cpu_ns");
    std::printf("  range 1M: %.1f ms [%.1f]; a pass of scans with chunk 100 (%.0f calls): %.1f ms [%.1f]\n", r / 1e6,
                get("BM_range_whole.real_ns") / 1e6, get("BM_scan_chunks_of_100.chunks_per_pass"), c / 1e6,
                get("BM_scan_chunks_of_100.real_ns") / 1e6);
    const double rs = get("BM_resume_by_resort.real_ns"), rc = get("BM_resume_by_cursor.real_ns");
    std::printf("  one resume (wall): re-sort %.2f ms, cursor %.0f ns  ratio %.0fx\n", rs / 1e6, rc, ratio(rs, rc));
    std::printf("  snapshot memory: %.1f bytes retained per overwritten entry; %.0f bytes left after destroy\n",
                get("BM_snapshot_memory.retained_bytes_per_overwrite"), get("BM_snapshot_memory.bytes_left_after_destroy"));

    std::printf("\nTargets, by CPU time (wall time beside it)\n");
    print_verdict("snapshot() at 1M entries", get("BM_snapshot_create.cpu_ns"), get("BM_snapshot_create.real_ns"),
                  1000.0, true, " ns");
    print_verdict("overwrite with one snapshot alive / with none", ratio(s1, s0),
                  ratio(get("BM_store_snapshot_alive.real_ns"), get("BM_store_no_snapshot.real_ns")), 2.0, false, "x");
    print_verdict("one full pass of scan with chunk 100 / one range", ratio(c, r),
                  ratio(get("BM_scan_chunks_of_100.real_ns"), get("BM_range_whole.real_ns")), 1.2, false, "x");
}

}  // namespace

int main(int argc, char** argv) {
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
    keys();
    key_stream();
    shared_map();
    summary_reporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    print_summary();
    return 0;
}
