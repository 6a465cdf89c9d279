// lab/core/iteration_checker.hpp - clause G1, exactly: go_map iteration while the same
// thread mutates the map (Go's built-in map semantics).
//
// Single-threaded, so nothing is inferred from timestamps: a model mirrors every mutation
// the moment it is made, and the check runs at every step of a pass.
//
// The model gives every entry an id, fresh on each insertion of its key (an absent key
// stored, or a key erased and stored again), kept by assignment, gone with erasure or
// clear. A pass records the ids live when it began. Then:
//   - at each yield, the key must be in the map now and the value must be its latest one
//     ("erased entries not yet reached are not yielded", "a modified entry yields its
//     latest value");
//   - no entry id may be yielded twice in one pass ("never twice"; a key erased and
//     inserted again is a new entry, which may be yielded once more, as in Go);
//   - at the end, every id live at the start and still live (present throughout: never
//     erased, never cleared) must have been yielded ("exactly once" with the rule above).
// Inserted entries may or may not be yielded: nothing is required of them.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "adapter.hpp"
#include "tally.hpp"

namespace syncmap::lab {

class iteration_model {
public:
    struct entry {
        value_type value;
        std::uint64_t id;
    };

    [[nodiscard]] const entry* find(key_type k) const;
    [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }
    [[nodiscard]] bool live(std::uint64_t id) const { return live_ids_.count(id) != 0; }
    [[nodiscard]] const std::unordered_set<std::uint64_t>& live_ids() const noexcept { return live_ids_; }
    // A key present now, chosen by `r` (size() must be nonzero).
    [[nodiscard]] key_type key_at(std::size_t r) const { return keys_[r % keys_.size()]; }

    // Mirror of the map's mutations, made when the map's own call returns.
    void store(key_type k, value_type v);  // insert (new id) if absent, else assign
    void erase(key_type k);                // no-op if absent
    void clear();

private:
    std::unordered_map<key_type, entry> entries_;
    std::unordered_set<std::uint64_t> live_ids_;
    std::vector<key_type> keys_;                       // the keys present, for key_at
    std::unordered_map<key_type, std::size_t> index_;  // key -> position in keys_
    std::uint64_t next_id_ = 1;
};

// One pass's check. Construct it when the pass begins (before its first step).
class iteration_pass_check {
public:
    explicit iteration_pass_check(const iteration_model& m);

    // A step yielded (k, v); `m` is the model at that moment.
    void yielded(key_type k, value_type v, const iteration_model& m);
    // The pass ended (the iteration reached end()); adds one G1 check to `g1`.
    void finish(const iteration_model& m, clause_tally& g1);

    [[nodiscard]] std::size_t yields() const noexcept { return yields_; }

private:
    void problem(std::string text);

    std::unordered_set<std::uint64_t> start_ids_;
    std::unordered_set<std::uint64_t> yielded_ids_;
    std::size_t yields_ = 0;
    std::size_t bad_ = 0;
    std::vector<std::string> problems_;  // the first few
};

}  // namespace syncmap::lab
