// lab/core/linearizability.hpp - clause L1: per-key linearizability of point operations.
//
// Method. A map is a collection of independent registers, one per key, and every point
// operation touches exactly one key, so a history is linearizable iff each key's
// sub-history is (locality, Herlihy & Wing 1990). Each key's operations are sorted by
// invocation and cut at quiescent points (instants when no operation on the key is in
// flight): no linearization can move an operation across such a point. Each segment is
// searched with the Wing-Gong algorithm as improved by Lowe (2017): depth-first over the
// operations that may take effect next (those invoked before every pending operation's
// response), memoising visited (set of linearized operations, register state) pairs.
// The search is exhaustive, so it yields the set of states the register can be in at the
// end of the segment, which seeds the next segment. No state reachable: a violation.
//
// Budget. A segment whose search visits more than `max_configs` configurations is
// counted "unknown", never as a pass; the next segment then starts from every state the
// register could possibly hold (absent, the incoming states, any value the segment
// wrote), a superset of the truth, so later segments are still checked soundly.
//
// Precedence. Operations of one thread are ordered by program order (sequenced-before,
// part of happens-before). Across threads, a precedes b only if a.response + skew <
// b.invoke. The clock reads do not synchronize with the map's memory: on x86-TSO a release
// store can sit in the writer's store buffer for a short while after the writer read its
// response time, and a reader on another core can still load the old value. C++ defines
// linearizability of such objects against happens-before, which a clock read does not
// create, so cross-thread real-time order is only trusted beyond `skew` (default 1 us,
// far above a store buffer's drain time). Equal timestamps count as overlapping. Both
// rules can only hide a violation, never invent one.
#pragma once

#include <cstdint>
#include <span>

#include "history.hpp"
#include "tally.hpp"

namespace syncmap::lab {

struct l1_options {
    std::size_t max_configs = 200000;  // per segment
    timestamp skew = default_clock_skew_ns;
};

struct l1_report {
    clause_tally tally;               // checks: per-key histories; items: operations
    std::uint64_t segments = 0;
    std::uint64_t unknown_segments = 0;
    std::uint64_t longest_segment = 0;  // operations
};

l1_report check_linearizability(std::span<const op_record> ops, const l1_options& options = {});

// The sequential specification: whether `op` may take effect on a register holding
// `state` (0 = absent), and the state after it.
bool apply_sequential(const op_record& op, value_type state, value_type& next) noexcept;

}  // namespace syncmap::lab
