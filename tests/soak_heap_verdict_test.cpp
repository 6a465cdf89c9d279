// The soak's heap verdict (soak/heap_verdict.hpp) on made-up sample series: flat and
// saw-toothed heaps pass, a steady leak and a step up after warm-up fail, growth during
// warm-up is not judged, and short runs are not judged at all.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "heap_verdict.hpp"

namespace {

using syncmap::soak::heap_verdict;
using syncmap::soak::judge_heap;

constexpr double mib = 1024.0 * 1024.0;

// One sample a second over `seconds`, heap(t) in bytes.
template <class F>
heap_verdict judge(double seconds, F heap) {
    std::vector<double> t, h;
    for (double x = 0; x <= seconds; x += 1) {
        t.push_back(x);
        h.push_back(heap(x));
    }
    return judge_heap(t, h, seconds);
}

TEST(SoakHeapVerdict, FlatHeapIsFlat) {
    const heap_verdict v = judge(600, [](double) { return 40 * mib; });
    EXPECT_TRUE(v.judged);
    EXPECT_TRUE(v.flat);
    EXPECT_NEAR(v.growth, 0, 1);
    EXPECT_NEAR(v.slope_per_minute, 0, 1);
}

TEST(SoakHeapVerdict, SawToothWithinTheTolerancePasses) {
    // clear() every 30 s and a refill: the heap swings by 20 MiB, the means stay put.
    const heap_verdict v = judge(600, [](double t) { return 30 * mib + 20 * mib * (std::fmod(t, 30) / 30); });
    EXPECT_TRUE(v.judged);
    EXPECT_TRUE(v.flat) << v.reason;
}

TEST(SoakHeapVerdict, SteadyLeakFails) {
    // 10 KiB a second: 2 MiB from one third's mean to the next, over a 1 MiB floor and 3% of 41 MiB.
    const heap_verdict v = judge(600, [](double t) { return 40 * mib + 10 * 1024 * t; });
    EXPECT_TRUE(v.judged);
    EXPECT_FALSE(v.flat);
    EXPECT_NEAR(v.growth, 2000 * 1024, 20 * 1024);
    EXPECT_NEAR(v.slope_per_minute, 600 * 1024, 1024);
    EXPECT_NE(v.reason.find("heap grew"), std::string::npos);
}

TEST(SoakHeapVerdict, StepAfterWarmUpFails) {
    const heap_verdict v = judge(300, [](double t) { return t < 250 ? 40 * mib : 50 * mib; });
    EXPECT_TRUE(v.judged);
    EXPECT_FALSE(v.flat);
}

TEST(SoakHeapVerdict, GrowthDuringWarmUpIsNotJudged) {
    const heap_verdict v = judge(300, [](double t) { return t < 100 ? t * mib : 100 * mib; });
    EXPECT_TRUE(v.judged);
    EXPECT_TRUE(v.flat) << v.reason;
}

TEST(SoakHeapVerdict, SmallGrowthUnderTheToleranceIsFlat) {
    // 0.5 MiB between the thirds' means: under the 1 MiB floor.
    const heap_verdict v = judge(300, [](double t) { return t < 200 ? 10 * mib : 10.5 * mib; });
    EXPECT_TRUE(v.flat) << v.reason;
    EXPECT_NEAR(v.growth, 0.5 * mib, 0.01 * mib);
}

TEST(SoakHeapVerdict, ShortRunsAreNotJudged) {
    const heap_verdict v = judge(30, [](double t) { return t * mib; });
    EXPECT_FALSE(v.judged);
    EXPECT_NE(v.reason.find("shorter"), std::string::npos);
    const heap_verdict sparse = judge_heap({0, 100, 200, 300}, {1, 2, 3, 4}, 300);
    EXPECT_FALSE(sparse.judged);
}

}  // namespace
