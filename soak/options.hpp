// syncmap-soak's command line.
#pragma once

#include <cstdint>
#include <string>

namespace syncmap::soak {

struct options {
    double seconds = 600;            // run length
    double sample_seconds = 0;       // 0: 1 s, or seconds / 60 for runs shorter than a minute
    std::uint64_t keys = 65536;      // key space of the uint64 map (inline entries)
    std::uint64_t string_keys = 16384;  // key space of the std::string map (nodes)
    unsigned writers = 3;            // owner slots: each owns keys k with k % writers == slot
    double clear_every = 30;         // seconds between quiescent checks + clear()
    double long_snapshot_every = 20; // seconds a long-held snapshot lives before it is replaced
    double thread_life = 2;          // mean seconds a worker thread lives before a fresh one replaces it
    std::uint64_t seed = 0;          // 0: from the clock
    std::string report_dir = "soak-report";
    bool plots = true;
    bool help = false;
};

// Throws std::invalid_argument with a message naming the option.
options parse_options(int argc, char** argv);
std::string usage();

}  // namespace syncmap::soak
