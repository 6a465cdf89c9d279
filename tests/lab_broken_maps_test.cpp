// The checkers must catch each deliberately broken map, and must pass the correct
// reference with zero violations, on the same scenarios the lab runs.
#include <gtest/gtest.h>

#include "lab_broken_maps.hpp"
#include "lab_self_test.hpp"
#include "scenarios/scenarios.hpp"

namespace syncmap::lab {
namespace {

using namespace self_test;

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
