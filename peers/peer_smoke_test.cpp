// peer_smoke_test NAME: runs one tiny scenario on the peer NAME through the same path as
// syncmap-lab (point-ops for concurrent maps, go-map-iteration for a single-thread one)
// and fails unless the peer ran, its history parsed and passed the checks: L1 (or G1)
// with at least one check and no violation. Exits 77 (CTest's SKIP_RETURN_CODE) when the
// peer's runtime is not installed, saying so.
#include <algorithm>
#include <cstdio>
#include <string>

#include "../lab/scenarios/out_of_process.hpp"
#include "peers.hpp"

int main(int argc, char** argv) {
    using namespace syncmap::lab;
    if (argc != 2) {
        std::fprintf(stderr, "usage: peer_smoke_test PEER\n");
        return 2;
    }
    const std::string name = argv[1];
    const auto all = peers::installed();
    const auto e = std::find_if(all.begin(), all.end(), [&](const adapter_entry& a) { return a.name == name; });
    if (e == all.end()) {
        std::fprintf(stderr, "no peer named %s\n", name.c_str());
        return 2;
    }
    const bool single = !e->make()->caps().concurrent;
    const std::string scenario_name = single ? "go-map-iteration" : "point-ops";
    const auto& list = all_scenarios();
    const auto s = std::find_if(list.begin(), list.end(), [&](const scenario& x) { return x.name == scenario_name; });
    scenario_config cfg;
    cfg.threads = 2;
    cfg.seconds = 0.1;
    cfg.ops_per_thread = 2000;
    cfg.max_traversals = 20;
    const auto results = e->external ? run_out_of_process(*s, *e, cfg) : s->run(*e, cfg);
    const scenario_result& r = results.front();
    if (!r.supported && r.note.rfind("not installed", 0) == 0) {
        std::printf("%s: %s\n", name.c_str(), r.note.c_str());
        return 77;
    }
    const clause c = single ? clause::G1 : clause::L1;
    const auto& t = r.clauses[static_cast<std::size_t>(c)];
    if (!r.supported || !t || t->checks == 0) {
        std::fprintf(stderr, "%s: no %s check ran (%s)\n", name.c_str(), std::string(to_string(c)).c_str(), r.note.c_str());
        return 1;
    }
    std::printf("%s: %s %llu / %llu, %llu operations\n", name.c_str(), std::string(to_string(c)).c_str(),
                static_cast<unsigned long long>(t->violations), static_cast<unsigned long long>(t->checks),
                static_cast<unsigned long long>(r.ops));
    for (const auto& ex : t->examples) std::fprintf(stderr, "  %s\n", ex.c_str());
    return t->violations == 0 ? 0 : 1;
}
