#include "out_of_process.hpp"

#include <chrono>
#include <cstdio>

#include "../core/child_process.hpp"
#include "../core/iteration_checker.hpp"
#include "../core/peer_protocol.hpp"
#include "../core/workload.hpp"
#include "pitfall_measures.hpp"
#include "scenarios.hpp"

namespace syncmap::lab {

namespace {

// Describes an out-of-process map to the rest of the lab; never performs an operation.
class described_map final : public map_adapter {
public:
    described_map(std::string name, std::shared_ptr<const out_of_process_peer> peer)
        : name_(std::move(name)), peer_(std::move(peer)) {}
    std::string name() const override { return name_; }
    capabilities caps() const override { return peer_->caps; }
    promise promises(clause c) const override { return peer_->promises[static_cast<std::size_t>(c)]; }
    std::optional<value_type> load(key_type) override { throw_unsupported("in-process load (runs out of process)"); }
    void store(key_type, value_type) override { throw_unsupported("in-process store (runs out of process)"); }

private:
    std::string name_;
    std::shared_ptr<const out_of_process_peer> peer_;
};

std::vector<std::pair<op_kind, unsigned>> spec_mix(const op_mix& mix) {
    std::vector<std::pair<op_kind, unsigned>> out;
    for (std::size_t i = 0; i < op_kind_count; ++i)
        if (mix.weight[i] > 0) out.emplace_back(static_cast<op_kind>(i), static_cast<unsigned>(mix.weight[i]));
    return out;
}

// A churn mix of store and the map's delete: `store_weight` : `delete_weight`.
std::vector<std::pair<op_kind, unsigned>> churn_mix(const capabilities& caps, unsigned store_weight, unsigned delete_weight) {
    const op_kind del = caps.has(op_kind::load_and_delete) ? op_kind::load_and_delete : op_kind::erase;
    return {{op_kind::store, store_weight}, {del, delete_weight}};
}

// Runs the peer program on `spec`, parses and validates its history. Throws
// std::runtime_error (with the peer's stderr) if it fails or its history is malformed.
peer_history run_peer(const out_of_process_peer& peer, const peer_spec& spec, double seconds) {
    const child_outcome out = run_child(peer.command, to_text(spec), seconds + 60);
    if (out.timed_out || out.signaled || out.exit_code != 0)
        throw std::runtime_error(peer.map + ": peer " + out.describe() + ": " + out.err.substr(0, 400));
    try {
        peer_history p = parse_peer_history(out.out);
        check_timestamps_within(p.h, out.started, out.ended);
        return p;
    } catch (const malformed_history& e) {
        throw std::runtime_error(peer.map + ": malformed history: " + e.what());
    }
}

// go-map-iteration on a single-thread peer: the iteration log replayed through the G1
// model, step by step, exactly as the in-process scenario checks go_map.
void check_iteration_log(const std::vector<iteration_event>& log, scenario_result& r) {
    clause_tally g1;
    iteration_model model;
    std::optional<iteration_pass_check> pass;
    std::uint64_t yields = 0, mutations = 0;
    for (const iteration_event& ev : log) {
        switch (ev.what) {
            case iteration_event::kind::begin: pass.emplace(model); break;
            case iteration_event::kind::yield:
                pass->yielded(ev.key, ev.value, model);
                ++yields;
                break;
            case iteration_event::kind::store:
                model.store(ev.key, ev.value);
                ++mutations;
                break;
            case iteration_event::kind::erase:
                model.erase(ev.key);
                ++mutations;
                break;
            case iteration_event::kind::clear:
                model.clear();
                ++mutations;
                break;
            case iteration_event::kind::end:
                pass->finish(model, g1);
                pass.reset();
                break;
        }
    }
    r.add(clause::G1, g1);
    r.traversals += g1.checks;
    r.metric("yields", static_cast<double>(yields));
    r.metric("mutations", static_cast<double>(mutations));
}

// Go's runtime detects a range racing a write only when it happens to see the map's
// "writing" flag: each trial is a fresh process that ranges while another goroutine
// writes, and the figure is the share of trials the runtime ended with that message.
void measure_race_detection(const out_of_process_peer& peer, const scenario_config& cfg, scenario_result& r) {
    constexpr int trials = 10;
    int detected = 0, other_death = 0;
    for (int t = 0; t < trials; ++t) {
        peer_spec spec;
        spec.map = peer.map;
        spec.mode = "race";
        spec.seed = cfg.seed * 131 + static_cast<std::uint64_t>(t);
        spec.seconds = 0.02;
        const child_outcome out = run_child(peer.command, to_text(spec), 30);
        if (out.err.find("concurrent map iteration and map write") != std::string::npos)
            ++detected;
        else if (out.exit_code != 0 || out.signaled)
            ++other_death;
    }
    r.metric("race trials", trials);
    r.metric("race detected %", 100.0 * detected / trials);
    r.metric("race trials ending otherwise", other_death);
}

}  // namespace

adapter_entry out_of_process_entry(std::string name, std::string description, out_of_process_peer peer) {
    auto shared = std::make_shared<const out_of_process_peer>(std::move(peer));
    adapter_entry e{name, "peer", std::move(description), [name, shared] { return std::make_unique<described_map>(name, shared); }};
    e.external = shared;
    return e;
}

std::vector<scenario_result> run_out_of_process(const scenario& s, const adapter_entry& e, const scenario_config& cfg) {
    const out_of_process_peer& peer = *e.external;
    const unsigned threads = s.single_thread_count ? 1 : cfg.threads;
    if (!peer.missing.empty()) return {unsupported(s.name, e, threads, peer.missing)};
    if (!program_exists(peer.command.front()))
        return {unsupported(s.name, e, threads, "not installed: " + peer.command.front() + " is missing")};

    const auto t0 = std::chrono::steady_clock::now();
    scenario_result r = result_for(s.name, e, threads);
    peer_spec spec;
    spec.map = peer.map;
    spec.seed = cfg.seed;
    spec.seconds = cfg.seconds * out_of_process_time_share;
    spec.writers = cfg.threads;
    spec.item_work_ns = static_cast<std::uint64_t>(item_work_ns);
    const std::uint64_t budget = cfg.ops_per_thread ? cfg.ops_per_thread : out_of_process_ops_per_run / cfg.threads;
    // Traversals are paced over the run: fewer of them in the shorter run.
    spec.traversals = std::max<std::uint64_t>(2, static_cast<std::uint64_t>(static_cast<double>(cfg.max_traversals) * out_of_process_time_share));
    spec.ops_per_writer = budget;
    const std::size_t n = cfg.keys ? cfg.keys : 1024;
    const std::size_t half = n / 2;

    enum class analysis { none, stored_seen, stable_missed, rank_correlation } then = analysis::none;
    if (peer.iteration) {
        if (s.name != "go-map-iteration")
            return {unsupported(s.name, e, threads, "single-threaded map: G1 only")};
        spec.mode = "iteration";
        spec.writers = 0;
        spec.traversals = std::max<std::uint64_t>(spec.traversals, 10);
    } else if (s.name == "point-ops") {
        const std::size_t keys = cfg.keys ? cfg.keys : 256;
        spec.churn_hi = keys;
        spec.mix = spec_mix(op_mix::all_point_ops().restricted_to(peer.caps));
        r.variant = "uniform";
    } else if (s.name == "store-during-range") {
        spec.preload = half;
        spec.stable_hi = half;
        spec.stable_percent = 30;
        spec.churn_lo = half;
        spec.churn_hi = n;
        spec.mix = churn_mix(peer.caps, 4, 3);
        spec.rangers = 1;
        then = analysis::stored_seen;
    } else if (s.name == "churn-during-range") {
        spec.preload = n;
        spec.churn_lo = half;
        spec.churn_hi = n;
        spec.mix = churn_mix(peer.caps, 1, 1);
        spec.rangers = 1;
        then = analysis::stable_missed;
    } else if (s.name == "two-ranges") {
        spec.preload = n;
        spec.stable_hi = half;
        spec.stable_percent = 50;
        spec.churn_lo = half;
        spec.churn_hi = n;
        spec.mix = churn_mix(peer.caps, 1, 1);
        spec.rangers = 2;
        spec.traversals /= 2;
        then = analysis::rank_correlation;
    } else {
        return {unsupported(s.name, e, threads, "no out-of-process form of this scenario")};
    }

    try {
        const peer_history p = run_peer(peer, spec, cfg.seconds);
        if (peer.iteration) {
            check_iteration_log(p.iteration, r);
            if (peer.map == "go_map") measure_race_detection(peer, cfg, r);
        } else {
            check_history(p.h, r, cfg.skew);
            measure_writer_latency(p.h, r, 0, static_cast<std::uint16_t>(spec.writers));
            switch (then) {
                case analysis::stored_seen: measure_stored_seen(p.h, half, n, cfg.skew, r); break;
                case analysis::stable_missed:
                    measure_stable_missed(p.h, half, r);
                    measure_duplicates(p.h, r);
                    break;
                case analysis::rank_correlation:
                    measure_rank_correlation(p.h, static_cast<std::uint16_t>(spec.writers), r);
                    break;
                case analysis::none: break;
            }
        }
    } catch (const std::exception& ex) {
        // A peer that fails is reported, never replaced by figures: the run has no checks.
        std::fprintf(stderr, "syncmap-lab: %s\n", ex.what());
        r.note = std::string("peer run failed: ") + ex.what();
    }
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return {std::move(r)};
}

}  // namespace syncmap::lab
