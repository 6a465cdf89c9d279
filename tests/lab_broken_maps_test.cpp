// The checkers must catch each deliberately broken map, and must pass the correct
// reference with zero violations, on the same scenarios the lab runs.
#include <gtest/gtest.h>

#include "lab_broken_maps.hpp"
#include "scenarios/scenarios.hpp"

namespace syncmap::lab {
namespace {

// Sanitizers slow every operation and check tenfold: smaller histories keep the test at a
// few seconds there, and still give every checker dozens of chances to fail.
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
constexpr std::uint64_t ops_per_thread = 20000;
constexpr std::size_t traversals = 20;
#else
constexpr std::uint64_t ops_per_thread = 0;  // the scenarios' defaults
constexpr std::size_t traversals = 40;
#endif

scenario_config config(unsigned threads) {
    scenario_config c;
    c.threads = threads;
    c.seconds = 0.05;
    c.ops_per_thread = ops_per_thread;
    c.keys = 256;
    c.max_traversals = traversals;
    c.seed = 42;
    return c;
}

template <class Map>
adapter_entry entry() {
    return {"test map", "syncmap", "", [] { return std::make_unique<Map>(); }};
}

clause_tally total(const std::vector<scenario_result>& results, clause c) {
    clause_tally t;
    for (const auto& r : results)
        if (const auto& x = r.clauses[static_cast<std::size_t>(c)]) t.merge(*x);
    return t;
}

TEST(LabSelfTest, ReferenceMapPassesEveryScenario) {
    const auto e = entry<peers::shared_mutex_map>();
    for (unsigned threads : {1u, 2u}) {
        std::vector<scenario_result> all;
        for (auto run : {run_point_ops, run_store_during_range, run_erase_during_range, run_churn_during_range,
                         run_two_ranges}) {
            for (auto& r : run(e, config(threads))) all.push_back(std::move(r));
        }
        auto growth = config(threads);
        growth.keys = 2048;
        for (auto& r : run_growth_during_range(e, growth)) all.push_back(std::move(r));
        for (const auto& r : all) EXPECT_TRUE(r.supported) << r.scenario << ": " << r.note;
        for (clause c : {clause::L1, clause::W1, clause::W2, clause::W3, clause::W4}) {
            const clause_tally t = total(all, c);
            EXPECT_GT(t.checks, 0u) << to_string(c);
            EXPECT_EQ(t.violations, 0u) << to_string(c) << ": " << (t.examples.empty() ? "" : t.examples.front());
        }
    }
}

TEST(LabSelfTest, DroppedKeyIsCaughtByW1) {
    const auto results = run_churn_during_range(entry<broken::drops_key_in_range>(), config(2));
    const clause_tally w1 = total(results, clause::W1);
    EXPECT_GT(w1.violations, 0u);
    EXPECT_EQ(w1.violations, w1.checks) << "every range drops a stable key";
    EXPECT_EQ(total(results, clause::W2).violations, 0u);
}

TEST(LabSelfTest, DuplicateKeyIsCaughtByW2) {
    const auto results = run_store_during_range(entry<broken::yields_key_twice>(), config(2));
    const clause_tally w2 = total(results, clause::W2);
    EXPECT_GT(w2.violations, 0u);
    EXPECT_EQ(w2.violations, w2.checks);
    EXPECT_EQ(total(results, clause::W1).violations, 0u);
}

TEST(LabSelfTest, ErasedKeyYieldedIsCaughtByW3) {
    const auto results = run_churn_during_range(entry<broken::yields_erased_key>(), config(1));
    EXPECT_GT(total(results, clause::W3).violations, 0u);
    EXPECT_EQ(total(results, clause::W1).violations, 0u);
}

TEST(LabSelfTest, OldValueYieldedIsCaughtByW4) {
    const auto results = run_store_during_range(entry<broken::yields_old_value>(), config(1));
    EXPECT_GT(total(results, clause::W4).violations, 0u);
    EXPECT_EQ(total(results, clause::W1).violations, 0u);
}

TEST(LabSelfTest, StaleLoadIsCaughtByL1) {
    for (unsigned threads : {1u, 2u}) {
        const auto results = run_point_ops(entry<broken::load_returns_old_value>(), config(threads));
        EXPECT_GT(total(results, clause::L1).violations, 0u) << threads << " threads";
    }
}

}  // namespace
}  // namespace syncmap::lab
