// What the lab's checker self-tests share: a short scenario configuration, an entry for a
// test map, and per-clause totals over a scenario's results.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "scenarios/scenarios.hpp"

namespace syncmap::lab::self_test {

// Sanitizers slow every operation and check tenfold: smaller histories keep the tests at a
// few seconds there, and still give every checker dozens of chances to fail.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
inline constexpr std::uint64_t ops_per_thread = 20000;
inline constexpr std::size_t traversals = 20;
#else
inline constexpr std::uint64_t ops_per_thread = 0;  // the scenarios' defaults
inline constexpr std::size_t traversals = 40;
#endif

inline scenario_config config(unsigned threads) {
    scenario_config c;
    c.threads = threads;
    c.seconds = 0.05;
    c.ops_per_thread = ops_per_thread;
    c.keys = 256;
    c.max_traversals = traversals;
    c.seed = 42;
    return c;
}

// A test map, judged as a syncmap container (its promises decide).
template <class Map>
adapter_entry entry() {
    return {"test map", "syncmap", "", [] { return std::make_unique<Map>(); }};
}

inline clause_tally total(const std::vector<scenario_result>& results, clause c) {
    clause_tally t;
    for (const auto& r : results)
        if (const auto& x = r.clauses[static_cast<std::size_t>(c)]) t.merge(*x);
    return t;
}

inline std::string first_example(const clause_tally& t) { return t.examples.empty() ? "" : t.examples.front(); }

}  // namespace syncmap::lab::self_test
