// Self-tests of the lab's checkers on hand-written histories: each rule of L1 and W1-W4
// must accept what is allowed and reject what is not, including the cautious cases
// (overlapping writes, clock skew) where a careless checker would report a false violation.
#include <gtest/gtest.h>

#include "core/linearizability.hpp"
#include "core/rank_correlation.hpp"
#include "core/traversal_checker.hpp"
#include "core/workload.hpp"
#include "core/write_index.hpp"

namespace syncmap::lab {
namespace {

op_record op(std::uint16_t thread, op_kind kind, key_type key, timestamp invoke, timestamp response,
             value_type arg = 0, value_type result = 0, bool flag = false, value_type expected = 0) {
    op_record r;
    r.thread = thread;
    r.kind = kind;
    r.key = key;
    r.invoke = invoke;
    r.response = response;
    r.arg = arg;
    r.result = result;
    r.flag = flag;
    r.expected = expected;
    return r;
}

l1_report check(const std::vector<op_record>& ops, timestamp skew = 0, std::size_t budget = 200000) {
    l1_options o;
    o.skew = skew;
    o.max_configs = budget;
    return check_linearizability(ops, o);
}

TEST(LabL1, SequentialHistoryPasses) {
    const auto r = check({op(0, op_kind::store, 1, 10, 20, 0x11), op(0, op_kind::load, 1, 30, 40, 0, 0x11, true),
                          op(0, op_kind::erase, 1, 50, 60, 0, 0, true), op(0, op_kind::contains, 1, 70, 80)});
    EXPECT_EQ(r.tally.checks, 1u);
    EXPECT_EQ(r.tally.violations, 0u);
    EXPECT_EQ(r.tally.unknown, 0u);
}

TEST(LabL1, StaleReadAfterCompletedWriteIsCaught) {
    // t0 stores v1 then v2; t1 later reads v1.
    const auto r = check({op(0, op_kind::store, 1, 10, 20, 0x11), op(0, op_kind::store, 1, 30, 40, 0x12),
                          op(1, op_kind::load, 1, 100, 110, 0, 0x11, true)});
    EXPECT_EQ(r.tally.violations, 1u);
    EXPECT_FALSE(r.tally.examples.empty());
}

TEST(LabL1, ReadOverlappingTheWriteMayReturnEitherValue) {
    for (value_type seen : {value_type{0x11}, value_type{0x12}}) {
        const auto r = check({op(0, op_kind::store, 1, 10, 20, 0x11), op(0, op_kind::store, 1, 30, 90, 0x12),
                              op(1, op_kind::load, 1, 40, 50, 0, seen, true)});
        EXPECT_EQ(r.tally.violations, 0u) << std::hex << seen;
    }
}

TEST(LabL1, ProgramOrderIsExactWhateverTheSkew) {
    // Same thread: store then a load that misses it. Violation even with a huge skew.
    const auto r = check({op(0, op_kind::store, 1, 10, 20, 0x11), op(0, op_kind::load, 1, 21, 22)}, 1000000);
    EXPECT_EQ(r.tally.violations, 1u);
}

TEST(LabL1, CrossThreadOrderIsTrustedOnlyBeyondTheSkew) {
    const std::vector<op_record> h{op(0, op_kind::store, 1, 10, 20, 0x11), op(1, op_kind::load, 1, 500, 510)};
    EXPECT_EQ(check(h, 0).tally.violations, 1u);
    EXPECT_EQ(check(h, 1000).tally.violations, 0u);
}

TEST(LabL1, StatesCarryAcrossQuiescentPoints) {
    // Two concurrent stores: either may win, so a later read of either passes, of anything else fails.
    const std::vector<op_record> writes{op(0, op_kind::store, 1, 10, 100, 0x11), op(1, op_kind::store, 1, 10, 100, 0x12)};
    for (value_type seen : {value_type{0x11}, value_type{0x12}}) {
        auto h = writes;
        h.push_back(op(0, op_kind::load, 1, 200, 210, 0, seen, true));
        EXPECT_EQ(check(h).tally.violations, 0u);
        EXPECT_GE(check(h).segments, 2u);
    }
    auto h = writes;
    h.push_back(op(0, op_kind::load, 1, 200, 210, 0, 0x11, true));
    h.push_back(op(1, op_kind::load, 1, 220, 230, 0, 0x12, true));  // both cannot be last
    EXPECT_EQ(check(h).tally.violations, 1u);
}

TEST(LabL1, ConditionalOperationsFollowGoSemantics) {
    // CAS on an absent key fails; CAS with the right expected value succeeds; CompareAndDelete.
    EXPECT_EQ(check({op(0, op_kind::compare_and_swap, 1, 10, 20, 0x12, 0, true, 0x11)}).tally.violations, 1u);
    EXPECT_EQ(check({op(0, op_kind::store, 1, 10, 20, 0x11), op(0, op_kind::compare_and_swap, 1, 30, 40, 0x12, 0, true, 0x11),
                     op(0, op_kind::load, 1, 50, 60, 0, 0x12, true), op(0, op_kind::compare_and_delete, 1, 70, 80, 0, 0, false, 0x11),
                     op(0, op_kind::compare_and_delete, 1, 90, 95, 0, 0, true, 0x12), op(0, op_kind::load, 1, 96, 97)})
                  .tally.violations,
              0u);
    // load_or_store: stores when absent (returns its own value), loads when present.
    EXPECT_EQ(check({op(0, op_kind::load_or_store, 1, 10, 20, 0x11, 0x11, false),
                     op(0, op_kind::load_or_store, 1, 30, 40, 0x12, 0x11, true),
                     op(0, op_kind::exchange, 1, 50, 60, 0x13, 0x11, true),
                     op(0, op_kind::load_and_delete, 1, 70, 80, 0, 0x13, true)})
                  .tally.violations,
              0u);
    EXPECT_EQ(check({op(0, op_kind::load_or_store, 1, 10, 20, 0x11, 0x11, false),
                     op(0, op_kind::load_or_store, 1, 30, 40, 0x12, 0x12, false)})
                  .tally.violations,
              1u);
}

TEST(LabL1, ExhaustedBudgetIsUnknownNotPass) {
    std::vector<op_record> h;
    for (std::uint16_t t = 0; t < 5; ++t) h.push_back(op(t, op_kind::store, 1, 10, 1000, 0x100 + t));
    for (std::uint16_t t = 0; t < 5; ++t) h.push_back(op(t, op_kind::load, 1, 20, 990, 0, 0x100 + t, true));
    const auto r = check(h, 0, 4);
    EXPECT_EQ(r.tally.unknown, 1u);
    EXPECT_EQ(r.tally.violations, 0u);
    EXPECT_EQ(check(h, 0).tally.unknown, 0u);  // with a budget it decides
}

TEST(LabL1, KeysAreIndependent) {
    const auto r = check({op(0, op_kind::store, 1, 10, 20, 0x11), op(1, op_kind::load, 2, 100, 110),
                          op(1, op_kind::load, 1, 120, 130, 0, 0x11, true)});
    EXPECT_EQ(r.tally.checks, 2u);
    EXPECT_EQ(r.tally.violations, 0u);
}

traversal_report check_one(const std::vector<op_record>& ops, timestamp ts, timestamp te,
                           std::vector<std::pair<key_type, value_type>> items, timestamp skew = 0) {
    const write_index index(ops, skew);
    traversal_record t;
    t.start = ts;
    t.end = te;
    t.items = std::move(items);
    traversal_report out;
    check_traversal(t, index, out);
    return out;
}

TEST(LabTraversal, KeyPresentThroughoutMustBeYielded) {
    const std::vector<op_record> h{op(0, op_kind::store, 1, 10, 20, 0x11)};
    EXPECT_EQ(check_one(h, 100, 200, {}).w1.violations, 1u);
    EXPECT_EQ(check_one(h, 100, 200, {{1, 0x11}}).w1.violations, 0u);
}

TEST(LabTraversal, KeyErasedOrStoredDuringTheTraversalMayBeMissed) {
    const std::vector<op_record> erased{op(0, op_kind::store, 1, 10, 20, 0x11), op(1, op_kind::erase, 1, 150, 160, 0, 0, true)};
    EXPECT_EQ(check_one(erased, 100, 200, {}).w1.violations, 0u);
    const std::vector<op_record> stored{op(0, op_kind::store, 1, 90, 110, 0x11)};  // overlaps the start
    EXPECT_EQ(check_one(stored, 100, 200, {}).w1.violations, 0u);
    // An erase overlapping the start, even if a store follows before the start ends, is uncertain.
    const std::vector<op_record> racing{op(0, op_kind::store, 1, 10, 20, 0x11), op(1, op_kind::erase, 1, 30, 95, 0, 0, true),
                                        op(0, op_kind::store, 1, 40, 90, 0x12)};
    EXPECT_EQ(check_one(racing, 100, 200, {}).w1.violations, 0u);
    // ...but a store that certainly follows the erase restores certainty.
    const std::vector<op_record> settled{op(0, op_kind::store, 1, 10, 20, 0x11), op(1, op_kind::erase, 1, 30, 40, 0, 0, true),
                                         op(0, op_kind::store, 1, 50, 60, 0x12)};
    EXPECT_EQ(check_one(settled, 100, 200, {}).w1.violations, 1u);
}

TEST(LabTraversal, ClockSkewMakesTheCheckCautious) {
    const std::vector<op_record> h{op(0, op_kind::store, 1, 10, 20, 0x11)};
    EXPECT_EQ(check_one(h, 25, 200, {}, 0).w1.violations, 1u);
    EXPECT_EQ(check_one(h, 25, 200, {}, 10).w1.violations, 0u);
}

TEST(LabTraversal, KeyYieldedTwiceIsCaught) {
    const std::vector<op_record> h{op(0, op_kind::store, 1, 10, 20, 0x11)};
    const auto r = check_one(h, 100, 200, {{1, 0x11}, {1, 0x11}});
    EXPECT_EQ(r.w2.violations, 1u);
    EXPECT_EQ(r.w1.violations, 0u);
}

TEST(LabTraversal, KeyAbsentThroughoutMustNotBeYielded) {
    const std::vector<op_record> h{op(0, op_kind::store, 1, 10, 20, 0x11), op(0, op_kind::erase, 1, 30, 40, 0, 0, true)};
    const auto r = check_one(h, 100, 200, {{1, 0x11}});
    EXPECT_EQ(r.w3.violations, 1u);
    EXPECT_EQ(r.w4.violations, 1u);  // and its value was gone before the start
    EXPECT_EQ(check_one(h, 100, 200, {{7, 0x99}}).w3.violations, 1u);  // never written at all
    // Erased during the traversal: yielding it is allowed.
    const std::vector<op_record> late{op(0, op_kind::store, 1, 10, 20, 0x11), op(0, op_kind::erase, 1, 150, 160, 0, 0, true)};
    const auto ok = check_one(late, 100, 200, {{1, 0x11}});
    EXPECT_EQ(ok.w3.violations, 0u);
    EXPECT_EQ(ok.w4.violations, 0u);
}

TEST(LabTraversal, ValuesMustBeCurrentAtSomeInstant) {
    const std::vector<op_record> h{op(0, op_kind::store, 1, 10, 20, 0x11), op(0, op_kind::store, 1, 30, 40, 0x12),
                                   op(1, op_kind::store, 1, 150, 160, 0x13), op(1, op_kind::store, 1, 300, 310, 0x14)};
    EXPECT_EQ(check_one(h, 100, 200, {{1, 0x12}}).w4.violations, 0u);  // current at the start
    EXPECT_EQ(check_one(h, 100, 200, {{1, 0x13}}).w4.violations, 0u);  // written during
    EXPECT_EQ(check_one(h, 100, 200, {{1, 0x11}}).w4.violations, 1u);  // overwritten before the start
    EXPECT_EQ(check_one(h, 100, 200, {{1, 0x14}}).w4.violations, 1u);  // written after the end
    EXPECT_EQ(check_one(h, 100, 200, {{1, 0x77}}).w4.violations, 1u);  // never written
    const std::vector<op_record> other{op(0, op_kind::store, 1, 10, 20, 0x11), op(0, op_kind::store, 2, 10, 20, 0x21)};
    EXPECT_EQ(check_one(other, 100, 200, {{1, 0x21}, {2, 0x21}}).w4.violations, 1u);  // another key's value
}

TEST(LabTraversal, StoppedEarlyTraversalIsNotCheckedForW1) {
    const write_index index(std::vector<op_record>{op(0, op_kind::store, 1, 10, 20, 0x11)}, 0);
    traversal_record t;
    t.start = 100;
    t.end = 200;
    t.stopped_early = true;
    traversal_report out;
    check_traversal(t, index, out);
    EXPECT_EQ(out.w1.checks, 0u);
    EXPECT_EQ(out.w2.checks, 1u);
}

TEST(LabRankCorrelation, OrdersAgreeOrNot) {
    std::vector<std::pair<key_type, value_type>> a, b, c;
    for (key_type k = 0; k < 100; ++k) {
        a.emplace_back(k, 1);
        b.emplace_back(99 - k, 1);
    }
    c = a;
    EXPECT_DOUBLE_EQ(*spearman_rho(a, c), 1.0);
    EXPECT_DOUBLE_EQ(*spearman_rho(a, b), -1.0);
    EXPECT_FALSE(spearman_rho(a, {{1, 1}, {2, 1}}).has_value());
}

TEST(LabWorkload, ZipfIsSkewedAndUniformIsNot) {
    std::mt19937_64 rng(7);
    const key_chooser zipf(1000, 0.99), uniform(1000, 0.0);
    int zipf_zero = 0, uniform_zero = 0;
    for (int i = 0; i < 20000; ++i) {
        zipf_zero += zipf(rng) == 0;
        uniform_zero += uniform(rng) == 0;
        ASSERT_LT(zipf(rng), 1000u);
    }
    EXPECT_GT(zipf_zero, 1000);  // ~13% of draws
    EXPECT_LT(uniform_zero, 100);  // ~0.1%
}

}  // namespace
}  // namespace syncmap::lab
