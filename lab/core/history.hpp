// lab/core/history.hpp - what a concurrent run leaves behind: every operation and every
// traversal with its invocation and response time.
//
// Timestamps come from one clock, std::chrono::steady_clock (CLOCK_MONOTONIC on Linux,
// read through the vDSO), in nanoseconds. The invocation time is read before calling the
// map and the response time after it returns, so the operation's real interval lies
// inside [invoke, response]. The checkers rely on nothing else.
//
// Each worker thread appends to its own `thread_log`: the hot path takes no shared lock
// and touches no shared cache line. Logs are merged after the threads are joined.
//
// Every value written is unique in the run: (writer id + 1) << 40 | sequence number. A
// read therefore names the one write whose value it saw, which is what makes per-key
// linearizability checking and the traversal value check (W4) tractable and exact.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <unordered_map>
#include <utility>
#include <vector>

#include "adapter.hpp"

namespace syncmap::lab {

using timestamp = std::int64_t;  // nanoseconds of steady_clock; real ones are > 0

inline timestamp now() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Cross-thread real-time order is trusted only beyond this many nanoseconds: a write may
// become visible to other cores slightly after its writer read the response time
// (linearizability.hpp explains why this is the right notion, and why 1 us is ample).
inline constexpr timestamp default_clock_skew_ns = 1000;

// One completed point operation. 32 + 16 bytes; a run records a few million at most.
struct op_record {
    timestamp invoke = 0;
    timestamp response = 0;
    key_type key = 0;
    value_type arg = 0;       // value written (store, load_or_store, exchange) or CAS desired
    value_type expected = 0;  // CAS / compare_and_delete expected value
    value_type result = 0;    // value returned (load, load_and_delete, exchange previous,
                              // load_or_store actual); 0 = none
    op_kind kind = op_kind::load;
    bool flag = false;        // found / loaded / succeeded, per kind
    std::uint16_t thread = 0;
};

// The write an operation performed, derived from its kind and result.
enum class write_effect : std::uint8_t { none, set, erase };

write_effect effect_of(const op_record& op) noexcept;

// One completed clear(). Kept apart from the point operations because it touches every
// key: the per-key checkers (L1 in linearizability.hpp, W1-W4 in write_index.hpp) do not
// model it, and check_history refuses a history that has one. Scenarios that clear check
// their snapshots and passes with window_checker.hpp, which does.
struct clear_record {
    timestamp invoke = 0;
    timestamp response = 0;
    std::uint16_t thread = 0;
};

enum class traversal_kind : std::uint8_t { range, scan_pass, snapshot };

struct traversal_record {
    timestamp start = 0;  // before the call
    timestamp end = 0;    // after it returned
    traversal_kind kind = traversal_kind::range;
    std::uint16_t thread = 0;
    bool stopped_early = false;  // the callback asked to stop (the yields are a prefix)
    std::vector<std::pair<key_type, value_type>> items;  // in yield order
};

struct thread_log {
    std::vector<op_record> ops;
    std::vector<traversal_record> traversals;
    std::vector<clear_record> clears;
};

struct history {
    std::vector<op_record> ops;
    std::vector<traversal_record> traversals;
    std::vector<clear_record> clears;

    void append(thread_log&& log);
};

// The id the preload step writes under (worker ids are 0 .. threads-1).
inline constexpr std::uint16_t preload_thread = 0xfffe;

// Runs operations on a map for one thread and records them. Not thread-safe: one per thread.
class thread_recorder {
public:
    thread_recorder(map_adapter& map, std::uint16_t thread, thread_log& log) noexcept
        : map_(map), thread_(thread), log_(log) {}

    [[nodiscard]] std::uint16_t thread() const noexcept { return thread_; }
    [[nodiscard]] map_adapter& map() const noexcept { return map_; }
    [[nodiscard]] thread_log& log() const noexcept { return log_; }

    // A value never written before in this run.
    value_type fresh_value() noexcept { return (static_cast<value_type>(thread_) + 1) << 40 | ++sequence_; }

    std::optional<value_type> load(key_type k);
    bool contains(key_type k);
    value_type store(key_type k);  // returns the value written
    std::pair<value_type, bool> load_or_store(key_type k);
    std::optional<value_type> load_and_delete(key_type k);
    bool erase(key_type k);
    std::optional<value_type> exchange(key_type k);
    bool compare_and_swap(key_type k);   // expected: the last value this thread saw for k
    bool compare_and_delete(key_type k); // likewise
    void clear();

    // Runs `kind` on `k` with generated arguments.
    void execute(op_kind kind, key_type k);

    // Runs one range() and records it. `visit(key, value, index)` is called for each item
    // after it is recorded and returns false to stop the traversal.
    template <class Visit>
    traversal_record& range(Visit&& visit) {
        log_.traversals.emplace_back();
        const std::size_t slot = log_.traversals.size() - 1;
        // The callback may record point operations, which never touch `traversals`, so
        // the reference stays valid; it is re-fetched anyway after the call.
        auto& rec = log_.traversals[slot];
        rec.thread = thread_;
        rec.kind = traversal_kind::range;
        rec.items.reserve(expected_items_);
        rec.start = now();
        map_.range([&](key_type k, value_type v) {
            auto& items = log_.traversals[slot].items;
            items.emplace_back(k, v);
            const bool go_on = visit(k, v, items.size() - 1);
            if (!go_on) log_.traversals[slot].stopped_early = true;
            return go_on;
        });
        auto& done = log_.traversals[slot];
        done.end = now();
        expected_items_ = done.items.size() + done.items.size() / 8 + 16;
        return done;
    }

private:
    void seen(key_type k, value_type v);
    value_type last_seen(key_type k) const;

    map_adapter& map_;
    std::uint16_t thread_;
    thread_log& log_;
    std::uint64_t sequence_ = 0;
    std::size_t expected_items_ = 64;
    // The last value this thread read or wrote per key: CAS arguments that can succeed.
    std::unordered_map<key_type, value_type> last_seen_;
};

}  // namespace syncmap::lab
