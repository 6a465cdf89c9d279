// syncmap-lab: runs every scenario on every container at every thread count, checks the
// recorded histories clause by clause, prints the clause table, and exits non-zero if a
// clause a syncmap container promises was violated.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <stdexcept>
#include <unistd.h>

#include <syncmap/version.hpp>

#include "../../peers/peers.hpp"
#include "../scenarios/out_of_process.hpp"
#include "options.hpp"
#include "progress.hpp"
#include "results.hpp"
#include "syncmap_adapters.hpp"

namespace {

using namespace syncmap::lab;

std::vector<adapter_entry> every_container() {
    std::vector<adapter_entry> all = syncmap_containers();
    for (auto& p : peers::installed()) all.push_back(std::move(p));
    return all;
}

struct job {
    const scenario* s;
    const adapter_entry* c;
    unsigned threads;
};

int run(int argc, char** argv) {
    const std::vector<adapter_entry> containers = every_container();
    options opts;
    try {
        opts = parse_options(argc, argv);
    } catch (const std::invalid_argument& e) {
        std::fprintf(stderr, "syncmap-lab: %s\n", e.what());
        return 2;
    }
    if (opts.help) {
        print_help(containers);
        return 0;
    }
    if (opts.version) {
        std::printf("syncmap-lab (syncmap %d.%d.%d)\n", SYNCMAP_VERSION_MAJOR, SYNCMAP_VERSION_MINOR,
                    SYNCMAP_VERSION_PATCH);
        return 0;
    }
    if (opts.list) {
        for (const auto& s : all_scenarios()) std::printf("scenario  %-20s %s\n", s.name.c_str(), s.summary.c_str());
        for (const auto& c : containers) std::printf("container %-20s %s\n", c.name.c_str(), c.description.c_str());
        return 0;
    }

    std::vector<const scenario*> scenarios;
    for (const auto& name : opts.scenarios) {
        auto it = std::find_if(all_scenarios().begin(), all_scenarios().end(), [&](const scenario& s) { return s.name == name; });
        if (it == all_scenarios().end()) {
            std::fprintf(stderr, "syncmap-lab: unknown scenario '%s' (--list shows them)\n", name.c_str());
            return 2;
        }
        scenarios.push_back(&*it);
    }
    if (scenarios.empty())
        for (const auto& s : all_scenarios()) scenarios.push_back(&s);

    lab_run result;
    result.opts = opts;
    for (const auto& name : opts.containers) {
        auto it = std::find_if(containers.begin(), containers.end(), [&](const adapter_entry& c) { return c.name == name; });
        if (it == containers.end()) {
            std::fprintf(stderr, "syncmap-lab: unknown container '%s' (--list shows them)\n", name.c_str());
            return 2;
        }
    }
    for (const auto& c : containers) {
        if (!opts.containers.empty() && std::find(opts.containers.begin(), opts.containers.end(), c.name) == opts.containers.end())
            continue;
        container_info info{c, {}};
        auto probe = c.make();
        for (std::size_t k = 0; k < clause_count; ++k) info.promises[k] = probe->promises(static_cast<clause>(k));
        result.containers.push_back(std::move(info));
    }

    std::vector<job> jobs;
    for (const auto* s : scenarios)
        for (const auto& c : result.containers) {
            if (s->single_thread_count) {
                jobs.push_back({s, &c.entry, 1});
                continue;
            }
            // Out-of-process peers start a runtime per run, and served maps pay a round trip
            // per operation: they run at the fewest and the most threads only, to keep the
            // default run short.
            std::vector<unsigned> counts = opts.threads;
            if ((c.entry.external || c.entry.served) && counts.size() > 2) counts = {counts.front(), counts.back()};
            for (unsigned t : counts) jobs.push_back({s, &c.entry, t});
        }

    const auto t0 = std::chrono::steady_clock::now();
    progress_display progress(opts.progress || ::isatty(STDERR_FILENO) ? progress_display::style::status_line
                                                                        : progress_display::style::plain_lines,
                              jobs.size());
    std::printf("syncmap-lab: %zu runs (%zu scenarios x %zu containers x thread counts", jobs.size(), scenarios.size(),
                result.containers.size());
    for (unsigned t : opts.threads) std::printf(" %u", t);
    std::printf("), %.2f s each\n", opts.config.seconds);
    std::fflush(stdout);
    std::size_t scenario_runs = 0;
    for (std::size_t i = 0; i < jobs.size(); ++i) {
        const job& j = jobs[i];
        progress.run_starting(i, j.c->name, j.s->name, j.threads);
        scenario_config cfg = opts.config;
        cfg.threads = j.threads;
        cfg.seed = opts.config.seed * 1000003 + i;
        if (j.c->served) {
            // As the out-of-process peers: half the time and the traversals per run.
            cfg.seconds *= out_of_process_time_share;
            cfg.max_traversals = std::max<std::size_t>(2, static_cast<std::size_t>(static_cast<double>(cfg.max_traversals) * out_of_process_time_share));
        }
        std::vector<scenario_result> runs;
        try {
            runs = j.c->external ? run_out_of_process(*j.s, *j.c, cfg) : j.s->run(*j.c, cfg);
        } catch (const std::exception& ex) {
            // A served peer whose service fails mid-run (a dropped connection) is reported
            // as the out-of-process peers are, never replaced by figures, and the lab goes
            // on. A syncmap container that throws ends the lab: that is a bug.
            if (j.c->origin == "syncmap") throw;
            std::fprintf(stderr, "syncmap-lab: %s on %s, %u threads: %s\n", j.c->name.c_str(), j.s->name.c_str(),
                         j.threads, ex.what());
            scenario_result failed = result_for(j.s->name, *j.c, j.threads);
            failed.note = std::string("run failed: ") + ex.what();
            runs.push_back(std::move(failed));
        }
        for (auto& r : runs) result.results.push_back(std::move(r));
        ++scenario_runs;
        // Jobs are grouped by scenario: the next job's scenario differs after a scenario's last run.
        if (i + 1 == jobs.size() || jobs[i + 1].s != j.s) {
            progress.scenario_finished(j.s->name, i + 1, scenario_runs);
            scenario_runs = 0;
        }
    }
    progress.finish();
    result.wall_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

    std::printf("\n");
    print_clause_table(stdout, result);
    print_measurements(stdout, result);
    print_violations(stdout, result);

    if (!opts.json_path.empty()) {
        std::ofstream json(opts.json_path);
        json << to_json(result);
        if (!json) {
            std::fprintf(stderr, "syncmap-lab: cannot write %s\n", opts.json_path.c_str());
            return 2;
        }
    }
    if (!opts.report_dir.empty()) std::printf("\n%s\n", write_report(result, opts.report_dir, opts.plots).c_str());

    const std::uint64_t bad = promised_violations(result);
    std::printf("\n%s: %llu violations of clauses syncmap promises; wall time %.1f s\n", bad ? "FAIL" : "PASS",
                static_cast<unsigned long long>(bad), result.wall_seconds);
    return bad ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
    try {
        return run(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "syncmap-lab: %s\n", e.what());
        return 3;
    }
}
