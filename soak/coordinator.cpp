// The coordinator: with every owner parked (or gone), the live maps must equal the union
// of the owners' models exactly; then clear() both maps while observers keep reading,
// walking and snapshotting, and put the pinned keys back before the owners resume.
#include <string>

#include "pass_audit.hpp"
#include "roles.hpp"
#include "value_codec.hpp"

namespace syncmap::soak {

namespace {

using ull = unsigned long long;

template <class Map>
void compare_map(soak_shared& sh, Map& m, std::uint64_t keys, const char* name, const char* when) {
    std::vector<std::uint64_t> scratch;
    pass_audit<Map> audit(sh, keys, scratch, std::string("coordinator, ") + name + " map, " + when);
    m.range([&](const std::uint64_t& k, const typename Map::mapped_type& v) { audit.add(k, v); });
    std::size_t modelled = 0;
    for (owner_state& o : sh.owners) {
        const auto& lane = lane_of(o, &m);
        audit.require_model(o.slot, lane.model);
        for (std::uint64_t s : lane.model) modelled += s != 0;
    }
    if (audit.count() != modelled || m.size() != modelled)
        sh.failure.fail("coordinator, %s map, %s: range yielded %zu entries, size() says %zu, the models hold %zu", name,
                        when, audit.count(), m.size(), modelled);
}

template <class Map>
void clear_and_restore_pinned(soak_shared& sh, Map& m, const char* name) {
    m.clear();
    if (!m.empty()) sh.failure.fail("coordinator, %s map: size() is %zu right after clear()", name, m.size());
    for (owner_state& o : sh.owners) {
        auto& lane = lane_of(o, &m);
        for (std::size_t i = 0; i < lane.model.size(); ++i) {
            lane.model[i] = 0;
            if (i % 8 != 0) continue;
            const std::uint64_t key = o.slot + i * sh.writers();
            const std::uint64_t s = o.next_seq++;
            m.store(key, value_codec<typename Map::mapped_type>::encode(key, s));
            lane.model[i] = s;
        }
    }
}

template <class Map>
void make_lanes(soak_shared& sh, Map& m, std::uint64_t keys, const char* name) {
    for (owner_state& o : sh.owners) {
        auto& lane = lane_of(o, &m);
        lane.map = &m;
        lane.keys = keys;
        lane.name = name;
        lane.model.assign((keys - o.slot + sh.writers() - 1) / sh.writers(), 0);
    }
}

}  // namespace

void set_up_owners(soak_shared& sh) {
    sh.owners.resize(sh.writers());
    for (unsigned s = 0; s < sh.writers(); ++s) {
        sh.owners[s].slot = s;
        sh.owners[s].rng.seed(sh.opts.seed * 0x9e3779b97f4a7c15ULL + s + 1);
    }
    make_lanes(sh, sh.ints, sh.opts.keys, "uint64");
    make_lanes(sh, sh.strings, sh.opts.string_keys, "std::string");
    // The pinned keys, as after a clear.
    clear_and_restore_pinned(sh, sh.ints, "uint64");
    clear_and_restore_pinned(sh, sh.strings, "std::string");
}

void compare_with_models(soak_shared& sh, const char* when) {
    compare_map(sh, sh.ints, sh.opts.keys, "uint64", when);
    compare_map(sh, sh.strings, sh.opts.string_keys, "std::string", when);
}

void pause_compare_and_clear(soak_shared& sh) {
    if (!sh.pause.pause_all(sh.writers(), [&] { return sh.failure.failed(); })) return;
    compare_with_models(sh, "owners parked, before clear()");
    // odd: observers that straddle this stop expecting pinned keys (seq_cst, see shared_state.hpp).
    sh.clear_epoch.fetch_add(1, std::memory_order_seq_cst);
    clear_and_restore_pinned(sh, sh.ints, "uint64");
    clear_and_restore_pinned(sh, sh.strings, "std::string");
    sh.clear_epoch.fetch_add(1, std::memory_order_seq_cst);
    sh.counters.clears.fetch_add(1, std::memory_order_relaxed);
    sh.pause.resume();
}

}  // namespace syncmap::soak
