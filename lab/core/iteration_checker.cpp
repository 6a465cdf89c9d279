#include "iteration_checker.hpp"

#include <sstream>

namespace syncmap::lab {

const iteration_model::entry* iteration_model::find(key_type k) const {
    auto it = entries_.find(k);
    return it == entries_.end() ? nullptr : &it->second;
}

void iteration_model::store(key_type k, value_type v) {
    auto [it, inserted] = entries_.try_emplace(k, entry{v, 0});
    if (!inserted) {
        it->second.value = v;
        return;
    }
    it->second.id = next_id_++;
    live_ids_.insert(it->second.id);
    index_.emplace(k, keys_.size());
    keys_.push_back(k);
}

void iteration_model::erase(key_type k) {
    auto it = entries_.find(k);
    if (it == entries_.end()) return;
    live_ids_.erase(it->second.id);
    entries_.erase(it);
    const std::size_t i = index_.at(k);
    index_[keys_.back()] = i;
    keys_[i] = keys_.back();
    keys_.pop_back();
    index_.erase(k);
}

void iteration_model::clear() {
    entries_.clear();
    live_ids_.clear();
    keys_.clear();
    index_.clear();
}

iteration_pass_check::iteration_pass_check(const iteration_model& m) : start_ids_(m.live_ids()) {}

void iteration_pass_check::problem(std::string text) {
    ++bad_;
    if (problems_.size() < 4) problems_.push_back(std::move(text));
}

void iteration_pass_check::yielded(key_type k, value_type v, const iteration_model& m) {
    ++yields_;
    const iteration_model::entry* e = m.find(k);
    if (e == nullptr) {
        problem("yield " + std::to_string(yields_) + ": key " + std::to_string(k) + " is not in the map (erased)");
        return;
    }
    if (e->value != v) {
        std::ostringstream s;
        s << "yield " << yields_ << ": key " << k << " with value " << std::hex << v << ", its latest value is "
          << e->value;
        problem(s.str());
    }
    if (!yielded_ids_.insert(e->id).second)
        problem("yield " + std::to_string(yields_) + ": key " + std::to_string(k) + " (the same entry) yielded twice");
}

void iteration_pass_check::finish(const iteration_model& m, clause_tally& g1) {
    std::size_t throughout = 0;
    for (std::uint64_t id : start_ids_) {
        if (!m.live(id)) continue;  // erased or cleared during the pass: not present throughout
        ++throughout;
        if (yielded_ids_.count(id) == 0)
            problem("an entry present throughout the pass (id " + std::to_string(id) + ") was not yielded");
    }
    ++g1.checks;
    g1.item_checks += yields_ + throughout;
    g1.item_violations += bad_;
    if (bad_ == 0) return;
    ++g1.violations;
    g1.example("pass of " + std::to_string(yields_) + " yields, " + std::to_string(start_ids_.size()) +
               " entries at its start: " + std::to_string(bad_) + " problems; first: " + problems_.front());
}

}  // namespace syncmap::lab
