// lab/core/write_index.hpp - per-key write intervals, and what they prove about an interval
// of time. The range checker (W1-W4, traversal_checker.hpp) asks three questions of it,
// each answered conservatively: "yes" only when every linearization of the recorded writes
// agrees, so a reported violation is certain.
//
// A write is an operation whose recorded result shows it changed the key: a store, an
// exchange, a load_or_store that stored, a successful compare_and_swap (set), and a
// load_and_delete or erase that found the key or a successful compare_and_delete (erase).
// It took effect at one unknown instant inside [invoke, response]. Every key starts absent.
// clear() is not modelled (check_history refuses such histories); chunked passes and
// snapshots, whose scenarios clear, are checked by window_checker.hpp.
//
// present_throughout(k, [ts, te]): some set s finished before ts (s.response < ts) and
//   began after every erase invoked before ts had responded (s.invoke > max response of
//   those erases), so the key holds a value at ts whatever the order; and no erase was
//   invoked inside [ts, te], so none can take effect within it.
// absent_throughout(k, [ts, te]): the mirror image, with the initial absence counting as
//   an erase at time 0.
// value_possible(k, v, [ts, te]): the set that wrote v to k began before te, and no other
//   write to k certainly came after it (invoke > v's response) and finished before ts.
//
// Clock skew: every write's interval is widened by `skew` on both sides before any of
// this, because a write's effect may become visible to another core slightly after the
// writer read its response time (see linearizability.hpp). Widening only makes each
// answer more cautious.
#pragma once

#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "history.hpp"

namespace syncmap::lab {

class write_index {
public:
    explicit write_index(std::span<const op_record> ops, timestamp skew = default_clock_skew_ns);

    [[nodiscard]] bool present_throughout(key_type k, timestamp ts, timestamp te) const;
    [[nodiscard]] bool absent_throughout(key_type k, timestamp ts, timestamp te) const;
    // Empty if v may have been k's value at some instant of [ts, te]; otherwise the reason.
    [[nodiscard]] std::string value_impossible(key_type k, value_type v, timestamp ts, timestamp te) const;

    // Calls f(key) for every key present throughout [ts, te].
    template <class F>
    void for_each_present_throughout(timestamp ts, timestamp te, F&& f) const {
        for (const key_writes& w : per_key_)
            if (present_throughout(w, ts, te)) f(w.key);
    }

private:
    struct interval {
        timestamp invoke, response;
    };
    // Each vector sorted by invoke, with the running extreme of `response` alongside.
    struct key_writes {
        key_type key = 0;
        std::vector<interval> sets, erases, all;  // erases begins with the initial absence
        std::vector<timestamp> sets_prefix_max, sets_suffix_min;
        std::vector<timestamp> erases_prefix_max, erases_suffix_min;
        std::vector<timestamp> all_suffix_min;
    };
    struct value_origin {
        key_type key;
        interval when;
    };

    static bool present_throughout(const key_writes& w, timestamp ts, timestamp te);
    const key_writes* find(key_type k) const;

    std::vector<key_writes> per_key_;                  // ascending key
    std::unordered_map<key_type, std::uint32_t> slot_;  // key -> index in per_key_
    std::unordered_map<value_type, value_origin> origin_;
};

}  // namespace syncmap::lab
