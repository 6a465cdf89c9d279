// tests/protocol_schedule.hpp - a deterministic scheduler for sync_map's reader/writer
// protocol test (protocol_schedule_test.cpp).
//
// Real threads, one baton: a thread runs only while it holds the baton, and hands it on
// only at SYNCMAP_SCHEDULE_POINT() (or when its work is done). At each point a strategy
// picks which thread continues, so an execution is sequentially consistent and is a pure
// function of the strategy's choices: the same choices replay the same interleaving.
//
// Strategies:
//   dfs_strategy  exhaustive depth-first enumeration of all schedules with at most
//                 `bound` preemptions (a switch away from a thread that could have gone
//                 on; CHESS-style preemption bounding). Stateless: each execution replays a
//                 prefix of choices, then runs without preemption, and the next prefix is
//                 found by backtracking over the recorded choice points.
//   pct_strategy  randomized PCT (probabilistic concurrency testing): random thread
//                 priorities, the highest-priority runnable thread runs, and at d-1 random
//                 steps the running thread drops to the lowest priority. Seeded: the same
//                 seed gives the same schedule.
//
// Code between schedule points must not block on another participating thread (it would
// wait while holding the baton). The scenarios keep to one writer thread (leaf locks are
// taken by writers only, and readers are lock-free), never call snapshot() concurrently
// (the writer gate only waits for snapshot()), and the worker threads register with RCU
// before any schedule starts (registration would otherwise take liburcu's registry lock
// from under the baton, while the call_rcu thread may hold it waiting for a parked
// reader). A watchdog aborts with a message if a hand-over takes longer than 60 s.
#pragma once

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace proto {

// Built with ThreadSanitizer or AddressSanitizer (GCC's macros, clang's __has_feature):
// the tests explore fewer schedules there, each run being many times slower.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
inline constexpr bool sanitized = true;
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) || __has_feature(address_sanitizer)
inline constexpr bool sanitized = true;
#else
inline constexpr bool sanitized = false;
#endif
#else
inline constexpr bool sanitized = false;
#endif

// ---- Strategies ------------------------------------------------------------------------

class strategy {
public:
    virtual ~strategy() = default;
    // Picks the next thread among `enabled` (ascending, non-empty). `current` is the thread
    // that reached the schedule point, or -1 when none is running (start, or a thread
    // finished). Returns -1 if the choice cannot be honoured (a replay diverged).
    virtual int choose(int current, const std::vector<int>& enabled) = 0;
    // The choices of the execution so far, for messages.
    virtual std::string describe() const = 0;
};

class dfs_strategy : public strategy {
public:
    explicit dfs_strategy(int bound) : bound_(bound) {}

    int choose(int current, const std::vector<int>& enabled) override {
        const std::size_t i = trace_.size();
        const std::vector<int> order = alternatives(current, enabled);
        int pick = order.front();
        if (i < prefix_.size()) {
            pick = prefix_[i];
            if (std::find(order.begin(), order.end(), pick) == order.end()) {
                diverged_ = true;
                pick = order.front();
            }
        }
        trace_.push_back({current, order, pick});
        return pick;
    }

    // After an execution: sets up the next one; false when the enumeration is complete.
    bool next() {
        std::vector<int> preempts(trace_.size() + 1, 0);
        for (std::size_t i = 0; i < trace_.size(); ++i) preempts[i + 1] = preempts[i] + is_preemption(trace_[i], trace_[i].chosen);
        for (std::size_t i = trace_.size(); i-- > 0;) {
            const choice& c = trace_[i];
            auto at = std::find(c.order.begin(), c.order.end(), c.chosen);
            for (auto it = at + 1; it < c.order.end(); ++it) {
                if (preempts[i] + is_preemption(c, *it) > bound_) continue;
                prefix_.clear();
                for (std::size_t j = 0; j < i; ++j) prefix_.push_back(trace_[j].chosen);
                prefix_.push_back(*it);
                trace_.clear();
                return true;
            }
        }
        return false;
    }

    bool diverged() const { return diverged_; }

    std::string describe() const override {
        std::string s = "dfs choices:";
        for (const choice& c : trace_) s += ' ' + std::to_string(c.chosen);
        return s;
    }

private:
    struct choice {
        int current;
        std::vector<int> order;
        int chosen;
    };

    static std::vector<int> alternatives(int current, const std::vector<int>& enabled) {
        std::vector<int> order;
        if (current >= 0 && std::find(enabled.begin(), enabled.end(), current) != enabled.end()) order.push_back(current);
        for (int t : enabled) {
            if (t != current) order.push_back(t);
        }
        return order;
    }
    static int is_preemption(const choice& c, int pick) {
        return c.current >= 0 && c.order.front() == c.current && pick != c.current ? 1 : 0;
    }

    int bound_;
    std::vector<int> prefix_;
    std::vector<choice> trace_;
    bool diverged_ = false;
};

class pct_strategy : public strategy {
public:
    // threads: how many; depth: bug depth d (d-1 priority changes); steps: an estimate of
    // the schedule points per execution, over which the change points are spread.
    pct_strategy(std::uint64_t seed, int threads, int depth, std::size_t steps) : seed_(seed) {
        std::mt19937_64 rng(seed);
        prio_.resize(static_cast<std::size_t>(threads));
        for (int t = 0; t < threads; ++t) prio_[static_cast<std::size_t>(t)] = depth + t;
        std::shuffle(prio_.begin(), prio_.end(), rng);
        std::uniform_int_distribution<std::size_t> at(1, std::max<std::size_t>(steps, 1));
        for (int i = 1; i < depth; ++i) changes_.push_back({at(rng), depth - i});
    }

    int choose(int current, const std::vector<int>& enabled) override {
        ++step_;
        for (const auto& [when, low] : changes_) {
            if (when == step_ && current >= 0) prio_[static_cast<std::size_t>(current)] = low;
        }
        int best = enabled.front();
        for (int t : enabled) {
            if (prio_[static_cast<std::size_t>(t)] > prio_[static_cast<std::size_t>(best)]) best = t;
        }
        return best;
    }

    std::size_t steps() const { return step_; }

    std::string describe() const override { return "pct seed " + std::to_string(seed_); }

private:
    std::uint64_t seed_;
    std::vector<int> prio_;
    std::vector<std::pair<std::size_t, int>> changes_;
    std::size_t step_ = 0;
};

// ---- The baton -------------------------------------------------------------------------

class baton;
inline thread_local baton* current_baton = nullptr;
inline thread_local int current_thread = -1;

class baton {
public:
    baton(int threads, strategy& s) : done_(static_cast<std::size_t>(threads), false), strategy_(s) {}

    // Main thread: hands the baton to the first thread.
    void begin() {
        std::lock_guard<std::mutex> lk(m_);
        running_ = pick(-1);
        cv_.notify_all();
    }

    // A participating thread, before its work: waits for the baton.
    void arrive(int id) {
        std::unique_lock<std::mutex> lk(m_);
        wait_for_turn(lk, id);
        current_baton = this;
        current_thread = id;
    }

    // A schedule point, on the thread holding the baton.
    void point() {
        const int id = current_thread;
        std::unique_lock<std::mutex> lk(m_);
        ++clock_;
        if (++points_ > max_points) {
            overflow_ = true;  // a runaway loop: let the thread run to its end unscheduled
            return;
        }
        const int next = pick(id);
        if (next == id) return;
        running_ = next;
        cv_.notify_all();
        wait_for_turn(lk, id);
    }

    // A participating thread, after its work: passes the baton on.
    void depart() {
        std::lock_guard<std::mutex> lk(m_);
        done_[static_cast<std::size_t>(current_thread)] = true;
        current_baton = nullptr;
        current_thread = -1;
        running_ = pick(-1);
        cv_.notify_all();
    }

    // The event clock: bumped at every schedule point; the holder of the baton may also
    // bump it to stamp the start and end of an operation.
    std::uint64_t tick() {
        std::lock_guard<std::mutex> lk(m_);
        return ++clock_;
    }

    bool diverged() const { return diverged_; }
    bool overflow() const { return overflow_; }
    std::size_t points() const { return points_; }

    static constexpr std::size_t max_points = 100000;

private:
    int pick(int current) {
        std::vector<int> enabled;
        for (std::size_t t = 0; t < done_.size(); ++t) {
            if (!done_[t]) enabled.push_back(static_cast<int>(t));
        }
        if (enabled.empty()) return -1;
        int next = strategy_.choose(current, enabled);
        if (next < 0 || done_[static_cast<std::size_t>(next)]) {
            diverged_ = true;
            next = enabled.front();
        }
        return next;
    }

    void wait_for_turn(std::unique_lock<std::mutex>& lk, int id) {
        if (!cv_.wait_for(lk, std::chrono::seconds(60), [&] { return running_ == id; })) {
            std::fprintf(stderr, "protocol_schedule: thread %d waited 60 s for the baton (held by %d): %s\n", id,
                         running_, strategy_.describe().c_str());
            std::abort();
        }
    }

    std::mutex m_;
    std::condition_variable cv_;
    std::vector<bool> done_;
    strategy& strategy_;
    int running_ = -2;
    std::uint64_t clock_ = 0;
    std::size_t points_ = 0;
    bool diverged_ = false;
    bool overflow_ = false;
};

inline void schedule_point() {
    if (baton* b = current_baton) b->point();
}

// ---- Persistent worker threads -----------------------------------------------------------

// Threads that live across executions, so that each registers with RCU once, before any
// schedule (see the header comment). run(job) calls job(i) on worker i, for every worker,
// and returns when all have finished.
class worker_pool {
public:
    template <class Prepare>
    worker_pool(int n, Prepare prepare) {
        for (int i = 0; i < n; ++i) {
            threads_.emplace_back([this, i, prepare] {
                prepare();
                std::uint64_t seen = 0;
                for (;;) {
                    std::unique_lock<std::mutex> lk(m_);
                    cv_.wait(lk, [&] { return quit_ || epoch_ != seen; });
                    if (quit_) return;
                    seen = epoch_;
                    lk.unlock();
                    job_(i);
                    lk.lock();
                    if (--pending_ == 0) cv_.notify_all();
                }
            });
        }
    }
    ~worker_pool() {
        {
            std::lock_guard<std::mutex> lk(m_);
            quit_ = true;
        }
        cv_.notify_all();
        for (std::thread& t : threads_) t.join();
    }
    worker_pool(const worker_pool&) = delete;
    worker_pool& operator=(const worker_pool&) = delete;

    int size() const { return static_cast<int>(threads_.size()); }

    void run(std::function<void(int)> job) {
        std::unique_lock<std::mutex> lk(m_);
        job_ = std::move(job);
        pending_ = static_cast<int>(threads_.size());
        ++epoch_;
        cv_.notify_all();
        cv_.wait(lk, [&] { return pending_ == 0; });
    }

private:
    std::vector<std::thread> threads_;
    std::mutex m_;
    std::condition_variable cv_;
    std::function<void(int)> job_;
    std::uint64_t epoch_ = 0;
    int pending_ = 0;
    bool quit_ = false;
};

}  // namespace proto
