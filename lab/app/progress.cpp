#include "progress.hpp"

#include <algorithm>
#include <cmath>

namespace syncmap::lab {

progress_display::progress_display(style s, std::size_t total_runs, std::FILE* out)
    : style_(s), total_(total_runs), out_(out) {}

double progress_display::elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string progress_display::duration(double seconds) {
    const long s = std::lround(std::max(0.0, seconds));
    char buf[32];
    if (s < 60)
        std::snprintf(buf, sizeof buf, "%ld s", s);
    else
        std::snprintf(buf, sizeof buf, "%ld min %02ld s", s / 60, s % 60);
    return buf;
}

std::string progress_display::time_left(std::size_t runs_done) const {
    if (runs_done == 0) return "time left not known yet";
    if (runs_done >= total_) return "done";
    const double per_run = elapsed() / static_cast<double>(runs_done);
    return "about " + duration(per_run * static_cast<double>(total_ - runs_done)) + " left";
}

void progress_display::run_starting(std::size_t index, const std::string& container, const std::string& scenario,
                                    unsigned threads) {
    if (style_ != style::status_line) return;
    // \r and erase-line: the line is redrawn in place. Kept short of 120 columns.
    std::fprintf(out_, "\r\033[K[%3zu/%zu] %s, %s  %-16.16s %-20.20s threads=%u", index + 1, total_,
                 duration(elapsed()).c_str(), time_left(index).c_str(), container.c_str(), scenario.c_str(), threads);
    std::fflush(out_);
}

void progress_display::scenario_finished(const std::string& scenario, std::size_t runs_done,
                                         std::size_t scenario_runs) {
    const auto now = std::chrono::steady_clock::now();
    const double took = std::chrono::duration<double>(now - scenario_start_).count();
    scenario_start_ = now;
    if (style_ != style::plain_lines) return;
    std::fprintf(out_, "syncmap-lab: %s done (%zu runs, %s); %zu/%zu runs in %s, %s\n", scenario.c_str(),
                 scenario_runs, duration(took).c_str(), runs_done, total_, duration(elapsed()).c_str(),
                 time_left(runs_done).c_str());
    std::fflush(out_);
}

void progress_display::finish() {
    if (style_ == style::status_line) std::fprintf(out_, "\r\033[K");
    std::fflush(out_);
}

}  // namespace syncmap::lab
