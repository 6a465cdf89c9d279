// The soak's memory verdict: after warm-up, the heap must stay flat.
//
// The run is cut in thirds by time. The first third is warm-up (the key sets fill to their
// steady occupancy, the allocator and the RCU queue reach their working sizes). The mean
// heap in use over the last third is compared with the mean over the second third: the
// heap is flat if it grew by no more than the tolerance, the larger of
// heap_tolerance_fraction of the second third's mean and heap_tolerance_floor_bytes.
// Means over thirds, not single samples, because the heap saw-tooths with clear() and with
// snapshot replacement; a leak grows every third and shows as a difference of means.
// Runs shorter than heap_verdict_min_seconds, or with fewer than three samples in a third,
// are not judged (a short run has no steady state to judge).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace syncmap::soak {

inline constexpr double heap_tolerance_fraction = 0.03;
inline constexpr double heap_tolerance_floor_bytes = 1024.0 * 1024.0;
inline constexpr double heap_verdict_min_seconds = 60;

struct heap_verdict {
    bool judged = false;
    bool flat = true;               // meaningful when judged
    std::string reason;             // why not judged, or the figures that failed
    double second_third_mean = 0;   // bytes
    double last_third_mean = 0;     // bytes
    double growth = 0;              // last_third_mean - second_third_mean, bytes
    double tolerance = 0;           // bytes
    double slope_per_minute = 0;    // least-squares slope after warm-up, bytes per minute (reported, not judged)
    std::size_t second_third_samples = 0;
    std::size_t last_third_samples = 0;
};

// times[i] (seconds since the start) and heap[i] (bytes) are the samples, in time order;
// run_seconds is the run's length.
heap_verdict judge_heap(const std::vector<double>& times, const std::vector<double>& heap, double run_seconds);

}  // namespace syncmap::soak
