#include "pitfall_measures.hpp"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

#include "../core/rank_correlation.hpp"
#include "../core/write_index.hpp"

namespace syncmap::lab {

void measure_stored_seen(const history& h, key_type lo, key_type hi, timestamp skew, scenario_result& r) {
    const write_index index(h.ops, skew);
    std::uint64_t candidates = 0, seen = 0;
    for (const auto& t : h.traversals) {
        std::unordered_map<key_type, bool> yielded;
        for (const auto& [k, v] : t.items) yielded[k] = true;
        for (key_type k = lo; k < hi; ++k) {
            if (!index.absent_throughout(k, t.start, t.start) || !index.present_throughout(k, t.end, t.end)) continue;
            ++candidates;
            seen += yielded.count(k);
        }
    }
    r.metric("keys stored during a range", static_cast<double>(candidates));
    if (candidates) r.metric("stored during range and seen %", 100.0 * static_cast<double>(seen) / static_cast<double>(candidates));
}

void measure_stable_missed(const history& h, key_type stable_keys, scenario_result& r) {
    std::uint64_t short_ranges = 0, stable_missed = 0;
    for (const auto& t : h.traversals) {
        std::unordered_set<key_type> stable;
        for (const auto& [k, v] : t.items)
            if (k < stable_keys) stable.insert(k);
        if (stable.size() < stable_keys) {
            ++short_ranges;
            stable_missed += stable_keys - stable.size();
        }
    }
    r.metric("ranges missing a stable key", static_cast<double>(short_ranges));
    r.metric("stable keys missed", static_cast<double>(stable_missed));
    if (!h.traversals.empty())
        r.metric("stable keys missed per range", static_cast<double>(stable_missed) / static_cast<double>(h.traversals.size()));
}

void measure_duplicates(const history& h, scenario_result& r) {
    std::uint64_t extra = 0, passes_with = 0, passes = 0;
    for (const auto& t : h.traversals) {
        if (t.stopped_early) continue;  // only whole traversals and passes
        ++passes;
        std::unordered_set<key_type> seen;
        std::uint64_t here = 0;
        for (const auto& [k, v] : t.items) here += seen.insert(k).second ? 0 : 1;
        extra += here;
        passes_with += here ? 1 : 0;
    }
    r.metric("duplicates", static_cast<double>(extra));
    r.metric("passes with a duplicate", static_cast<double>(passes_with));
    if (passes) r.metric("duplicates per pass", static_cast<double>(extra) / static_cast<double>(passes));
}

void measure_rank_correlation(const history& h, std::uint16_t first, scenario_result& r) {
    std::vector<const traversal_record*> a, b;
    for (const auto& t : h.traversals) {
        if (t.thread == first) a.push_back(&t);
        else if (t.thread == first + 1) b.push_back(&t);
    }
    series rho{"rank correlation of overlapping traversals", "pair", "Spearman rho", {}, {}};
    for (const traversal_record* x : a)
        for (const traversal_record* y : b) {
            if (x->end < y->start || y->end < x->start) continue;  // did not overlap
            if (auto v = spearman_rho(x->items, y->items)) {
                rho.x.push_back(static_cast<double>(rho.x.size()));
                rho.y.push_back(*v);
            }
        }
    r.metric("overlapping pairs", static_cast<double>(rho.y.size()));
    if (!rho.y.empty()) {
        double sum = 0;
        for (double v : rho.y) sum += v;
        r.metric("mean rank correlation", sum / static_cast<double>(rho.y.size()));
        r.metric("min rank correlation", *std::min_element(rho.y.begin(), rho.y.end()));
        r.curves.push_back(std::move(rho));
    }
}

}  // namespace syncmap::lab
