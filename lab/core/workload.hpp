// lab/core/workload.hpp - generated workloads: key distributions, operation mixes, and the
// thread harness every scenario runs on.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <random>
#include <vector>

#include "adapter.hpp"
#include "history.hpp"

namespace syncmap::lab {

// Keys 0 .. n-1, uniform or Zipf-distributed (rank r drawn with probability ~ 1/(r+1)^s).
// Zipf uses the inverse of a precomputed CDF: exact, and one binary search per draw.
class key_chooser {
public:
    key_chooser(std::size_t keys, double zipf_s);
    template <class Rng>
    key_type operator()(Rng& rng) const {
        if (cdf_.empty()) return std::uniform_int_distribution<key_type>(0, keys_ - 1)(rng);
        return sample(std::uniform_real_distribution<double>(0.0, 1.0)(rng));
    }
    [[nodiscard]] std::size_t keys() const noexcept { return keys_; }

private:
    key_type sample(double u) const;
    std::size_t keys_;
    std::vector<double> cdf_;  // empty: uniform
};

// Relative weights of each point operation.
struct op_mix {
    std::array<double, op_kind_count> weight{};

    static op_mix all_point_ops();       // every operation, reads half of the mix
    static op_mix writes_and_deletes();  // store / load_and_delete / erase churn
    static op_mix overwrites();          // store and exchange only: keys stay present
    // The same mix without what `caps` cannot do; empty if nothing is left.
    [[nodiscard]] op_mix restricted_to(const capabilities& caps) const;
    [[nodiscard]] bool empty() const noexcept;

    template <class Rng>
    op_kind operator()(Rng& rng) const {
        double total = 0;
        for (double w : weight) total += w;
        double x = std::uniform_real_distribution<double>(0.0, total)(rng);
        for (std::size_t i = 0; i < op_kind_count; ++i) {
            if (x < weight[i]) return static_cast<op_kind>(i);
            x -= weight[i];
        }
        for (std::size_t i = op_kind_count; i-- > 0;)
            if (weight[i] > 0) return static_cast<op_kind>(i);
        return op_kind::load;
    }
};

// Per-thread control handed to a scenario's thread body.
struct worker_context {
    unsigned index;               // 0 .. threads-1
    unsigned threads;
    thread_recorder& rec;
    std::mt19937_64& rng;
    const std::atomic<bool>& stop;  // set at the deadline; bodies poll it between operations
    [[nodiscard]] bool stopping() const noexcept { return stop.load(std::memory_order_relaxed); }
};

struct run_limits {
    double seconds = 0.2;  // wall-clock budget of the concurrent phase
};

// Runs `preload` on the calling thread (recorded under preload_thread), then `threads`
// workers running `body` until each returns or the deadline passes, then merges the logs.
// The workers start together behind a barrier so that their operations really overlap.
history run_threads(map_adapter& map, unsigned threads, std::uint64_t seed, const run_limits& limits,
                    const std::function<void(thread_recorder&)>& preload,
                    const std::function<void(worker_context&)>& body);

// The plain point-operation workload: every worker draws (operation, key) pairs until it
// has done `ops_per_thread` operations or the deadline passes.
struct point_workload {
    std::size_t keys = 256;
    double zipf = 0.0;  // 0: uniform
    op_mix mix = op_mix::all_point_ops();
    unsigned threads = 2;
    std::uint64_t ops_per_thread = 200000;
    std::size_t preload = 0;  // keys 0 .. preload-1 stored first
    std::uint64_t seed = 1;
    run_limits limits;
};

history run_point_workload(map_adapter& map, const point_workload& w);

}  // namespace syncmap::lab
