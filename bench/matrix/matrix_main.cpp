// bench/matrix/matrix_main.cpp - syncmap-matrix: the whole benchmark matrix for the
// in-process maps in one run, as result lines (record.hpp) for bench/report/matrix_report.py.
//
// For each key type, each map is built once and grown through the sizes (1K, 64K, 1M, 16M
// entries; --quick: 1K, 64K, 1M). At each size it runs every cell (mix x distribution x
// thread count), one timed traversal, for sync_map a snapshot() and a scan pass, and at the
// latency size the writer-latency cells; while it grows, the allocator's bytes in use are
// read at a geometric grid of sizes (the bytes-per-entry curve). One map lives at a time.
// docs/BENCHMARKS.md ("The matrix") describes every figure.
#include <malloc.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <syncmap/detail/rcu.hpp>  // rcu_barrier(): let retired memory go before reading the heap

#include "maps.hpp"
#include "measure.hpp"
#include "record.hpp"

namespace syncmap_matrix {
namespace {

struct options {
    bool quick = false;
    std::vector<std::uint64_t> sizes = {1'000, 64'000, 1'000'000, 16'000'000};
    std::vector<unsigned> threads = {1, 2, 4, 8};
    std::chrono::microseconds warm_up{20'000};
    std::chrono::microseconds window{60'000};
    int windows = 3;
    double min_traversal_seconds = 0.1;
    std::uint64_t latency_size = 1'000'000;
    double latency_seconds = 1.5;
    int memory_points_per_doubling = 8;
    std::string out = "matrix-results.txt";
    std::string only;  // run only the maps whose name contains this
};

void apply_quick(options& o) {
    o.quick = true;
    o.sizes = {1'000, 64'000, 1'000'000};
    o.warm_up = std::chrono::microseconds(4'000);
    o.window = std::chrono::microseconds(12'000);
    o.windows = 1;
    o.min_traversal_seconds = 0.02;
    o.latency_size = 64'000;
    o.latency_seconds = 0.3;
    o.memory_points_per_doubling = 4;
}

std::string size_label(std::uint64_t n) {
    if (n % 1'000'000 == 0) return std::to_string(n / 1'000'000) + "M";
    if (n % 1'000 == 0) return std::to_string(n / 1'000) + "K";
    return std::to_string(n);
}

template <class Key>
const char* key_label() {
    return std::is_same_v<Key, std::uint64_t> ? "u64" : "string";
}

std::string load_average() {
    std::ifstream in("/proc/loadavg");
    std::string a, b, c;
    if (!(in >> a >> b >> c)) return "unknown";
    return a + " " + b + " " + c;
}

std::size_t heap_in_use() {
    const struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

// Lets the RCU-based maps free what they retired.
void settle() {
    syncmap::detail::rcu_barrier();
    syncmap_bench::lfht_map::barrier();
}

// ---- Progress ------------------------------------------------------------------------------

// Estimates are in "work units" of roughly one second on an idle machine; the time left is
// the elapsed time scaled by the units left over the units done, so the constants only need
// to be right relative to each other.
class progress {
public:
    progress(const options& o, std::size_t groups, double units) : groups_(groups), total_(units) {
        (void)o;
        start_ = clock_type::now();
    }
    void group_done(const std::string& what, double units, double seconds) {
        done_ += units;
        ++finished_;
        const double elapsed = std::chrono::duration<double>(clock_type::now() - start_).count();
        const double left = done_ > 0 ? elapsed * (total_ - done_) / done_ : 0;
        std::printf("[%3zu/%zu] %-34s %6.1f s | elapsed %s, about %s left\n", finished_, groups_, what.c_str(), seconds,
                    clock_text(elapsed).c_str(), clock_text(std::max(0.0, left)).c_str());
        std::fflush(stdout);
    }
    static std::string clock_text(double s) {
        char text[32];
        std::snprintf(text, sizeof text, "%d:%02d", static_cast<int>(s) / 60, static_cast<int>(s) % 60);
        return text;
    }

private:
    std::size_t groups_;
    std::size_t finished_ = 0;
    double total_;
    double done_ = 0;
    clock_type::time_point start_;
};

// ---- Streams -------------------------------------------------------------------------------

// The key numbers of every stream, per size, shared by both key types.
struct number_streams {
    std::vector<std::uint64_t> hits[2];    // by distribution
    std::vector<std::uint64_t> misses[2];  // by distribution
};

template <class Key>
struct key_streams {
    std::vector<Key> hits[2];
    std::vector<Key> misses[2];
};

constexpr distribution distributions[] = {distribution::uniform, distribution::zipf};

// ---- One map, grown through the sizes ----------------------------------------------------

struct context {
    const options& opt;
    std::FILE* out;
    progress& bar;
    const std::map<std::uint64_t, number_streams>& numbers;
    const std::vector<std::uint64_t>& churn_numbers;
};

template <class Map>
double cells_per_size(const options& o) {
    double n = 0;
    for (mix m : all_mixes)
        for (unsigned t : o.threads) {
            if (writes(m) && !Map::concurrent_erase && t > 1) continue;
            n += m == mix::churn ? 1 : 2;
        }
    return n;
}

// Work units of one group (one map at one size), for the progress estimate.
template <class Map>
double group_units(const options& o, std::uint64_t size, std::uint64_t previous) {
    const double per_cell = (static_cast<double>(o.warm_up.count()) +
                             o.windows * static_cast<double>(o.window.count())) * 1e-6 + 0.004;
    const double insert_ns = std::is_same_v<typename Map::key_type, std::string> ? 600 : 200;
    double units = cells_per_size<Map>(o) * per_cell + static_cast<double>(size - previous) * insert_ns * 1e-9 +
                   o.min_traversal_seconds * 2;
    if (size == o.latency_size && Map::traversal != traversal_kind::not_under_writers) units += 2 * o.latency_seconds;
    return units;
}

template <class Map>
class map_run {
    using key_type = typename Map::key_type;

public:
    using streams_by_size = std::map<std::uint64_t, key_streams<key_type>>;
    map_run(const context& c, const streams_by_size& streams, const std::vector<key_type>& churn)
        : c_(c), streams_(streams), churn_(churn) {}

    void run() {
        settle();
        const std::size_t base = heap_in_use();
        auto map = std::make_unique<Map>();
        std::uint64_t grown = 0;
        std::uint64_t value_sum = 0;  // sum of the values of keys [0, grown)
        const std::vector<std::uint64_t> checkpoints = memory_grid();
        for (std::uint64_t size : c_.opt.sizes) {
            const auto group_start = clock_type::now();
            // Grow, reading the heap at each grid point on the way.
            for (std::uint64_t point : checkpoints) {
                if (point <= grown || point > size) continue;
                for (; grown < point; ++grown) {
                    map->store(key_as<key_type>(grown), value_of_number(grown));
                    value_sum += value_of_number(grown);
                }
                settle();
                const std::size_t bytes = heap_in_use() - base;
                base_record("memory")("entries", static_cast<unsigned long long>(grown))(
                    "bytes", static_cast<unsigned long long>(bytes))(
                    "bytes_per_entry", static_cast<double>(bytes) / static_cast<double>(grown))
                    .write(c_.out);
            }
            run_cells(*map, size);
            run_traversal(*map, size, value_sum);
            if constexpr (std::is_same_v<Map, sync_map_adapter<key_type>>) run_snapshot_and_scan(*map, size);
            if (size == c_.opt.latency_size && Map::traversal != traversal_kind::not_under_writers) {
                run_latency(*map, size, false);
                run_latency(*map, size, true);
            }
            check_contents(*map, size, value_sum);
            const double seconds = std::chrono::duration<double>(clock_type::now() - group_start).count();
            c_.bar.group_done(std::string(Map::name) + " " + key_label<key_type>() + " " + size_label(size),
                              group_units<Map>(c_.opt, size, previous_), seconds);
            previous_ = size;
        }
        map.reset();
        settle();
    }

private:
    record base_record(const char* kind) const {
        record r(kind);
        r("runtime", "c++")("map", Map::name)("key", key_label<key_type>());
        return r;
    }

    std::vector<std::uint64_t> memory_grid() const {
        std::set<std::uint64_t> points(c_.opt.sizes.begin(), c_.opt.sizes.end());
        const std::uint64_t largest = c_.opt.sizes.back();
        for (int j = 0;; ++j) {
            const double p = 1000.0 * std::pow(2.0, static_cast<double>(j) / c_.opt.memory_points_per_doubling);
            if (p > static_cast<double>(largest)) break;
            points.insert(static_cast<std::uint64_t>(p));
        }
        return {points.begin(), points.end()};
    }

    void run_cells(Map& map, std::uint64_t size) {
        const number_streams& numbers = c_.numbers.at(size);
        const key_streams<key_type>& streams = streams_.at(size);
        for (mix m : all_mixes) {
            for (distribution d : distributions) {
                if (m == mix::churn && d == distribution::zipf) continue;  // fresh keys: no distribution
                const int di = static_cast<int>(d);
                const cell_keys<key_type> keys{&streams.hits[di], &numbers.hits[di], &streams.misses[di], &churn_};
                for (unsigned threads : c_.opt.threads) {
                    if (writes(m) && !Map::concurrent_erase && threads > 1) continue;
                    run_window(map, m, keys, threads, 0, c_.opt.warm_up);  // warm-up, not recorded
                    std::vector<double> wall, cpu;
                    std::uint64_t ops = 0, hits = 0;
                    for (int w = 0; w < c_.opt.windows; ++w) {
                        const window_result r = run_window(map, m, keys, threads, static_cast<std::uint64_t>(w + 1),
                                                           c_.opt.window);
                        wall.push_back(r.seconds * 1e9 / static_cast<double>(r.ops));
                        cpu.push_back(r.cpu_seconds * 1e9 / static_cast<double>(r.ops));
                        ops += r.ops;
                        hits += r.hits;
                    }
                    if ((m == mix::read_hit && hits != ops) || (m == mix::read_miss && hits != 0)) {
                        base_record("error")("size", static_cast<unsigned long long>(size))("mix", name_of(m))(
                            "message", m == mix::read_hit ? "a load missed a present key" : "a load found an absent key")
                            .write(c_.out);
                    }
                    const double ns = median(wall);
                    base_record("point")("size", static_cast<unsigned long long>(size))(
                        "dist", m == mix::churn ? "none" : name_of(d))("mix", name_of(m))("threads", threads)(
                        "windows", c_.opt.windows)("ops", static_cast<unsigned long long>(ops))("ns_per_op", ns)(
                        "cpu_ns_per_op", median(cpu))("mops", 1e3 / ns)
                        .write(c_.out);
                }
            }
        }
    }

    void run_traversal(const Map& map, std::uint64_t size, std::uint64_t expected_sum) {
        std::uint64_t passes = 0;
        double wall = 0, cpu = 0;
        bool wrong = false;
        do {
            std::uint64_t sum = 0;
            const double cpu_before = thread_cpu_seconds();
            const auto begin = clock_type::now();
            const std::size_t n = map.traverse(sum);
            const auto end = clock_type::now();
            cpu += thread_cpu_seconds() - cpu_before;
            wall += std::chrono::duration<double>(end - begin).count();
            wrong = wrong || n != size || sum != expected_sum;
            ++passes;
        } while (wall < c_.opt.min_traversal_seconds);
        if (wrong)
            base_record("error")("size", static_cast<unsigned long long>(size))("mix", "iterate")(
                "message", "a traversal missed or repeated entries")
                .write(c_.out);
        const double entries = static_cast<double>(passes) * static_cast<double>(size);
        base_record("iterate")("size", static_cast<unsigned long long>(size))("passes",
                                                                                static_cast<unsigned long long>(passes))(
            "ns_per_entry", wall * 1e9 / entries)("cpu_ns_per_entry", cpu * 1e9 / entries)
            .write(c_.out);
    }

    // sync_map only: snapshot() (taken and destroyed) and a full pass of scan calls with chunk
    // 100, each timed in a loop until min_traversal_seconds.
    template <class M>
    void run_snapshot_and_scan(M& adapter, std::uint64_t size) {
        auto& map = adapter.map();
        {
            std::uint64_t count = 0;
            double wall = 0, cpu = 0;
            do {
                const double cpu_before = thread_cpu_seconds();
                const auto begin = clock_type::now();
                for (int i = 0; i < 100; ++i) {
                    auto s = map.snapshot();
                    benchmark_keep(s.version());
                }
                wall += std::chrono::duration<double>(clock_type::now() - begin).count();
                cpu += thread_cpu_seconds() - cpu_before;
                count += 100;
            } while (wall < c_.opt.min_traversal_seconds);
            base_record("snapshot")("size", static_cast<unsigned long long>(size))(
                "ns_per_snapshot", wall * 1e9 / static_cast<double>(count))(
                "cpu_ns_per_snapshot", cpu * 1e9 / static_cast<double>(count))
                .write(c_.out);
        }
        std::uint64_t passes = 0, calls = 0;
        double wall = 0, cpu = 0;
        do {
            std::uint64_t sum = 0;
            const double cpu_before = thread_cpu_seconds();
            const auto begin = clock_type::now();
            syncmap::cursor cur;
            do {
                cur = map.scan(cur, 100, [&](const key_type&, const std::uint64_t& v) { sum += v; });
                ++calls;
            } while (!cur.done());
            wall += std::chrono::duration<double>(clock_type::now() - begin).count();
            cpu += thread_cpu_seconds() - cpu_before;
            benchmark_keep(sum);
            ++passes;
        } while (wall < c_.opt.min_traversal_seconds);
        const double entries = static_cast<double>(passes) * static_cast<double>(size);
        base_record("scan")("size", static_cast<unsigned long long>(size))("chunk", 100)(
            "calls_per_pass", static_cast<double>(calls) / static_cast<double>(passes))(
            "ns_per_entry", wall * 1e9 / entries)("cpu_ns_per_entry", cpu * 1e9 / entries)
            .write(c_.out);
    }

    static void benchmark_keep(std::uint64_t v) { asm volatile("" : : "r"(v) : "memory"); }

    // One writer thread erases a key of the uniform stream and stores it back, alternately,
    // timing every operation; with `traversing`, another thread runs full passes meanwhile.
    void run_latency(Map& map, std::uint64_t size, bool traversing) {
        const std::vector<key_type>& stream = streams_.at(size).hits[0];
        const std::vector<std::uint64_t>& numbers = c_.numbers.at(size).hits[0];
        std::atomic<bool> stop{false};
        std::atomic<std::uint64_t> passes{0};
        std::optional<std::thread> walker;
        if (traversing) {
            walker.emplace([&] {
                while (!stop.load(std::memory_order_relaxed)) {
                    std::uint64_t sum = 0;
                    map.traverse(sum);
                    benchmark_keep(sum);
                    passes.fetch_add(1, std::memory_order_relaxed);
                }
            });
            std::this_thread::sleep_for(std::chrono::milliseconds(1));  // the first pass is under way
        }
        latency_histogram h;
        std::thread writer([&] {
            const auto end = clock_type::now() + std::chrono::duration<double>(c_.opt.latency_seconds);
            std::size_t pos = 0;
            for (;;) {
                const auto t0 = clock_type::now();
                if (t0 >= end) break;
                const std::size_t i = pos++ & stream_mask;
                map.erase(stream[i]);
                const auto t1 = clock_type::now();
                map.store(stream[i], value_of_number(numbers[i]));
                const auto t2 = clock_type::now();
                h.add(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count()));
                h.add(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t2 - t1).count()));
            }
        });
        writer.join();
        stop.store(true, std::memory_order_relaxed);
        if (walker) walker->join();
        base_record("latency")("size", static_cast<unsigned long long>(size))(
            "traversal", traversing ? "running" : "none")("kind", name_of(Map::traversal))(
            "ops", static_cast<unsigned long long>(h.total()))("passes",
                                                               static_cast<unsigned long long>(passes.load()))(
            "p50_ns", static_cast<unsigned long long>(h.quantile(0.5)))(
            "p99_ns", static_cast<unsigned long long>(h.quantile(0.99)))(
            "p999_ns", static_cast<unsigned long long>(h.quantile(0.999)))(
            "max_ns", static_cast<unsigned long long>(h.max()))("cdf", h.cdf())
            .write(c_.out);
    }

    void check_contents(const Map& map, std::uint64_t size, std::uint64_t expected_sum) {
        std::uint64_t sum = 0;
        const std::size_t n = map.traverse(sum);
        if (n != size || sum != expected_sum) {
            base_record("error")("size", static_cast<unsigned long long>(size))("mix", "all")(
                "message", "after the cells the map no longer holds exactly its keys and values")
                .write(c_.out);
            std::printf("ERROR: %s %s %s: the map no longer holds exactly its keys (%zu entries)\n", Map::name,
                        key_label<key_type>(), size_label(size).c_str(), n);
        }
    }

    const context& c_;
    const streams_by_size& streams_;
    const std::vector<key_type>& churn_;
    std::uint64_t previous_ = 0;
};

// ---- Key types ---------------------------------------------------------------------------

// Runs every map of the pack for one key type: the streams of every size are converted to
// that key type first, so each map's heap baseline already holds them. One map at a time.
template <class Key, class... Maps>
void run_key_type(const context& c) {
    const auto begin = clock_type::now();
    std::map<std::uint64_t, key_streams<Key>> streams;
    for (const auto& [size, numbers] : c.numbers) {
        key_streams<Key>& s = streams[size];
        for (int d = 0; d < 2; ++d) {
            s.hits[d] = keys_of<Key>(numbers.hits[d]);
            s.misses[d] = keys_of<Key>(numbers.misses[d]);
        }
    }
    const std::vector<Key> churn = keys_of<Key>(c.churn_numbers);
    std::printf("%s keys: streams ready in %.1f s\n", key_label<Key>(),
                std::chrono::duration<double>(clock_type::now() - begin).count());
    const auto selected = [&](const char* name) {
        return c.opt.only.empty() || std::string(name).find(c.opt.only) != std::string::npos;
    };
    ((selected(Maps::name) ? map_run<Maps>(c, streams, churn).run() : void()), ...);
}

template <class Key, class... Maps>
void describe(std::FILE* out) {
    (record("map")("runtime", "c++")("map", Maps::name)("key", key_label<Key>())("what", Maps::what)(
         "measured", "in-process")("concurrent_erase", Maps::concurrent_erase ? "yes" : "no")(
         "traversal", name_of(Maps::traversal))
         .write(out),
     ...);
}

template <class Key, class... Maps>
std::pair<std::size_t, double> plan(const options& o) {
    std::size_t groups = 0;
    double units = 0;
    const auto add = [&](auto* tag, const char* name) {
        using Map = std::remove_pointer_t<decltype(tag)>;
        if (!o.only.empty() && std::string(name).find(o.only) == std::string::npos) return;
        std::uint64_t previous = 0;
        for (std::uint64_t size : o.sizes) {
            ++groups;
            units += group_units<Map>(o, size, previous);
            previous = size;
        }
    };
    (add(static_cast<Maps*>(nullptr), Maps::name), ...);
    return {groups, units};
}

#ifdef SYNCMAP_MATRIX_HAVE_XENIUM
#define SYNCMAP_MATRIX_XENIUM , xenium_adapter
#else
#define SYNCMAP_MATRIX_XENIUM
#endif
#define SYNCMAP_MATRIX_U64_MAPS                                                                                     \
    std::uint64_t, sync_map_adapter<std::uint64_t>, boost_flat_adapter<std::uint64_t>,                               \
        cuckoo_adapter<std::uint64_t>, tbb_hash_map_adapter<std::uint64_t>, tbb_unordered_adapter<std::uint64_t>,    \
        locked_std_adapter<std::uint64_t>, absl_locked_adapter<std::uint64_t>, lfht_adapter                          \
        SYNCMAP_MATRIX_XENIUM
#define SYNCMAP_MATRIX_STRING_MAPS                                                                                   \
    std::string, sync_map_adapter<std::string>, boost_flat_adapter<std::string>, cuckoo_adapter<std::string>,        \
        tbb_hash_map_adapter<std::string>, tbb_unordered_adapter<std::string>, locked_std_adapter<std::string>,      \
        absl_locked_adapter<std::string>

int usage(const char* argv0) {
    std::fprintf(stderr,
                 "usage: %s [--quick] [--out FILE] [--only NAME] [--sizes N,N,...] [--threads N,N,...]\n"
                 "  --quick       reduced matrix (sizes 1K, 64K, 1M; short windows), same report shape\n"
                 "  --out FILE    result lines (default matrix-results.txt)\n"
                 "  --only NAME   only the maps whose name contains NAME\n",
                 argv0);
    return 2;
}

std::vector<std::uint64_t> parse_list(const char* text) {
    std::vector<std::uint64_t> out;
    std::string s(text);
    std::size_t p = 0;
    while (p < s.size()) {
        const std::size_t comma = s.find(',', p);
        out.push_back(std::stoull(s.substr(p, comma == std::string::npos ? std::string::npos : comma - p)));
        if (comma == std::string::npos) break;
        p = comma + 1;
    }
    return out;
}

}  // namespace
}  // namespace syncmap_matrix

int main(int argc, char** argv) {
    using namespace syncmap_matrix;
    options opt;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--quick") {
            apply_quick(opt);
        } else if (a == "--out" && i + 1 < argc) {
            opt.out = argv[++i];
        } else if (a == "--only" && i + 1 < argc) {
            opt.only = argv[++i];
        } else if (a == "--sizes" && i + 1 < argc) {
            opt.sizes = parse_list(argv[++i]);
        } else if (a == "--threads" && i + 1 < argc) {
            opt.threads.clear();
            for (std::uint64_t t : parse_list(argv[++i])) opt.threads.push_back(static_cast<unsigned>(t));
        } else {
            return usage(argv[0]);
        }
    }
    if (std::find(opt.sizes.begin(), opt.sizes.end(), opt.latency_size) == opt.sizes.end())
        opt.latency_size = opt.sizes.back();
    std::FILE* out = std::fopen(opt.out.c_str(), "w");
    if (out == nullptr) {
        std::perror(opt.out.c_str());
        return 1;
    }
    const auto start = clock_type::now();
    record("meta")("runtime", "c++")("measured", "in-process")("quick", opt.quick ? 1 : 0)(
        "load_before", load_average())("cores", std::thread::hardware_concurrency())(
        "windows", opt.windows)("window_ms", static_cast<double>(opt.window.count()) / 1e3)(
        "latency_size", static_cast<unsigned long long>(opt.latency_size))("latency_seconds", opt.latency_seconds)
        .write(out);
    describe<SYNCMAP_MATRIX_U64_MAPS>(out);
    describe<SYNCMAP_MATRIX_STRING_MAPS>(out);

    // Streams of key numbers for every size, and their digests.
    std::map<std::uint64_t, number_streams> numbers;
    for (std::uint64_t size : opt.sizes) {
        const zipf_ranks zipf(size);
        number_streams& s = numbers[size];
        for (distribution d : distributions) {
            const int di = static_cast<int>(d);
            s.hits[di] = draw_numbers(size, d, &zipf, hit_stream_seed, 0);
            s.misses[di] = draw_numbers(size, d, &zipf, miss_stream_seed, miss_base);
            record("stream")("runtime", "c++")("size", static_cast<unsigned long long>(size))("dist", name_of(d))(
                "kind", "hit")("digest", static_cast<unsigned long long>(digest(s.hits[di])))
                .write(out);
            record("stream")("runtime", "c++")("size", static_cast<unsigned long long>(size))("dist", name_of(d))(
                "kind", "miss")("digest", static_cast<unsigned long long>(digest(s.misses[di])))
                .write(out);
        }
    }
    const std::vector<std::uint64_t> churn = churn_numbers();
    std::printf("key streams for %zu sizes ready in %.1f s\n", opt.sizes.size(),
                std::chrono::duration<double>(clock_type::now() - start).count());

    const auto [g1, u1] = plan<SYNCMAP_MATRIX_U64_MAPS>(opt);
    const auto [g2, u2] = plan<SYNCMAP_MATRIX_STRING_MAPS>(opt);
    progress bar(opt, g1 + g2, u1 + u2);
    const context c{opt, out, bar, numbers, churn};
    run_key_type<SYNCMAP_MATRIX_U64_MAPS>(c);
    run_key_type<SYNCMAP_MATRIX_STRING_MAPS>(c);

    record("meta")("runtime", "c++")("load_after", load_average())(
        "seconds", std::chrono::duration<double>(clock_type::now() - start).count())
        .write(out);
    std::fclose(out);
    std::printf("c++ matrix done in %s; results in %s\n",
                progress::clock_text(std::chrono::duration<double>(clock_type::now() - start).count()).c_str(),
                opt.out.c_str());
    return 0;
}
