#include "write_index.hpp"

#include <algorithm>
#include <limits>
#include <sstream>

namespace syncmap::lab {

namespace {

constexpr timestamp never = std::numeric_limits<timestamp>::max();

template <class Interval>
void sort_by_invoke(std::vector<Interval>& v) {
    std::sort(v.begin(), v.end(), [](const Interval& a, const Interval& b) { return a.invoke < b.invoke; });
}

template <class Interval>
std::vector<timestamp> prefix_max(const std::vector<Interval>& v) {
    std::vector<timestamp> out(v.size());
    timestamp m = std::numeric_limits<timestamp>::min();
    for (std::size_t i = 0; i < v.size(); ++i) out[i] = m = std::max(m, v[i].response);
    return out;
}

template <class Interval>
std::vector<timestamp> suffix_min(const std::vector<Interval>& v) {
    std::vector<timestamp> out(v.size());
    timestamp m = never;
    for (std::size_t i = v.size(); i-- > 0;) out[i] = m = std::min(m, v[i].response);
    return out;
}

// Number of intervals invoked strictly before t.
template <class Interval>
std::size_t invoked_before(const std::vector<Interval>& v, timestamp t) {
    return static_cast<std::size_t>(
        std::lower_bound(v.begin(), v.end(), t, [](const Interval& a, timestamp x) { return a.invoke < x; }) -
        v.begin());
}

// Index of the first interval invoked strictly after t.
template <class Interval>
std::size_t first_invoked_after(const std::vector<Interval>& v, timestamp t) {
    return static_cast<std::size_t>(
        std::upper_bound(v.begin(), v.end(), t, [](timestamp x, const Interval& a) { return x < a.invoke; }) -
        v.begin());
}

}  // namespace

write_index::write_index(std::span<const op_record> ops, timestamp skew) {
    std::unordered_map<key_type, key_writes> by_key;
    for (const op_record& op : ops) {
        const write_effect e = effect_of(op);
        if (e == write_effect::none) continue;
        auto [it, fresh] = by_key.try_emplace(op.key);
        if (fresh) {
            it->second.key = op.key;
            it->second.erases.push_back({0, 0});  // the initial absence
        }
        const interval iv{op.invoke - skew, op.response + skew};
        if (e == write_effect::set) {
            it->second.sets.push_back(iv);
            origin_.emplace(op.arg, value_origin{op.key, iv});
        } else {
            it->second.erases.push_back(iv);
        }
        it->second.all.push_back(iv);
    }
    per_key_.reserve(by_key.size());
    for (auto& [key, w] : by_key) {
        sort_by_invoke(w.sets);
        sort_by_invoke(w.erases);
        sort_by_invoke(w.all);
        w.sets_prefix_max = prefix_max(w.sets);
        w.sets_suffix_min = suffix_min(w.sets);
        w.erases_prefix_max = prefix_max(w.erases);
        w.erases_suffix_min = suffix_min(w.erases);
        w.all_suffix_min = suffix_min(w.all);
        per_key_.push_back(std::move(w));
    }
    std::sort(per_key_.begin(), per_key_.end(), [](const key_writes& a, const key_writes& b) { return a.key < b.key; });
    slot_.reserve(per_key_.size());
    for (std::size_t i = 0; i < per_key_.size(); ++i) slot_.emplace(per_key_[i].key, static_cast<std::uint32_t>(i));
}

const write_index::key_writes* write_index::find(key_type k) const {
    auto it = slot_.find(k);
    return it == slot_.end() ? nullptr : &per_key_[it->second];
}

bool write_index::present_throughout(key_type k, timestamp ts, timestamp te) const {
    const key_writes* w = find(k);
    return w != nullptr && present_throughout(*w, ts, te);
}

bool write_index::present_throughout(const key_writes& w, timestamp ts, timestamp te) {
    const std::size_t before = invoked_before(w.erases, ts);  // >= 1: the initial absence
    if (before < w.erases.size() && w.erases[before].invoke <= te) return false;  // erase may land inside
    const timestamp last_erase_done = w.erases_prefix_max[before - 1];
    const std::size_t j = first_invoked_after(w.sets, last_erase_done);
    return j < w.sets.size() && w.sets_suffix_min[j] < ts;
}

bool write_index::absent_throughout(key_type k, timestamp ts, timestamp te) const {
    const key_writes* found = find(k);
    if (found == nullptr) return true;  // never written
    const key_writes& w = *found;
    const std::size_t before = invoked_before(w.sets, ts);
    if (before < w.sets.size() && w.sets[before].invoke <= te) return false;  // set may land inside
    if (before == 0) return true;  // nothing was ever set before ts: still initially absent
    const timestamp last_set_done = w.sets_prefix_max[before - 1];
    const std::size_t j = first_invoked_after(w.erases, last_set_done);
    return j < w.erases.size() && w.erases_suffix_min[j] < ts;
}

std::string write_index::value_impossible(key_type k, value_type v, timestamp ts, timestamp te) const {
    std::ostringstream why;
    auto origin = origin_.find(v);
    if (origin == origin_.end()) {
        why << "key " << k << " yielded value " << std::hex << v << std::dec << " that no write stored";
        return why.str();
    }
    const value_origin& o = origin->second;
    if (o.key != k) {
        why << "key " << k << " yielded value " << std::hex << v << std::dec << " that was written to key " << o.key;
        return why.str();
    }
    if (o.when.invoke > te) {
        why << "key " << k << " yielded value " << std::hex << v << std::dec << " written "
            << (o.when.invoke - te) << " ns after the traversal ended";
        return why.str();
    }
    const key_writes& w = *find(k);
    const std::size_t j = first_invoked_after(w.all, o.when.response);
    if (j < w.all.size() && w.all_suffix_min[j] < ts) {
        why << "key " << k << " yielded value " << std::hex << v << std::dec
            << " overwritten or erased before the traversal started";
        return why.str();
    }
    return {};
}

}  // namespace syncmap::lab
