// lab/core/window_checker.hpp - clause S1 (a snapshot is the map at one instant of its
// snapshot() call) and clause C2 (a whole chunked pass meets W1-W4 over [first call
// start, last call end]), decided on a recorded lab history.
//
// The deciding is done by the project's history checker, tests/history_checkers.hpp
// (syncmap_test::history::write_history), which the lab uses as is: this file only turns
// the lab's records into its write records and its verdicts into clause tallies. In
// short (that header has the proofs): for every write of a key it computes the window of
// instants at which the write can be the key's latest effect, over every placement of
// every write inside its recorded interval widened by the skew; a snapshot is explained
// iff [start, end] meets the intersection of the windows of what it shows (each key's
// value, or its absence); a pass misses a key present throughout iff no absent window
// meets [start, end], and so on for W2-W4. Every "no" holds for every linearization, so
// a violation is certain.
//
// What counts as a write: the operations whose recorded result shows they changed the
// key (effect_of in history.hpp), and every clear(), checked as an erase of every key
// placed independently inside the clear's interval (a relaxation: it can only hide a
// violation, never invent one).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "history.hpp"
#include "tally.hpp"

namespace syncmap::lab {

class window_checker {
public:
    // Indexes every write of `h` (point operations and clears). `skew` as in history.hpp.
    window_checker(const history& h, timestamp skew = default_clock_skew_ns);
    ~window_checker();
    window_checker(const window_checker&) = delete;
    window_checker& operator=(const window_checker&) = delete;

    // S1: one check; a violation if no instant in [snap.start, snap.end] explains
    // snap.items (the snapshot's contents; a key listed twice is never explained).
    void check_snapshot(const traversal_record& snap, clause_tally& s1) const;

    // C2: one check per pass (pass.items: everything the pass's calls yielded, in order,
    // over [pass.start, pass.end]); a violation if any key breaks W1-W4. item_checks
    // counts the keys judged for W1/W3 plus the items judged for W2/W4; item_violations
    // the keys and items found wrong. `context` prefixes the example text.
    void check_pass(const traversal_record& pass, clause_tally& c2, std::string_view context = {}) const;

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace syncmap::lab
