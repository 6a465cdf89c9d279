// lab/core/rank_correlation.hpp - how much two traversal orders agree.
#pragma once

#include <optional>
#include <utility>
#include <vector>

#include "adapter.hpp"

namespace syncmap::lab {

// Spearman's rank correlation of the keys both sequences yielded (first occurrence),
// in [-1, 1]: 1 = same order, 0 = unrelated, -1 = reversed. Empty if fewer than 3
// keys are common.
std::optional<double> spearman_rho(const std::vector<std::pair<key_type, value_type>>& a,
                                   const std::vector<std::pair<key_type, value_type>>& b);

}  // namespace syncmap::lab
