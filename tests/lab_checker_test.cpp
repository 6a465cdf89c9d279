// Self-tests of the lab's checkers on hand-written histories: each rule of L1, W1-W4, S1
// and C2 (through window_checker) and G1 must accept what is allowed and reject what is
// not, including the cautious cases (overlapping writes, clock skew, clears) where a
// careless checker would report a false violation.
#include <gtest/gtest.h>

#include "core/iteration_checker.hpp"
#include "core/linearizability.hpp"
#include "core/rank_correlation.hpp"
#include "core/traversal_checker.hpp"
#include "core/window_checker.hpp"
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

// ---- window_checker: S1 and C2 on lab records (the deciding is history_checkers.hpp's) --

history with(std::vector<op_record> ops, std::vector<clear_record> clears = {}) {
    history h;
    h.ops = std::move(ops);
    h.clears = std::move(clears);
    return h;
}

traversal_record observed(timestamp start, timestamp end, std::vector<std::pair<key_type, value_type>> items) {
    traversal_record t;
    t.start = start;
    t.end = end;
    t.items = std::move(items);
    return t;
}

TEST(LabWindowChecker, SnapshotMustBeOneInstantOfTheCall) {
    // Key 1 set during [10, 20], key 2 during [30, 40], by one thread.
    const history h = with({op(0, op_kind::store, 1, 10, 20, 0x11), op(0, op_kind::store, 2, 30, 40, 0x21)});
    const window_checker w(h, 0);
    clause_tally s1;
    w.check_snapshot(observed(0, 100, {{1, 0x11}, {2, 0x21}}), s1);  // after both
    w.check_snapshot(observed(0, 100, {{1, 0x11}}), s1);             // between them
    w.check_snapshot(observed(0, 100, {}), s1);                      // before both
    EXPECT_EQ(s1.checks, 3u);
    EXPECT_EQ(s1.violations, 0u);
    w.check_snapshot(observed(0, 100, {{2, 0x21}}), s1);  // key 2's new value without key 1's: two instants
    EXPECT_EQ(s1.violations, 1u);
    ASSERT_EQ(s1.examples.size(), 1u);
    EXPECT_NE(s1.examples[0].find("no instant"), std::string::npos) << s1.examples[0];
    w.check_snapshot(observed(50, 60, {{1, 0x11}}), s1);  // stale: key 2 was stored by 40
    w.check_snapshot(observed(0, 100, {{1, 0x11}, {1, 0x11}}), s1);  // a key twice
    w.check_snapshot(observed(0, 100, {{1, 0x21}}), s1);  // another key's value
    EXPECT_EQ(s1.violations, 4u);
}

TEST(LabWindowChecker, OnlyOperationsThatChangedTheKeyAreWrites) {
    // A failed compare_and_swap and a load_or_store that loaded wrote nothing.
    const history h = with({op(0, op_kind::store, 1, 10, 20, 0x11),
                            op(0, op_kind::compare_and_swap, 1, 30, 40, 0x12, 0, false, 0x99),
                            op(0, op_kind::load_or_store, 1, 50, 60, 0x13, 0x11, true),
                            op(0, op_kind::load_and_delete, 2, 70, 80, 0, 0, false)});
    const window_checker w(h, 0);
    clause_tally s1;
    w.check_snapshot(observed(100, 110, {{1, 0x11}}), s1);
    EXPECT_EQ(s1.violations, 0u);
    w.check_snapshot(observed(100, 110, {{1, 0x12}}), s1);
    w.check_snapshot(observed(100, 110, {{1, 0x13}}), s1);
    EXPECT_EQ(s1.violations, 2u);
}

TEST(LabWindowChecker, ClearEmptiesEveryKey) {
    const history h = with({op(0, op_kind::store, 1, 10, 20, 0x11), op(0, op_kind::store, 2, 10, 20, 0x21),
                            op(0, op_kind::store, 2, 70, 80, 0x22)},
                           {clear_record{50, 60, 1}});
    const window_checker w(h, 0);
    clause_tally s1;
    w.check_snapshot(observed(61, 65, {}), s1);                     // after the clear
    w.check_snapshot(observed(55, 56, {{1, 0x11}, {2, 0x21}}), s1);  // the clear may not have landed
    w.check_snapshot(observed(90, 95, {{2, 0x22}}), s1);
    EXPECT_EQ(s1.violations, 0u);
    w.check_snapshot(observed(61, 65, {{1, 0x11}}), s1);  // cleared by 60
    EXPECT_EQ(s1.violations, 1u);
    // A pass over the clear may miss keys that were present before it...
    clause_tally c2;
    w.check_pass(observed(30, 90, {{2, 0x22}}), c2);
    EXPECT_EQ(c2.violations, 0u);
    // ...but not a key stored after it and never erased again.
    w.check_pass(observed(85, 95, {}), c2);
    EXPECT_EQ(c2.violations, 1u);
}

TEST(LabWindowChecker, PassFindsEachClauseOverTheWholePass) {
    // Key 1 present throughout [100, 200]; key 2 absent throughout; key 3 erased during it.
    const history h = with({op(0, op_kind::store, 1, 10, 20, 0x11), op(0, op_kind::store, 2, 10, 20, 0x21),
                            op(0, op_kind::erase, 2, 30, 40, 0, 0, true), op(0, op_kind::store, 3, 10, 20, 0x31),
                            op(1, op_kind::erase, 3, 150, 160, 0, 0, true), op(1, op_kind::store, 3, 170, 180, 0x32)});
    const window_checker w(h, 0);
    clause_tally c2;
    w.check_pass(observed(100, 200, {{1, 0x11}, {3, 0x31}}), c2);
    w.check_pass(observed(100, 200, {{3, 0x32}, {1, 0x11}}), c2);  // erased and re-inserted: yielded once
    EXPECT_EQ(c2.checks, 2u);
    EXPECT_EQ(c2.violations, 0u);
    w.check_pass(observed(100, 200, {{3, 0x31}}), c2);                        // W1: key 1 missed
    w.check_pass(observed(100, 200, {{1, 0x11}, {3, 0x31}, {3, 0x32}}), c2);  // W2: key 3 twice
    w.check_pass(observed(100, 200, {{1, 0x11}, {2, 0x21}}), c2);             // W3 (and W4): key 2
    w.check_pass(observed(100, 200, {{1, 0x12}}), c2);                        // W4: never written
    EXPECT_EQ(c2.violations, 4u);
    EXPECT_EQ(c2.checks, 6u);
    ASSERT_FALSE(c2.examples.empty());
    EXPECT_NE(c2.examples[0].find("W1 missed 1"), std::string::npos) << c2.examples[0];
}

TEST(LabWindowChecker, ClockSkewOnlyWidensWhatIsAccepted) {
    const history h = with({op(0, op_kind::store, 1, 100, 200, 0x11), op(1, op_kind::store, 2, 300, 400, 0x21)});
    clause_tally exact, skewed;
    window_checker(h, 0).check_snapshot(observed(0, 1000, {{2, 0x21}}), exact);
    window_checker(h, 60).check_snapshot(observed(0, 1000, {{2, 0x21}}), skewed);
    EXPECT_EQ(exact.violations, 1u);
    EXPECT_EQ(skewed.violations, 0u);
}

// ---- G1: the iteration model and pass check ----------------------------------------

TEST(LabIterationChecker, PresentThroughoutOnceErasedNeverLatestValue) {
    iteration_model m;
    for (key_type k = 1; k <= 4; ++k) m.store(k, 10 * k);
    {
        iteration_pass_check pass(m);
        pass.yielded(1, 10, m);
        m.erase(2);        // erased before it is reached: must not be yielded
        m.store(3, 31);    // modified: must yield 31
        m.store(5, 50);    // inserted: may or may not be yielded
        pass.yielded(3, 31, m);
        pass.yielded(4, 40, m);
        clause_tally g1;
        pass.finish(m, g1);
        EXPECT_EQ(g1.checks, 1u);
        EXPECT_EQ(g1.violations, 0u) << (g1.examples.empty() ? "" : g1.examples[0]);
    }
    auto one = [&](auto&& steps) {
        iteration_model fresh;
        for (key_type k = 1; k <= 3; ++k) fresh.store(k, 10 * k);
        iteration_pass_check pass(fresh);
        steps(fresh, pass);
        clause_tally g1;
        pass.finish(fresh, g1);
        return g1;
    };
    // A key present throughout not yielded.
    EXPECT_EQ(one([](iteration_model& x, iteration_pass_check& p) {
                  p.yielded(1, 10, x);
                  p.yielded(2, 20, x);
              }).violations,
              1u);
    // An erased key yielded.
    EXPECT_EQ(one([](iteration_model& x, iteration_pass_check& p) {
                  p.yielded(1, 10, x);
                  x.erase(2);
                  p.yielded(2, 20, x);
                  p.yielded(3, 30, x);
              }).violations,
              1u);
    // A stale value.
    EXPECT_EQ(one([](iteration_model& x, iteration_pass_check& p) {
                  x.store(2, 21);
                  p.yielded(1, 10, x);
                  p.yielded(2, 20, x);
                  p.yielded(3, 30, x);
              }).violations,
              1u);
    // The same entry twice; but a key erased and inserted again is a new entry.
    EXPECT_EQ(one([](iteration_model& x, iteration_pass_check& p) {
                  p.yielded(1, 10, x);
                  p.yielded(2, 20, x);
                  p.yielded(1, 10, x);
                  p.yielded(3, 30, x);
              }).violations,
              1u);
    EXPECT_EQ(one([](iteration_model& x, iteration_pass_check& p) {
                  p.yielded(1, 10, x);
                  x.erase(1);
                  x.store(1, 11);
                  p.yielded(2, 20, x);
                  p.yielded(1, 11, x);
                  p.yielded(3, 30, x);
              }).violations,
              0u);
    // After clear nothing is present throughout; an inserted key may be yielded once.
    EXPECT_EQ(one([](iteration_model& x, iteration_pass_check& p) {
                  p.yielded(1, 10, x);
                  x.clear();
                  x.store(9, 90);
                  p.yielded(9, 90, x);
              }).violations,
              0u);
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
