// lab/scenarios/pitfall_measures.hpp - the traversal-pitfall figures, computed from a
// recorded history. Shared by the in-process scenarios and the out-of-process peers'
// runs (out_of_process.cpp), so both report the same figure under the same metric name.
#pragma once

#include "scenario.hpp"

namespace syncmap::lab {

// store-during-range: among keys of [lo, hi) certainly absent when a traversal started and
// certainly present when it ended, the share it yielded ("stored during range and seen %",
// and "keys stored during a range", the number of such key/traversal pairs).
void measure_stored_seen(const history& h, key_type lo, key_type hi, timestamp skew, scenario_result& r);

// churn-during-range: traversals missing some stable key of [0, stable), and how many
// stable keys they missed in total, counted directly ("ranges missing a stable key",
// "stable keys missed").
void measure_stable_missed(const history& h, key_type stable, scenario_result& r);

// Any full traversal or pass: keys yielded more than once, counted directly ("duplicates",
// the extra yields in total; "duplicates per pass"; "passes with a duplicate").
void measure_duplicates(const history& h, scenario_result& r);

// two-ranges: Spearman's rank correlation of every pair of overlapping traversals by
// threads `first` and `first + 1` ("overlapping pairs", "mean rank correlation", "min
// rank correlation", and the curve).
void measure_rank_correlation(const history& h, std::uint16_t first, scenario_result& r);

}  // namespace syncmap::lab
