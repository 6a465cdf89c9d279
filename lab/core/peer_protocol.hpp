// lab/core/peer_protocol.hpp - how the lab talks to a peer map that runs in its own
// runtime (a Go or Java program): the workload it hands the peer, and the history the peer
// hands back. docs/LAB.md ("Out-of-process peers") is the normative description; this
// header and peer_protocol.cpp implement exactly that text.
//
// The lab writes a `peer_spec` to the program's stdin as lines `name value...`, ending
// with `end`. The program runs the workload and writes its recorded history to stdout:
//
//   syncmap-history 1
//   op THREAD KIND KEY ARG EXPECTED RESULT FLAG INVOKE RESPONSE
//   range THREAD START END STOPPED COUNT KEY:VALUE ...      (COUNT pairs, in yield order)
//   iter begin | iter yield KEY VALUE | iter store KEY VALUE | iter erase KEY
//        | iter clear | iter end                              (single-thread iteration log)
//   end OPS RANGES ITER_EVENTS
//
// Every number is unsigned decimal. Timestamps are CLOCK_MONOTONIC nanoseconds (the lab's
// own clock, steady_clock), so the lab can also check that each one lies inside the
// child's lifetime as the lab saw it: a peer reading another clock is caught there. The
// parser turns this into the lab's own `history`, which the unchanged checkers judge.
// Any malformed line is an error naming its line number and what is wrong; nothing is
// guessed or skipped.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "history.hpp"

namespace syncmap::lab {

// The workload a peer runs. Writers (threads 0 .. writers-1) repeatedly: with probability
// stable_percent / 100 store a key drawn uniformly from [stable_lo, stable_hi), otherwise
// run an operation drawn from `mix` on a key drawn uniformly from [churn_lo, churn_hi).
// Rangers (threads writers .. writers+rangers-1) make full traversals, paced over the
// run, each spending about item_work_ns per item. Keys [0, preload) are stored first by
// thread `preload_thread`.
struct peer_spec {
    std::string map;      // which map of the program (go_sync_map, java_chm, ...)
    std::string mode = "workload";  // "workload", or "iteration" (single-thread G1 passes)
    std::uint64_t seed = 1;
    double seconds = 0.2;
    std::uint64_t preload = 0;
    unsigned writers = 1;
    std::uint64_t ops_per_writer = 0;  // writers pace themselves to this many over the run
    std::uint64_t stable_lo = 0, stable_hi = 0;
    unsigned stable_percent = 0;
    std::uint64_t churn_lo = 0, churn_hi = 0;
    std::vector<std::pair<op_kind, unsigned>> mix;  // weights
    unsigned rangers = 0;
    std::uint64_t traversals = 0;  // per ranger at most; iteration mode: passes
    std::uint64_t item_work_ns = 0;
};

// The spec as the lines written to the peer's stdin.
std::string to_text(const peer_spec& spec);

// One line of a single-thread iteration log (clause G1), in the order it happened.
struct iteration_event {
    enum class kind : std::uint8_t { begin, yield, store, erase, clear, end };
    kind what = kind::begin;
    key_type key = 0;
    value_type value = 0;
};

struct peer_history {
    history h;
    std::vector<iteration_event> iteration;
};

class malformed_history : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// Parses a whole history. Throws malformed_history ("line N: ...") on the first problem:
// a missing or unknown header, an unknown record or operation, a wrong field count (a
// truncated line), a field that is not an unsigned decimal number or overflows its type,
// a flag other than 0 or 1, a response before its invocation or a range ending before it
// starts, a zero timestamp, a value 0 written, a malformed KEY:VALUE pair, iteration
// events out of order, a missing `end` trailer (a truncated history) or one whose counts
// disagree, or anything after it.
peer_history parse_peer_history(std::string_view text);

// Checks that every timestamp lies within [lo, hi] (the child's lifetime as the lab read
// it on its own clock); throws malformed_history naming the first one that does not.
void check_timestamps_within(const history& h, timestamp lo, timestamp hi);

}  // namespace syncmap::lab
