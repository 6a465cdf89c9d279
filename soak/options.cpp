#include "options.hpp"

#include <stdexcept>
#include <string_view>

#include "core/option_number.hpp"
#include "value_codec.hpp"

namespace syncmap::soak {

namespace {

std::uint64_t parse_count(std::string_view opt, std::string_view text) {
    const double v = lab::parse_option_double(opt, text);
    if (v < 0 || v != static_cast<double>(static_cast<std::uint64_t>(v)))
        throw std::invalid_argument(std::string(opt) + ": '" + std::string(text) + "' is not a whole number");
    return static_cast<std::uint64_t>(v);
}

}  // namespace

options parse_options(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&]() -> std::string_view {
            if (i + 1 >= argc) throw std::invalid_argument(std::string(arg) + " needs a value");
            return argv[++i];
        };
        auto positive = [&](double v) {
            if (!(v > 0)) throw std::invalid_argument(std::string(arg) + " must be positive");
            return v;
        };
        if (arg == "-h" || arg == "--help") {
            o.help = true;
        } else if (arg == "--seconds") {
            o.seconds = positive(lab::parse_option_double(arg, value()));
        } else if (arg == "--sample-seconds") {
            o.sample_seconds = positive(lab::parse_option_double(arg, value()));
        } else if (arg == "--keys") {
            o.keys = parse_count(arg, value());
        } else if (arg == "--string-keys") {
            o.string_keys = parse_count(arg, value());
        } else if (arg == "--writers") {
            o.writers = static_cast<unsigned>(parse_count(arg, value()));
        } else if (arg == "--clear-every") {
            o.clear_every = positive(lab::parse_option_double(arg, value()));
        } else if (arg == "--long-snapshot-every") {
            o.long_snapshot_every = positive(lab::parse_option_double(arg, value()));
        } else if (arg == "--thread-life") {
            o.thread_life = positive(lab::parse_option_double(arg, value()));
        } else if (arg == "--seed") {
            o.seed = parse_count(arg, value());
        } else if (arg == "--report") {
            o.report_dir = std::string(value());
        } else if (arg == "--no-plots") {
            o.plots = false;
        } else {
            throw std::invalid_argument("unknown option '" + std::string(arg) + "' (see --help)");
        }
    }
    if (o.writers < 1 || o.writers > 64) throw std::invalid_argument("--writers must be in 1..64");
    for (auto [name, k] : {std::pair{"--keys", o.keys}, std::pair{"--string-keys", o.string_keys}}) {
        if (k < 8 * o.writers || k > key_mask)
            throw std::invalid_argument(std::string(name) + " must be in [8 * writers, 2^24)");
    }
    if (o.sample_seconds == 0) o.sample_seconds = o.seconds >= 60 ? 1.0 : o.seconds / 60;
    return o;
}

std::string usage() {
    return "usage: syncmap-soak [options]\n"
           "A bounded soak of sync_map: owner-checked churn, snapshots, scans, ranges, thread churn\n"
           "and clear() on a uint64 map (inline entries) and a std::string map (nodes), sampling\n"
           "heap, retained versions and throughput; exits non-zero on any model mismatch or if\n"
           "the heap grows after warm-up (docs/LAB.md, \"Soak\").\n\n"
           "  --seconds S            run length (default 600)\n"
           "  --sample-seconds S     sampling period (default 1, or seconds/60 below a minute)\n"
           "  --keys N               key space of the uint64 map (default 65536)\n"
           "  --string-keys N        key space of the std::string map (default 16384)\n"
           "  --writers N            owner threads (default 3)\n"
           "  --clear-every S        seconds between quiescent checks with clear() (default 30)\n"
           "  --long-snapshot-every S  life of the long-held snapshot (default 20)\n"
           "  --thread-life S        mean life of a worker thread (default 2)\n"
           "  --seed N               random seed (default: from the clock)\n"
           "  --report DIR           report folder (default soak-report)\n"
           "  --no-plots             do not run soak/plot.py\n";
}

}  // namespace syncmap::soak
