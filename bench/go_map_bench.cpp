// go-map-bench: go_map against the single-threaded flat maps and std::unordered_map.
//
// Method. Every map uses its own default hasher (what a user gets): syncmap::hash (seeded,
// mixed), boost::hash with Boost's post-mixing, absl::Hash, std::hash (identity for
// integers). Keys are N distinct random uint64 values, or strings of 20-24 characters
// (heap-allocated, past libstdc++'s 15-byte small-string buffer) made from them; misses use
// N other keys. Lookups walk a shuffled copy of the keys, so at 1M entries nearly every
// lookup misses the cache, as real lookups into a big map do. Each benchmark reports
// time per operation (items_per_second is its inverse).
//   find_hit / find_miss  find(k) over all keys, summing found values
//   insert                build the map from empty (no reserve), growth included
//   erase                 erase every key in shuffled order (the map is copied untimed)
//   iterate               one full pass summing the values
// go_map runs with misuse detection (the default, SYNCMAP_GO_MAP_CHECKS=1) and without
// (basic_go_map<..., false>, the type SYNCMAP_GO_MAP_CHECKS=0 selects), to measure the cost
// of G3. Each also runs as a "_twin": the same code instantiated for another KeyEqual type
// name, which places it elsewhere in the binary. The spread between twins is the noise
// floor (code placement, heap layout) that a checks-on/off difference must exceed.
//
// Run with --benchmark_repetitions=3 --benchmark_report_aggregates_only=true and compare
// medians: ratios within one run are meaningful, absolute numbers depend on the machine.
// For the checks cost, run each variant in its own process, alternating, several rounds:
//   for r in 1 2 3 4; do for m in go_map go_map_nochecks go_map_nochecks_twin go_map_twin; do
//     go_map-bench --benchmark_filter="/(u64|string)/$m/" --benchmark_min_time=0.3; done; done
#include <syncmap/go_map.hpp>

#include <absl/container/flat_hash_map.h>
#include <benchmark/benchmark.h>
#include <boost/unordered/unordered_flat_map.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

template <class K>
using go_checked = syncmap::basic_go_map<K, std::uint64_t, syncmap::hash<K>, std::equal_to<K>, true>;
template <class K>
using go_unchecked = syncmap::basic_go_map<K, std::uint64_t, syncmap::hash<K>, std::equal_to<K>, false>;
template <class K>
struct twin_equal : std::equal_to<K> {};
template <class K>
using go_checked_twin = syncmap::basic_go_map<K, std::uint64_t, syncmap::hash<K>, twin_equal<K>, true>;
template <class K>
using go_unchecked_twin = syncmap::basic_go_map<K, std::uint64_t, syncmap::hash<K>, twin_equal<K>, false>;
template <class K>
using boost_flat = boost::unordered_flat_map<K, std::uint64_t>;
template <class K>
using absl_flat = absl::flat_hash_map<K, std::uint64_t>;
template <class K>
using std_map = std::unordered_map<K, std::uint64_t>;

template <class K>
K make_key(std::uint64_t x);
template <>
std::uint64_t make_key<std::uint64_t>(std::uint64_t x) {
    return x;
}
template <>
std::string make_key<std::string>(std::uint64_t x) {
    return "key:" + std::to_string(x % 100000000000000000ULL);  // 20-21 characters
}

template <class K>
struct key_set {
    std::vector<K> present;   // insertion order
    std::vector<K> shuffled;  // lookup order
    std::vector<K> absent;
};

template <class K>
const key_set<K>& keys(std::size_t n) {
    static std::map<std::size_t, key_set<K>> cache;
    auto it = cache.find(n);
    if (it != cache.end()) {
        return it->second;
    }
    std::mt19937_64 rng(n * 7919 + 1);
    key_set<K> ks;
    std::vector<std::uint64_t> raw;
    raw.reserve(2 * n);
    while (raw.size() < 2 * n) {
        raw.push_back(rng() | (std::uint64_t{1} << 60));  // same digit count for every string key
    }
    std::sort(raw.begin(), raw.end());
    raw.erase(std::unique(raw.begin(), raw.end()), raw.end());
    std::shuffle(raw.begin(), raw.end(), rng);
    for (std::size_t i = 0; i < n; ++i) {
        ks.present.push_back(make_key<K>(raw[i]));
        ks.absent.push_back(make_key<K>(raw[n + i]));
    }
    ks.shuffled = ks.present;
    std::shuffle(ks.shuffled.begin(), ks.shuffled.end(), rng);
    return cache.emplace(n, std::move(ks)).first->second;
}

template <class Map, class K>
Map build(const key_set<K>& ks) {
    Map m;
    std::uint64_t v = 0;
    for (const K& k : ks.present) {
        m.try_emplace(k, v++);
    }
    return m;
}

template <class Map, class K>
void find_hit(benchmark::State& state) {
    const auto& ks = keys<K>(static_cast<std::size_t>(state.range(0)));
    const Map m = build<Map>(ks);
    for (auto _ : state) {
        std::uint64_t sum = 0;
        for (const K& k : ks.shuffled) {
            auto it = m.find(k);
            if (it != m.end()) {
                sum += it->second;
            }
        }
        benchmark::DoNotOptimize(sum);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(ks.shuffled.size()));
}

template <class Map, class K>
void find_miss(benchmark::State& state) {
    const auto& ks = keys<K>(static_cast<std::size_t>(state.range(0)));
    const Map m = build<Map>(ks);
    for (auto _ : state) {
        std::uint64_t sum = 0;
        for (const K& k : ks.absent) {
            auto it = m.find(k);
            if (it != m.end()) {
                sum += it->second;
            }
        }
        benchmark::DoNotOptimize(sum);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(ks.absent.size()));
}

template <class Map, class K>
void insert(benchmark::State& state) {
    const auto& ks = keys<K>(static_cast<std::size_t>(state.range(0)));
    for (auto _ : state) {
        Map m;
        std::uint64_t v = 0;
        for (const K& k : ks.present) {
            m.try_emplace(k, v++);
        }
        benchmark::DoNotOptimize(m);
        state.PauseTiming();  // destruction is not insertion
        {
            Map gone = std::move(m);
        }
        state.ResumeTiming();
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(ks.present.size()));
}

template <class Map, class K>
void erase(benchmark::State& state) {
    const auto& ks = keys<K>(static_cast<std::size_t>(state.range(0)));
    const Map full = build<Map>(ks);
    for (auto _ : state) {
        state.PauseTiming();
        Map m = full;
        state.ResumeTiming();
        std::size_t erased = 0;
        for (const K& k : ks.shuffled) {
            erased += m.erase(k);
        }
        benchmark::DoNotOptimize(erased);
        state.PauseTiming();
        {
            Map gone = std::move(m);
        }
        state.ResumeTiming();
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(ks.shuffled.size()));
}

template <class Map, class K>
void iterate(benchmark::State& state) {
    const auto& ks = keys<K>(static_cast<std::size_t>(state.range(0)));
    const Map m = build<Map>(ks);
    for (auto _ : state) {
        std::uint64_t sum = 0;
        for (const auto& kv : m) {
            sum += kv.second;
        }
        benchmark::DoNotOptimize(sum);
    }
    state.SetItemsProcessed(state.iterations() * static_cast<std::int64_t>(m.size()));
}

template <template <class> class Map, class K>
void register_map(const char* map_name, const char* key_name) {
    struct op {
        const char* name;
        void (*fn)(benchmark::State&);
    };
    const op ops[] = {
        {"find_hit", &find_hit<Map<K>, K>}, {"find_miss", &find_miss<Map<K>, K>}, {"insert", &insert<Map<K>, K>},
        {"erase", &erase<Map<K>, K>},       {"iterate", &iterate<Map<K>, K>},
    };
    for (const op& o : ops) {
        const std::string name = std::string(o.name) + "/" + key_name + "/" + map_name;
        benchmark::RegisterBenchmark(name.c_str(), o.fn)->Arg(1 << 10)->Arg(1 << 20)->Unit(benchmark::kNanosecond);
    }
}

template <class K>
void register_all(const char* key_name) {
    register_map<go_checked, K>("go_map", key_name);
    register_map<go_unchecked, K>("go_map_nochecks", key_name);
    register_map<go_checked_twin, K>("go_map_twin", key_name);
    register_map<go_unchecked_twin, K>("go_map_nochecks_twin", key_name);
    register_map<boost_flat, K>("boost_flat", key_name);
    register_map<absl_flat, K>("absl_flat", key_name);
    register_map<std_map, K>("std_unordered", key_name);
}

}  // namespace

int main(int argc, char** argv) {
    register_all<std::uint64_t>("u64");
    register_all<std::string>("string");
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv)) {
        return 1;
    }
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    return 0;
}
