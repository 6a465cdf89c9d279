// Scenario go-map-iteration: clause G1, exactly, on a single-threaded map iterated with its
// own iterators while the iterating thread mutates it (Go's `for k, v := range m { ... }`).
//
// Each pass starts from a map of a random shape (empty-ish, just below a leaf split, a few
// leaves, or up to 6000 entries; the map is sometimes fresh, sometimes the previous pass's)
// and, at each step, the callback may: insert a fresh key; insert a burst of 100-1000 keys
// (growth: the leaf being scanned splits, the directory doubles; three per pass at most); erase the current entry by
// key, or through the iterator; erase another entry (ahead or behind); assign a random entry
// or the current one (through the iterator); erase a key and insert it again; and, in one
// pass in five, clear the map once. Mutations stop after a budget proportional to the
// map's size (at most 8000), so that every pass ends. A model mirrors each mutation; iteration_checker.hpp
// checks every step and the end of every pass (one G1 check per pass).
#include <chrono>

#include "../core/iteration_checker.hpp"
#include "scenarios.hpp"

namespace syncmap::lab {

std::vector<scenario_result> run_go_map_iteration(const adapter_entry& e, const scenario_config& cfg) {
    const char* name = "go-map-iteration";
    {
        auto probe = e.make();
        if (!probe->caps().mutating_iteration)
            return {unsupported(name, e, 1,
                                probe->caps().concurrent ? "G1 is go_map's clause (iteration with mutation)"
                                                         : "no iteration with mutation")};
    }
    using clock = std::chrono::steady_clock;
    scenario_result r = result_for(name, e, 1);

    std::mt19937_64 rng(cfg.seed * 0x9e3779b97f4a7c15ULL + 7);
    const std::size_t passes = std::max<std::size_t>(cfg.max_traversals, 10);
    clause_tally g1;
    std::uint64_t yields = 0, mutations = 0, bursts = 0, cleared = 0, erased_current = 0, grown_passes = 0;
    key_type next_key = 1;
    value_type next_value = 1;
    auto fresh_value = [&] { return next_value++; };

    const auto t0 = clock::now();
    std::unique_ptr<map_adapter> map;
    iteration_model model;
    for (std::size_t p = 0; p < passes; ++p) {
        if (!map || model.size() > 12000 || rng() % 3 == 0) {  // a fresh map of a random shape
            map = e.make();
            model.clear();
            const unsigned shape = static_cast<unsigned>(rng() % 4);
            const std::size_t initial = shape == 0   ? rng() % 64
                                        : shape == 1 ? 700 + rng() % 196
                                        : shape == 2 ? 1500 + rng() % 300
                                                     : rng() % 6000;
            for (std::size_t i = 0; i < initial; ++i) {
                const key_type k = next_key++ * 0x9e3779b97f4a7c15ULL;
                const value_type v = fresh_value();
                map->store(k, v);
                model.store(k, v);
            }
        }
        auto insert_new = [&] {
            const key_type k = next_key++ * 0x9e3779b97f4a7c15ULL;
            const value_type v = fresh_value();
            map->store(k, v);
            model.store(k, v);
        };
        const std::string structure_before = map->structure();
        std::size_t budget = std::min<std::size_t>(4 * model.size() + 200, 8000);
        int bursts_left = 3;
        bool may_clear = rng() % 5 == 0;
        iteration_pass_check check(model);
        map->iterate([&](key_type k, value_type v) -> iteration_step {
            check.yielded(k, v, model);
            iteration_step step;
            if (budget == 0) return step;
            --budget;
            ++mutations;
            const unsigned op = static_cast<unsigned>(rng() % 1000);
            if (op < 200) {
                insert_new();
            } else if (op < 230 && bursts_left > 0) {
                --bursts_left;
                ++bursts;
                for (std::size_t i = 100 + rng() % 900; i > 0; --i) insert_new();
            } else if (op < 365) {
                if (model.find(k) != nullptr) {  // erase the current entry by key; the pass carries on
                    map->erase(k);
                    model.erase(k);
                    ++erased_current;
                }
            } else if (op < 465) {
                if (model.find(k) != nullptr) {  // erase it through the iterator, which moves on
                    step.then = iteration_step::then_do::erase_current;
                    model.erase(k);
                    ++erased_current;
                }
            } else if (op < 565) {
                if (model.size() > 0) {
                    const key_type other = model.key_at(rng());
                    map->erase(other);
                    model.erase(other);
                }
            } else if (op < 685) {
                if (model.size() > 0) {
                    const key_type other = model.key_at(rng());
                    const value_type nv = fresh_value();
                    map->store(other, nv);
                    model.store(other, nv);
                }
            } else if (op < 735) {
                if (model.find(k) != nullptr) {  // assign through the iterator
                    step.assign_current = fresh_value();
                    model.store(k, step.assign_current);
                }
            } else if (op < 785) {
                if (model.size() > 0) {  // erase and insert again: a new entry
                    const key_type other = model.key_at(rng());
                    map->erase(other);
                    model.erase(other);
                    const value_type nv = fresh_value();
                    map->store(other, nv);
                    model.store(other, nv);
                }
            } else if (op < 787 && may_clear) {
                may_clear = false;
                ++cleared;
                map->clear();
                model.clear();
            }
            return step;
        });
        check.finish(model, g1);
        yields += check.yields();
        if (map->structure() != structure_before) ++grown_passes;
    }
    map.reset();

    r.add(clause::G1, g1);
    r.traversals = passes;
    r.ops = mutations;
    r.metric("passes", static_cast<double>(passes));
    r.metric("yields", static_cast<double>(yields));
    r.metric("mutations during passes", static_cast<double>(mutations));
    r.metric("current entries erased", static_cast<double>(erased_current));
    r.metric("insert bursts", static_cast<double>(bursts));
    r.metric("passes with a clear", static_cast<double>(cleared));
    r.metric("passes across restructuring", static_cast<double>(grown_passes));
    r.seconds = std::chrono::duration<double>(clock::now() - t0).count();
    return {std::move(r)};
}

}  // namespace syncmap::lab
