#include "heap_verdict.hpp"

#include <algorithm>
#include <cstdio>

namespace syncmap::soak {

heap_verdict judge_heap(const std::vector<double>& times, const std::vector<double>& heap, double run_seconds) {
    heap_verdict v;
    if (run_seconds < heap_verdict_min_seconds) {
        v.reason = "run shorter than " + std::to_string(static_cast<int>(heap_verdict_min_seconds)) + " s";
        return v;
    }
    const double a = run_seconds / 3, b = 2 * run_seconds / 3;
    double sum2 = 0, sum3 = 0;
    // Least-squares fit over both judged thirds.
    double n = 0, st = 0, sh = 0, stt = 0, sth = 0;
    for (std::size_t i = 0; i < times.size() && i < heap.size(); ++i) {
        const double t = times[i], h = heap[i];
        if (t < a) continue;
        if (t < b) {
            sum2 += h;
            ++v.second_third_samples;
        } else {
            sum3 += h;
            ++v.last_third_samples;
        }
        n += 1;
        st += t;
        sh += h;
        stt += t * t;
        sth += t * h;
    }
    if (v.second_third_samples < 3 || v.last_third_samples < 3) {
        v.reason = "fewer than 3 samples in the second or the last third";
        return v;
    }
    v.judged = true;
    v.second_third_mean = sum2 / static_cast<double>(v.second_third_samples);
    v.last_third_mean = sum3 / static_cast<double>(v.last_third_samples);
    v.growth = v.last_third_mean - v.second_third_mean;
    v.tolerance = std::max(heap_tolerance_fraction * v.second_third_mean, heap_tolerance_floor_bytes);
    const double denom = n * stt - st * st;
    v.slope_per_minute = denom > 0 ? 60 * (n * sth - st * sh) / denom : 0;
    v.flat = v.growth <= v.tolerance;
    if (!v.flat) {
        char buf[200];
        std::snprintf(buf, sizeof buf, "heap grew by %.2f MiB from the second third to the last (tolerance %.2f MiB)",
                      v.growth / 1048576.0, v.tolerance / 1048576.0);
        v.reason = buf;
    }
    return v;
}

}  // namespace syncmap::soak
