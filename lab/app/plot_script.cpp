#include "plot_script.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <sys/wait.h>

namespace syncmap::lab {

namespace {

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

}  // namespace

std::string run_plot_script(const std::filesystem::path& script, const std::filesystem::path& dir) {
    if (!std::filesystem::exists(script)) return "plotting script " + script.string() + " not found";
    const std::string python = std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
    const std::string cmd = python + " " + shell_quote(script.string()) + " " + shell_quote(dir.string()) + " 2>&1";
    std::FILE* pipe = ::popen(cmd.c_str(), "r");
    if (pipe == nullptr) return std::string("cannot run ") + python + ": " + std::strerror(errno);
    std::string output;
    char buf[512];
    while (std::fgets(buf, sizeof buf, pipe)) output += buf;
    const int status = ::pclose(pipe);
    if (status == 0) return {};
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    while (!output.empty() && output.back() == '\n') output.pop_back();
    if (code == 3) return output.empty() ? "matplotlib is not installed (Debian: python3-matplotlib)" : output;
    return "plotting script failed (exit " + std::to_string(code) + "): " + output;
}

}  // namespace syncmap::lab
