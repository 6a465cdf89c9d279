// lab/core/tally.hpp - what a checker reports for one clause: checks done, violations
// found, searches that gave up, and a few examples a human can read.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace syncmap::lab {

struct clause_tally {
    std::uint64_t checks = 0;      // units checked (per-key histories, traversals, ...)
    std::uint64_t violations = 0;  // units proved wrong
    std::uint64_t unknown = 0;     // units the checker could not decide (never a pass)
    std::uint64_t item_checks = 0;      // finer grain: keys or values checked inside the units
    std::uint64_t item_violations = 0;
    std::vector<std::string> examples;  // at most max_examples descriptions of violations

    static constexpr std::size_t max_examples = 4;

    void example(std::string text) {
        if (examples.size() < max_examples) examples.push_back(std::move(text));
    }
    void merge(const clause_tally& o) {
        checks += o.checks;
        violations += o.violations;
        unknown += o.unknown;
        item_checks += o.item_checks;
        item_violations += o.item_violations;
        for (const auto& e : o.examples) example(e);
    }
};

}  // namespace syncmap::lab
