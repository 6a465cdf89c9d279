// lab/core/traversal_checker.hpp - clauses W1-W4 for every recorded traversal.
//
// For a traversal over [start, end] (clock read before the call and after its return, so
// the real interval lies inside it):
//   W1 every key present throughout (write_index::present_throughout) was yielded;
//   W2 no key was yielded twice;
//   W3 no yielded key was absent throughout;
//   W4 every yielded value may have been the key's value at some instant of the interval.
// Each traversal is one check per clause; a traversal with any bad key is one violation.
// item_checks / item_violations count the keys (W1-W3) or values (W4) behind them.
// A traversal stopped early by its callback is checked for W2-W4 only.
//
// A full chunked pass of scan (clause C2) is recorded as one traversal_record spanning
// [first call start, last call end], and checked by window_checker.hpp, which also models
// clear(): the scan-pass scenario clears.
#pragma once

#include <array>
#include <span>

#include "history.hpp"
#include "tally.hpp"
#include "write_index.hpp"

namespace syncmap::lab {

struct traversal_report {
    clause_tally w1, w2, w3, w4;
};

// Checks one traversal against the writes in `index` and adds to `out`.
void check_traversal(const traversal_record& t, const write_index& index, traversal_report& out);

traversal_report check_traversals(const history& h, timestamp skew = default_clock_skew_ns);

}  // namespace syncmap::lab
