// syncmap-soak: a bounded soak of sync_map under everything at once, checked exactly
// against per-owner models, with the heap sampled over time and judged flat after
// warm-up. docs/LAB.md ("Soak") describes the workload, the checks and the verdict.
//
// Exit status: 0 pass; 1 a model check failed; 2 bad options; 3 the heap grew.
#include <chrono>
#include <cstdio>
#include <exception>
#include <thread>
#include <vector>

#include "heap_verdict.hpp"
#include "options.hpp"
#include "report.hpp"
#include "roles.hpp"
#include "samples.hpp"
#include "shared_state.hpp"
#include "thread_churn.hpp"

using namespace syncmap::soak;

namespace {

void progress(const sample& s, double seconds) {
    std::fprintf(stderr, "soak: %5.0f/%.0f s  heap %7.2f MiB  retained %6lld + %6lld  owners %6.2f M ops/s  clears %llu\n",
                 s.t, seconds, static_cast<double>(s.heap_bytes) / 1048576.0, static_cast<long long>(s.retained_ints),
                 static_cast<long long>(s.retained_strings), s.writer_ops_per_s / 1e6,
                 static_cast<unsigned long long>(s.clears));
}

// Drops every snapshot the owners hold, then checks S3's end state: nothing retained.
void release_snapshots(soak_shared& sh) {
    for (owner_state& o : sh.owners) {
        o.ints.long_held.snap.reset();
        o.ints.short_held.snap.reset();
        o.strings.long_held.snap.reset();
        o.strings.short_held.snap.reset();
    }
}

}  // namespace

int main(int argc, char** argv) {
    options opts;
    try {
        opts = parse_options(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "syncmap-soak: %s\n%s", e.what(), usage().c_str());
        return 2;
    }
    if (opts.help) {
        std::fputs(usage().c_str(), stdout);
        return 0;
    }
    if (opts.seed == 0)
        opts.seed = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) | 1;
    std::fprintf(stderr, "soak: %.0f s, seed %llu, report in %s\n", opts.seconds,
                 static_cast<unsigned long long>(opts.seed), opts.report_dir.c_str());

    soak_outcome out;
    out.opts = opts;
    {
        soak_shared sh(out.opts);
        set_up_owners(sh);
        sampler smp(sh);
        out.samples.push_back(smp.take(sh));

        std::vector<std::thread> roles;
        for (unsigned s = 0; s < opts.writers; ++s) {
            roles.push_back(start_role(sh, opts.seed + 101 * (s + 1),
                                       [&sh, s](double until, std::mt19937_64&) { run_owner(sh, sh.owners[s], until); }));
        }
        roles.push_back(start_role(sh, opts.seed + 7, [&sh](double until, std::mt19937_64& rng) {
            run_reader(sh, rng, until);
        }));
        roles.push_back(start_role(sh, opts.seed + 11, [&sh](double until, std::mt19937_64& rng) {
            run_traverser(sh, rng, until);
        }));
        roles.push_back(start_role(sh, opts.seed + 13, [&sh](double until, std::mt19937_64& rng) {
            run_snapshotter(sh, rng, until);
        }));

        double next_sample = opts.sample_seconds;
        double next_clear = opts.clear_every;
        double next_progress = opts.seconds / 10;
        while (sh.running()) {
            const double wake = std::min({next_sample, next_clear, opts.seconds});
            const double now = sh.now();
            if (wake > now) std::this_thread::sleep_for(std::chrono::duration<double>(std::min(wake - now, 0.05)));
            if (sh.failure.failed()) break;
            const double t = sh.now();
            if (t >= opts.seconds) break;
            if (t >= next_sample) {
                out.samples.push_back(smp.take(sh));
                next_sample += opts.sample_seconds;
                if (opts.seconds >= 60 && t >= next_progress) {
                    progress(out.samples.back(), opts.seconds);
                    next_progress += opts.seconds / 10;
                }
            }
            if (t >= next_clear) {
                pause_compare_and_clear(sh);
                next_clear += opts.clear_every;
            }
        }
        out.samples.push_back(smp.take(sh));
        sh.stop.store(true, std::memory_order_relaxed);
        for (std::thread& t : roles) t.join();
        out.wall_seconds = sh.now();

        if (!sh.failure.failed()) compare_with_models(sh, "at the end, every thread gone");
        release_snapshots(sh);
        syncmap::detail::rcu_barrier();
        const syncmap::map_stats a = sh.ints.stats(), b = sh.strings.stats();
        out.retained_at_end = a.versions_retained + b.versions_retained;
        out.retired_pending_at_end = a.retired_bytes_pending;
        if (out.retained_at_end != 0)
            sh.failure.fail("%lld versions still retained after the last snapshot was destroyed (S3)",
                            static_cast<long long>(out.retained_at_end));
        if (a.live_snapshots + b.live_snapshots != 0)
            sh.failure.fail("stats() counts %zu live snapshots after the last one was destroyed",
                            a.live_snapshots + b.live_snapshots);
        if (out.retired_pending_at_end != 0)
            sh.failure.fail("%lld retired bytes still pending after rcu_barrier() with no thread left",
                            static_cast<long long>(out.retired_pending_at_end));
        out.heap_at_end = heap_in_use();

        const soak_counters& c = sh.counters;
        out.writer_ops = c.writer_ops.load();
        out.reader_ops = c.reader_ops.load();
        out.traversal_entries = c.traversal_entries.load();
        out.passes = c.passes.load();
        out.snapshots = c.snapshots.load();
        out.snapshot_checks = c.snapshot_checks.load();
        out.clears = c.clears.load();
        out.threads_started = c.threads_started.load();
        out.failure = sh.failure.first_message();
    }

    std::vector<double> times, heap;
    for (const sample& s : out.samples) {
        times.push_back(s.t);
        heap.push_back(static_cast<double>(s.heap_bytes));
    }
    out.heap = judge_heap(times, heap, opts.seconds);
    const std::string where = write_report(out);
    std::printf("%s%s\n", summary(out).c_str(), where.c_str());
    if (!out.failure.empty()) return 1;
    if (out.heap.judged && !out.heap.flat) return 3;
    return 0;
}
