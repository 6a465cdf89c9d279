// lab/scenarios/out_of_process.hpp - scenarios run by a peer map in another runtime.
//
// Such a peer cannot sit behind map_adapter: the lab cannot call sync.Map or
// ConcurrentHashMap from its own threads. Instead each scenario that has an
// out-of-process form becomes a peer_spec (lab/core/peer_protocol.hpp) with the same key
// layout and operation mix as the in-process scenario, the peer program runs it and
// returns its history, and the lab judges that history with the same checkers and the
// same figures (pitfall_measures.hpp). A scenario with no such form is reported as not
// supported, with the reason; a peer whose runtime is missing is reported as not
// installed, and nothing runs.
#pragma once

#include <array>
#include <string>
#include <vector>

#include "scenario.hpp"

namespace syncmap::lab {

struct out_of_process_peer {
    std::vector<std::string> command;  // argv of the peer program; the spec goes to stdin
    std::string map;                   // the spec's `map` line
    std::string missing;               // non-empty: "not installed: ..." (nothing is run)
    std::string version;               // e.g. "go1.19.8"; filled when first asked
    capabilities caps;                 // ops the map performs atomically; range; ...
    std::array<promise, clause_count> promises{};
    bool iteration = false;            // single-thread map: go-map-iteration only (G1)
};

// An adapter_entry for `peer`: make() returns an adapter that answers name, caps and
// promises, and refuses every operation.
adapter_entry out_of_process_entry(std::string name, std::string description, out_of_process_peer peer);

// Runs scenario `s` on the out-of-process peer `e` (e.external is set).
std::vector<scenario_result> run_out_of_process(const scenario& s, const adapter_entry& e, const scenario_config& cfg);

// Operations per run an out-of-process peer's writers perform in total (the in-process
// scenarios use 300 000): a history travels as text and is parsed, so it is kept smaller.
inline constexpr std::uint64_t out_of_process_ops_per_run = 40000;
// Share of --seconds (and of --traversals) an out-of-process run gets: each run also pays
// for starting a runtime, and the default `make lab` stays within its time budget.
inline constexpr double out_of_process_time_share = 0.5;

}  // namespace syncmap::lab
