#include "rank_correlation.hpp"

#include <algorithm>
#include <unordered_map>

namespace syncmap::lab {

std::optional<double> spearman_rho(const std::vector<std::pair<key_type, value_type>>& a,
                                   const std::vector<std::pair<key_type, value_type>>& b) {
    std::unordered_map<key_type, std::size_t> pos_b;
    pos_b.reserve(b.size() * 2);
    for (std::size_t i = 0; i < b.size(); ++i) pos_b.try_emplace(b[i].first, i);

    // Common keys in a's order, with their position in b.
    std::vector<std::size_t> b_positions;
    std::unordered_map<key_type, bool> taken;
    taken.reserve(a.size() * 2);
    for (const auto& [k, v] : a) {
        if (!taken.try_emplace(k, true).second) continue;
        auto it = pos_b.find(k);
        if (it != pos_b.end()) b_positions.push_back(it->second);
    }
    const std::size_t n = b_positions.size();
    if (n < 3) return std::nullopt;
    // Rank of each common key within b (ranks within a are 0..n-1 by construction).
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t x, std::size_t y) { return b_positions[x] < b_positions[y]; });
    std::vector<std::size_t> rank_b(n);
    for (std::size_t r = 0; r < n; ++r) rank_b[order[r]] = r;
    long double d2 = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const long double d = static_cast<long double>(i) - static_cast<long double>(rank_b[i]);
        d2 += d * d;
    }
    const long double nn = static_cast<long double>(n);
    return static_cast<double>(1.0L - 6.0L * d2 / (nn * (nn * nn - 1.0L)));
}

}  // namespace syncmap::lab
