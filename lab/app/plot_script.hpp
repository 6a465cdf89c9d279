// Runs a plotting script (python3 + matplotlib) on a report folder. Shared by syncmap-lab
// (lab/plots.py) and syncmap-soak (soak/plot.py).
#pragma once

#include <filesystem>
#include <string>

namespace syncmap::lab {

// Runs `python3 script dir`; returns "" on success or why the plots were skipped. A script
// exits with status 3 (and prints one line) when matplotlib is missing.
std::string run_plot_script(const std::filesystem::path& script, const std::filesystem::path& dir);

}  // namespace syncmap::lab
