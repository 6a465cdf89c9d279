// lab/app/options.hpp - command line of syncmap-lab.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "../scenarios/scenario.hpp"

namespace syncmap::lab {

struct options {
    std::vector<unsigned> threads{1, 2, 4, 8};
    scenario_config config;  // per-run settings (threads filled in per run)
    std::vector<std::string> scenarios;   // empty: all
    std::vector<std::string> containers;  // empty: all
    std::string json_path;
    std::string report_dir = "lab-report";
    bool plots = true;
    bool progress = false;
    bool quick = false;
    bool list = false;
    bool help = false;
    bool version = false;
};

// Parses argv; throws std::invalid_argument with a message naming the offending option.
options parse_options(int argc, char** argv);

void print_help(const std::vector<adapter_entry>& containers);

}  // namespace syncmap::lab
