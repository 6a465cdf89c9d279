#include "options.hpp"

#include <algorithm>
#include <cstdio>
#include <stdexcept>
#include <string_view>

#include "../core/option_number.hpp"

namespace syncmap::lab {

options parse_options(int argc, char** argv) {
    options o;
    bool threads_given = false, seconds_given = false, traversals_given = false;
    std::vector<unsigned> threads;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        auto value = [&]() -> std::string_view {
            if (i + 1 >= argc) throw std::invalid_argument(std::string(arg) + " needs a value");
            return argv[++i];
        };
        if (arg == "-h" || arg == "--help") {
            o.help = true;
        } else if (arg == "--version") {
            o.version = true;
        } else if (arg == "contracts") {
            // The command, and the only one: check every clause. It may be left out.
        } else if (arg == "--threads") {
            threads_given = true;
            std::string_view list = value();
            while (!list.empty()) {
                const auto comma = list.find(',');
                const auto t = parse_option_number<unsigned>("--threads", list.substr(0, comma));
                if (t < 1 || t > 64) throw std::invalid_argument("--threads: " + std::to_string(t) + " is outside 1..64");
                threads.push_back(t);
                list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
            }
        } else if (arg == "--seconds") {
            seconds_given = true;
            o.config.seconds = parse_option_double("--seconds", value());
            if (!(o.config.seconds > 0 && o.config.seconds <= 600))
                throw std::invalid_argument("--seconds: must be in (0, 600]");
        } else if (arg == "--ops") {
            o.config.ops_per_thread = parse_option_number<std::uint64_t>("--ops", value());
            if (o.config.ops_per_thread == 0) throw std::invalid_argument("--ops: must be at least 1");
        } else if (arg == "--keys") {
            o.config.keys = parse_option_number<std::size_t>("--keys", value());
            if (o.config.keys < 16 || o.config.keys > (1u << 22))
                throw std::invalid_argument("--keys: must be in 16..4194304");
        } else if (arg == "--zipf") {
            o.config.zipf = parse_option_double("--zipf", value());
            if (!(o.config.zipf > 0 && o.config.zipf <= 3)) throw std::invalid_argument("--zipf: must be in (0, 3]");
        } else if (arg == "--traversals") {
            traversals_given = true;
            o.config.max_traversals = parse_option_number<std::size_t>("--traversals", value());
            if (o.config.max_traversals < 2) throw std::invalid_argument("--traversals: must be at least 2");
        } else if (arg == "--skew") {
            o.config.skew = parse_option_number<timestamp>("--skew", value());
            if (o.config.skew < 0 || o.config.skew > 1000000000) throw std::invalid_argument("--skew: must be in 0..1e9 ns");
        } else if (arg == "--scenario") {
            o.scenarios.emplace_back(value());
        } else if (arg == "--container") {
            o.containers.emplace_back(value());
        } else if (arg == "--peers") {
            // A comma-separated list of containers (usually peers): as many --container.
            const std::string list(value());
            for (std::size_t from = 0; from <= list.size();) {
                const std::size_t comma = std::min(list.find(',', from), list.size());
                if (comma > from) o.containers.emplace_back(list.substr(from, comma - from));
                from = comma + 1;
            }
        } else if (arg == "--seed") {
            o.config.seed = parse_option_number<std::uint64_t>("--seed", value());
        } else if (arg == "--json") {
            o.json_path = value();
        } else if (arg == "--report") {
            o.report_dir = value();
        } else if (arg == "--no-report") {
            o.report_dir.clear();
        } else if (arg == "--no-plots") {
            o.plots = false;
        } else if (arg == "--progress") {
            o.progress = true;
        } else if (arg == "--quick") {
            o.quick = true;
        } else if (arg == "--list") {
            o.list = true;
        } else {
            throw std::invalid_argument("unknown option '" + std::string(arg) + "' (see --help)");
        }
    }
    if (o.quick) {
        if (!threads_given) threads = {1, 2};
        if (!seconds_given) o.config.seconds = 0.05;
        if (!traversals_given) o.config.max_traversals = 60;
    }
    if (!threads.empty()) o.threads = threads;
    return o;
}

void print_help(const std::vector<adapter_entry>& containers) {
    std::printf(
        "syncmap-lab: checks syncmap's contract clauses on real concurrent runs and measures\n"
        "the same clauses on peer concurrent maps.\n\n"
        "usage: syncmap-lab [contracts] [options]\n\n"
        "'contracts' is the command: run the scenarios and check syncmap's contract clauses\n"
        "(docs/GUARANTEES.md) on every container. It is the only command and the default, so\n"
        "it may be left out: 'syncmap-lab --quick' and 'syncmap-lab contracts --quick' are the\n"
        "same.\n\n"
        "Every scenario runs on every selected container at every thread count. Each run records\n"
        "every operation and traversal with invocation/response timestamps, then the checkers\n"
        "decide clause by clause (docs/LAB.md explains how). The exit status is 1 if a clause\n"
        "that a syncmap container promises was violated, 2 on a usage error, 0 otherwise.\n\n"
        "options:\n"
        "  --threads LIST     thread counts, comma-separated (default 1,2,4,8; --quick: 1,2).\n"
        "                     Point-ops runs LIST workers; traversal scenarios run LIST writers\n"
        "                     plus their traversal threads.\n"
        "  --seconds S        wall-clock budget of one run (default 0.2; --quick: 0.05)\n"
        "  --ops N            operations per worker per run. point-ops: exactly N (no time\n"
        "                     limit; default 240000/threads within --seconds); traversal\n"
        "                     scenarios: N per writer, paced over --seconds (default\n"
        "                     300000/writers)\n"
        "  --keys N           key space (default per scenario: 256 point-ops, 1024 traversals,\n"
        "                     snapshot-under-churn and scan-pass, 32768 inserted by\n"
        "                     growth-during-range, 4096 retired-memory and snapshot-memory)\n"
        "  --zipf S           exponent of the skewed point-ops variant (default 0.99)\n"
        "  --traversals N     traversals per run at most: ranges, snapshots, scan passes, go_map\n"
        "                     passes (default 300; bounds memory)\n"
        "  --skew NS          cross-thread real-time order is trusted only beyond NS nanoseconds\n"
        "                     (default 1000; a store may reach other cores after its writer read\n"
        "                     the clock; 0 asks for real-time order at the clock's resolution)\n"
        "  --scenario NAME    run only this scenario (repeatable)\n"
        "  --container NAME   run only this container (repeatable)\n"
        "  --peers LIST       run only these containers, comma-separated (e.g. redis_scan,etcd_range)\n"
        "  --seed N           seed of the workload generators (default 1)\n"
        "  --json FILE        write every result, tally and curve as JSON\n"
        "  --report DIR       write DIR/README.md, DIR/results.json and PNG plots\n"
        "                     (default lab-report); --no-report skips it\n"
        "  --no-plots         write the report without running the plotting script\n"
        "  --progress         redraw one progress line in place even when stderr is not a\n"
        "                     terminal (otherwise: a plain line per finished scenario)\n"
        "  --quick            a fast smoke run (threads 1,2; 0.05 s runs; 60 traversals)\n"
        "  --list             list scenarios and containers, then exit\n"
        "  --version          print the version of syncmap, then exit\n"
        "  -h, --help         this text\n\n"
        "output:\n"
        "  Two tables, container x clause. A cell is 'violations / checks'. Check units: L1 one\n"
        "  key's history in one run; W1-W4 one traversal (range); S1 one snapshot; S2 one\n"
        "  verification of a snapshot (right after it is taken, and again later); C2 one full\n"
        "  pass of scan calls; C4 one chunked walk of a snapshot; G1 one go_map pass. '+N\n"
        "  unknown' counts checks whose search hit its budget (never counted as passes). 'not\n"
        "  promised': the map does not guarantee the clause, the figure is measured for\n"
        "  comparison. 'not supported': the map has no such mode (no snapshot, no cursor, not\n"
        "  go_map), or using it concurrently would be undefined behaviour. 'not run': supported,\n"
        "  but no selected scenario checks it. Then tables of measurements per container\n"
        "  (traversal pitfalls; memory held back by a long range, chunked scans and a live\n"
        "  snapshot; snapshots, cursors and go_map), and the violations found, with examples.\n"
        "  Clauses: L1 linearizable point operations; W1 every key present throughout a\n"
        "  traversal is yielded; W2 no key yielded twice; W3 no key absent throughout is\n"
        "  yielded; W4 every yielded value was the key's value at some instant of the traversal;\n"
        "  S1 a snapshot is the map at one instant of its snapshot() call; S2 a snapshot's load,\n"
        "  size, iteration, range and scan agree, whatever the map does later; C2 a full pass\n"
        "  of scan calls (pauses, growth, clears between and during them; or a range stopped\n"
        "  by a stop_token and resumed by scan) meets W1-W4 over the whole pass; C4 a snapshot\n"
        "  walked in chunks yields exactly its contents; G1 go_map iteration under mutation by\n"
        "  the iterating thread.\n\n"
        "scenarios:\n");
    for (const auto& s : all_scenarios()) {
        std::printf("  %-20s %s\n", s.name.c_str(), s.summary.c_str());
        std::string d = s.details;
        std::size_t pos = 0;
        while (pos < d.size()) {
            const auto nl = d.find('\n', pos);
            std::printf("      %s\n", d.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos).c_str());
            if (nl == std::string::npos) break;
            pos = nl + 1;
        }
    }
    std::printf("\ncontainers in this build:\n");
    for (const auto& c : containers)
        std::printf("  %-18s %-8s %s\n", c.name.c_str(), c.origin.c_str(), c.description.c_str());
}

}  // namespace syncmap::lab
