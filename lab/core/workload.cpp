#include "workload.hpp"

#include <algorithm>
#include <barrier>
#include <chrono>
#include <cmath>
#include <exception>
#include <mutex>
#include <thread>

namespace syncmap::lab {

key_chooser::key_chooser(std::size_t keys, double zipf_s) : keys_(keys == 0 ? 1 : keys) {
    if (zipf_s <= 0.0) return;
    cdf_.resize(keys_);
    double sum = 0;
    for (std::size_t r = 0; r < keys_; ++r) {
        sum += 1.0 / std::pow(static_cast<double>(r + 1), zipf_s);
        cdf_[r] = sum;
    }
    for (double& c : cdf_) c /= sum;
}

key_type key_chooser::sample(double u) const {
    auto it = std::lower_bound(cdf_.begin(), cdf_.end(), u);
    if (it == cdf_.end()) --it;
    return static_cast<key_type>(it - cdf_.begin());
}

namespace {
void set(op_mix& m, op_kind k, double w) { m.weight[static_cast<std::size_t>(k)] = w; }
}  // namespace

op_mix op_mix::all_point_ops() {
    op_mix m;
    set(m, op_kind::load, 40);
    set(m, op_kind::contains, 5);
    set(m, op_kind::store, 15);
    set(m, op_kind::load_or_store, 8);
    set(m, op_kind::load_and_delete, 8);
    set(m, op_kind::erase, 6);
    set(m, op_kind::exchange, 6);
    set(m, op_kind::compare_and_swap, 8);
    set(m, op_kind::compare_and_delete, 4);
    return m;
}

op_mix op_mix::writes_and_deletes() {
    op_mix m;
    set(m, op_kind::store, 50);
    set(m, op_kind::load_and_delete, 30);
    set(m, op_kind::erase, 20);
    return m;
}

op_mix op_mix::overwrites() {
    op_mix m;
    set(m, op_kind::store, 80);
    set(m, op_kind::exchange, 20);
    return m;
}

op_mix op_mix::restricted_to(const capabilities& caps) const {
    op_mix m = *this;
    for (std::size_t i = 0; i < op_kind_count; ++i)
        if (!caps.ops[i]) m.weight[i] = 0;
    return m;
}

bool op_mix::empty() const noexcept {
    return std::all_of(weight.begin(), weight.end(), [](double w) { return w <= 0; });
}

history run_threads(map_adapter& map, unsigned threads, std::uint64_t seed, const run_limits& limits,
                    const std::function<void(thread_recorder&)>& preload,
                    const std::function<void(worker_context&)>& body) {
    history h;
    {
        thread_log log;
        thread_recorder rec(map, preload_thread, log);
        if (preload) preload(rec);
        h.append(std::move(log));
    }

    std::vector<thread_log> logs(threads);
    std::atomic<bool> stop{false};
    std::atomic<unsigned> running{threads};
    std::barrier start(static_cast<std::ptrdiff_t>(threads) + 1);
    // A worker whose map throws (a served peer losing its connection) stops the others;
    // the first exception is rethrown here after every worker has joined.
    std::mutex failure_mutex;
    std::exception_ptr failure;
    std::vector<std::thread> workers;
    workers.reserve(threads);
    for (unsigned t = 0; t < threads; ++t) {
        workers.emplace_back([&, t] {
            logs[t].ops.reserve(1 << 16);
            thread_recorder rec(map, static_cast<std::uint16_t>(t), logs[t]);
            std::mt19937_64 rng(seed * 0x9e3779b97f4a7c15ULL + t + 1);
            worker_context ctx{t, threads, rec, rng, stop};
            start.arrive_and_wait();
            try {
                body(ctx);
            } catch (...) {
                {
                    std::lock_guard lock(failure_mutex);
                    if (!failure) failure = std::current_exception();
                }
                stop.store(true, std::memory_order_relaxed);
            }
            running.fetch_sub(1, std::memory_order_release);
        });
    }
    start.arrive_and_wait();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(limits.seconds);
    while (running.load(std::memory_order_acquire) != 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    stop.store(true, std::memory_order_relaxed);
    for (auto& w : workers) w.join();
    if (failure) std::rethrow_exception(failure);
    for (auto& log : logs) h.append(std::move(log));
    return h;
}

history run_point_workload(map_adapter& map, const point_workload& w) {
    const key_chooser keys(w.keys, w.zipf);
    const op_mix mix = w.mix.restricted_to(map.caps());
    return run_threads(
        map, w.threads, w.seed, w.limits,
        [&](thread_recorder& rec) {
            for (std::size_t k = 0; k < w.preload; ++k) rec.store(k);
        },
        [&](worker_context& ctx) {
            for (std::uint64_t i = 0; i < w.ops_per_thread && !ctx.stopping(); ++i)
                ctx.rec.execute(mix(ctx.rng), keys(ctx.rng));
        });
}

}  // namespace syncmap::lab
