// bench/matrix/measure.hpp - how one cell of the matrix is timed: the operation mixes,
// windows of wall time with the CPU time of their threads, and the writer-latency
// histogram.
#pragma once

#include <time.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "keys.hpp"

namespace syncmap_matrix {

using clock_type = std::chrono::steady_clock;

// CPU time consumed by the calling thread, in seconds.
inline double thread_cpu_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The operation mixes. Every mix leaves the key set as it found it (checked after each
// group of cells).
//   read_hit   loads of present keys
//   read_miss  loads of absent keys
//   rw90       nine loads, then one write; writes alternate between erasing a key of the
//              stream and storing it back (5% erase, 5% insert)
//   rw50       one load, then one write, writes as in rw90
//   churn      insert a fresh key, erase the key this thread inserted 16 operations earlier
//              (keys from the thread's own slice of the churn keys; no loads)
enum class mix { read_hit, read_miss, rw90, rw50, churn };
inline constexpr mix all_mixes[] = {mix::read_hit, mix::read_miss, mix::rw90, mix::rw50, mix::churn};
inline const char* name_of(mix m) {
    switch (m) {
        case mix::read_hit: return "read_hit";
        case mix::read_miss: return "read_miss";
        case mix::rw90: return "rw90";
        case mix::rw50: return "rw50";
        case mix::churn: return "churn";
    }
    return "";
}
inline bool writes(mix m) { return m == mix::rw90 || m == mix::rw50 || m == mix::churn; }

inline constexpr std::size_t churn_depth = 16;

// The keys one cell reads: the stream of present keys, of absent keys, and the churn keys.
template <class Key>
struct cell_keys {
    const std::vector<Key>* hits;
    const std::vector<std::uint64_t>* hit_numbers;  // the numbers of `hits`, for their values
    const std::vector<Key>* misses;
    const std::vector<Key>* churn;
};

struct thread_tally {
    std::uint64_t ops = 0;
    std::uint64_t hits = 0;
    std::uint64_t checksum = 0;
};

// One thread's share of a window, from position `pos` of its stream, in rounds of 250 or
// 256 operations between looks at the stop flag.
template <class Map>
thread_tally drive(Map& map, mix m, const cell_keys<typename Map::key_type>& keys, unsigned thread,
                   std::size_t pos, const std::atomic<bool>& stop) {
    using key_type = typename Map::key_type;
    thread_tally tally;
    std::uint64_t value = 0;
    const key_type* stream = (m == mix::read_miss ? keys.misses : keys.hits)->data();
    const auto load = [&](const key_type& k) {
        if (map.load(k, value)) {
            tally.checksum += value;
            ++tally.hits;
        }
    };
    // rw90 / rw50: the key this thread erased and has yet to store back.
    std::uint64_t held = 0;  // its position in the stream
    bool holding = false;
    const auto write = [&] {
        if (holding) {
            map.store(stream[held & stream_mask], value_of_number((*keys.hit_numbers)[held & stream_mask]));
        } else {
            held = pos++;
            map.erase(stream[held & stream_mask]);
        }
        holding = !holding;
    };
    // churn: this thread's slice, and how many keys it inserted in this window.
    const key_type* slice = keys.churn->data() + thread * churn_slice;
    std::size_t inserted = 0;
    const std::size_t churn_start = pos;
    // At least one round, even for a thread that first runs after the stop flag was raised
    // (a loaded machine), so that no window counts zero operations.
    // relaxed: the flag only ends the loop; the join publishes the tally.
    do {
        switch (m) {
            case mix::read_hit:
            case mix::read_miss:
                for (int i = 0; i < 256; ++i) load(stream[pos++ & stream_mask]);
                tally.ops += 256;
                break;
            case mix::rw90:
                for (int r = 0; r < 25; ++r) {
                    for (int i = 0; i < 9; ++i) load(stream[pos++ & stream_mask]);
                    write();
                }
                tally.ops += 250;
                break;
            case mix::rw50:
                for (int r = 0; r < 125; ++r) {
                    load(stream[pos++ & stream_mask]);
                    write();
                }
                tally.ops += 250;
                break;
            case mix::churn:
                for (int i = 0; i < 128; ++i) {
                    map.store(slice[(churn_start + inserted) & (churn_slice - 1)], inserted);
                    ++inserted;
                    if (inserted > churn_depth) map.erase(slice[(churn_start + inserted - 1 - churn_depth) & (churn_slice - 1)]);
                }
                tally.ops += 256;
                break;
        }
    } while (!stop.load(std::memory_order_relaxed));
    // Leave the key set as found.
    if (holding) map.store(stream[held & stream_mask], value_of_number((*keys.hit_numbers)[held & stream_mask]));
    for (std::size_t i = inserted > churn_depth ? inserted - churn_depth : 0; i < inserted; ++i)
        map.erase(slice[(churn_start + i) & (churn_slice - 1)]);
    return tally;
}

struct window_result {
    std::uint64_t ops = 0;
    std::uint64_t hits = 0;
    double seconds = 0;      // wall time from the start flag until the last thread joined
    double cpu_seconds = 0;  // CPU time of the worker threads together
};

// n fresh threads wait on a start flag, run until a stop flag is raised after `length` of
// wall time, and are joined. Measuring windows of wall time keeps throughput honest when
// threads outnumber cores: every thread runs, or waits for a core, for the whole window.
template <class Map>
window_result run_window(Map& map, mix m, const cell_keys<typename Map::key_type>& keys, unsigned threads,
                         std::uint64_t sample, std::chrono::microseconds length) {
    std::atomic<unsigned> ready{0};
    std::atomic<bool> go{false};
    std::atomic<bool> stop{false};
    std::vector<thread_tally> tallies(threads);
    std::vector<double> cpu(threads);
    std::vector<std::thread> pool;
    pool.reserve(threads);
    for (unsigned t = 0; t < threads; ++t) {
        // Threads start spread over the stream; each sample shifts the starts.
        const std::size_t start = (sample * 0x9e3779b1ULL + t * (stream_size / threads)) & stream_mask;
        pool.emplace_back([&, t, start] {
            ready.fetch_add(1, std::memory_order_relaxed);
            go.wait(false, std::memory_order_acquire);
            const double before = thread_cpu_seconds();
            tallies[t] = drive(map, m, keys, t, start, stop);
            cpu[t] = thread_cpu_seconds() - before;
        });
    }
    while (ready.load(std::memory_order_relaxed) != threads) std::this_thread::yield();
    const auto begin = clock_type::now();
    go.store(true, std::memory_order_release);
    go.notify_all();
    std::this_thread::sleep_for(length);
    stop.store(true, std::memory_order_relaxed);
    for (std::thread& th : pool) th.join();  // join: tallies and cpu are visible below
    const auto end = clock_type::now();
    window_result r;
    for (unsigned t = 0; t < threads; ++t) {
        r.ops += tallies[t].ops;
        r.hits += tallies[t].hits;
        r.cpu_seconds += cpu[t];
    }
    r.seconds = std::chrono::duration<double>(end - begin).count();
    return r;
}

inline double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

// Latencies in nanoseconds, in buckets of 1/16 octave (at most 6.25% wide) from 16 ns up;
// exact below 16 ns, and the maximum exact.
class latency_histogram {
public:
    void add(std::uint64_t ns) {
        ++counts_[bucket_of(ns)];
        ++total_;
        max_ = std::max(max_, ns);
    }
    std::uint64_t total() const { return total_; }
    std::uint64_t max() const { return max_; }
    // The lower bound of the bucket holding the q-quantile.
    std::uint64_t quantile(double q) const {
        const auto rank = static_cast<std::uint64_t>(q * static_cast<double>(total_));
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < buckets; ++i) {
            seen += counts_[i];
            if (seen > rank) return lower_bound_of(i);
        }
        return max_;
    }
    // "ns:fraction" pairs, one per non-empty bucket: the bucket's lower bound and the fraction
    // of operations in that bucket or a lower one (the empirical CDF, bucket by bucket).
    std::string cdf() const {
        std::string out;
        std::uint64_t seen = 0;
        for (std::size_t i = 0; i < buckets; ++i) {
            if (counts_[i] == 0) continue;
            seen += counts_[i];
            if (!out.empty()) out += ',';
            char text[64];
            std::snprintf(text, sizeof text, "%llu:%.7f", static_cast<unsigned long long>(lower_bound_of(i)),
                          static_cast<double>(seen) / static_cast<double>(total_));
            out += text;
        }
        return out;
    }

private:
    static constexpr std::size_t buckets = 64 * 16;
    static std::size_t bucket_of(std::uint64_t ns) {
        if (ns < 16) return ns;
        const unsigned msb = 63 - static_cast<unsigned>(std::countl_zero(ns));  // >= 4
        return (msb - 3) * 16 + ((ns >> (msb - 4)) & 15);
    }
    static std::uint64_t lower_bound_of(std::size_t i) {
        if (i < 16) return i;
        const std::size_t msb = i / 16 + 3;
        return (16 + i % 16) << (msb - 4);
    }
    std::vector<std::uint64_t> counts_ = std::vector<std::uint64_t>(buckets);
    std::uint64_t total_ = 0;
    std::uint64_t max_ = 0;
};

}  // namespace syncmap_matrix
