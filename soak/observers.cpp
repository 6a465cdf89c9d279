// Observers: threads that own no key. They check what holds whatever the owners do: values
// name their keys, no key twice in a pass, pinned keys present whenever no clear came
// between (clear_epoch, read before and after), and a snapshot agrees with itself.
#include <chrono>
#include <cstdio>
#include <stop_token>
#include <thread>
#include <utility>
#include <vector>

#include "pass_audit.hpp"
#include "roles.hpp"
#include "value_codec.hpp"

namespace syncmap::soak {

namespace {

using ull = unsigned long long;

// True if no clear began or ended between the two reads of clear_epoch.
bool no_clear_between(std::uint64_t before, std::uint64_t after) { return before == after && before % 2 == 0; }

void pause_briefly(std::mt19937_64& rng, unsigned max_us) {
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % (max_us + 1)));
}

template <class Map>
void read_some(soak_shared& sh, Map& m, std::uint64_t keys, const char* name, std::mt19937_64& rng) {
    using codec = value_codec<typename Map::mapped_type>;
    for (int n = 0; n < 256; ++n) {
        const std::uint64_t key = rng() % keys;
        const std::uint64_t before = sh.clear_epoch.load(std::memory_order_seq_cst);
        const auto got = m.load(key);
        if (got && codec::decode(key, *got) == 0) {
            sh.failure.fail("reader, %s map: load(%llu) returned %s, which no writer stored for it", name, ull(key),
                            codec::show(*got).c_str());
            return;
        }
        if (!got && sh.pinned(key) && no_clear_between(before, sh.clear_epoch.load(std::memory_order_seq_cst))) {
            sh.failure.fail("reader, %s map: load(%llu) found nothing, but the key is pinned and no clear ran", name,
                            ull(key));
            return;
        }
    }
}

enum class live_pass { range, stopped_range_then_scan, text_cursor_scan };

template <class Map>
void one_pass(soak_shared& sh, Map& m, std::uint64_t keys, const char* name, std::mt19937_64& rng,
              std::vector<std::uint64_t>& scratch) {
    using V = typename Map::mapped_type;
    const auto kind = static_cast<live_pass>(rng() % 3);
    static constexpr const char* kind_names[] = {"range", "range stopped by a stop_token, resumed by scan",
                                                 "scan pass with text cursors"};
    char what[160];
    std::snprintf(what, sizeof what, "traverser, %s map, %s", name, kind_names[static_cast<int>(kind)]);
    const std::uint64_t before = sh.clear_epoch.load(std::memory_order_seq_cst);
    pass_audit<Map> audit(sh, keys, scratch, what);
    auto add = [&](const std::uint64_t& k, const V& v) { audit.add(k, v); };
    // Resumes a pass with chunks of random size, the cursor saved as text between calls (C2).
    auto finish_with_scan = [&](syncmap::cursor c) {
        while (!c.done()) {
            c = syncmap::cursor::from_string(c.to_string());
            c = m.scan(c, 1 + rng() % 1024, add);
        }
    };
    switch (kind) {
    case live_pass::range:
        m.range(add);
        break;
    case live_pass::stopped_range_then_scan: {
        std::stop_source stop;
        const std::size_t stop_after = rng() % (keys / 2 + 1);
        std::size_t seen = 0;
        const syncmap::cursor c = m.range(
            [&](const std::uint64_t& k, const V& v) {
                add(k, v);
                if (++seen == stop_after) stop.request_stop();
            },
            stop.get_token());
        finish_with_scan(c);
        break;
    }
    case live_pass::text_cursor_scan:
        finish_with_scan(syncmap::cursor());
        break;
    }
    if (no_clear_between(before, sh.clear_epoch.load(std::memory_order_seq_cst))) audit.require_pinned();
    sh.counters.traversal_entries.fetch_add(audit.count(), std::memory_order_relaxed);
    sh.counters.passes.fetch_add(1, std::memory_order_relaxed);
}

template <class Map>
void one_snapshot(soak_shared& sh, Map& m, std::uint64_t keys, const char* name, std::mt19937_64& rng,
                  std::vector<std::uint64_t>& scratch) {
    using V = typename Map::mapped_type;
    using codec = value_codec<V>;
    const std::uint64_t before = sh.clear_epoch.load(std::memory_order_seq_cst);
    const auto snap = m.snapshot();
    const bool stable = no_clear_between(before, sh.clear_epoch.load(std::memory_order_seq_cst));
    sh.counters.snapshots.fetch_add(1, std::memory_order_relaxed);
    pause_briefly(rng, 20000);  // let the owners write while it lives: the snapshot must not move

    // Two walks by two different methods: the same entries in the same order (S4).
    const walk_method first = walk_methods[rng() % std::size(walk_methods)];
    const walk_method second = walk_methods[(static_cast<std::size_t>(first) + 1 + rng() % 2) % std::size(walk_methods)];
    std::vector<std::pair<std::uint64_t, std::uint64_t>> walked[2];
    char what[160];
    for (int w = 0; w < 2; ++w) {
        std::snprintf(what, sizeof what, "snapshotter, snapshot of the %s map, walked by %s", name,
                      name_of(w == 0 ? first : second));
        pass_audit<Map> audit(sh, keys, scratch, what);
        walk_snapshot(snap, w == 0 ? first : second, rng, [&](std::uint64_t k, const V& v) {
            audit.add(k, v);
            walked[w].emplace_back(k, codec::decode(k, v));
        });
        if (stable) audit.require_pinned();
        if (w == 1) {
            // scratch now holds the second walk: point loads must agree with it (S2).
            for (int n = 0; n < 256; ++n) {
                const std::uint64_t key = rng() % keys;
                const auto got = snap.load(key);
                const std::uint64_t seq = got ? codec::decode(key, *got) : 0;
                if (seq != audit.seq_of(key) || (got && seq == 0)) {
                    sh.failure.fail("%s: load(%llu) gave sequence %llu, the walk yielded %llu (0 = absent)", what,
                                    ull(key), ull(seq), ull(audit.seq_of(key)));
                    break;
                }
            }
        }
    }
    if (walked[0] != walked[1]) {
        std::size_t i = 0;
        while (i < walked[0].size() && i < walked[1].size() && walked[0][i] == walked[1][i]) ++i;
        sh.failure.fail("snapshotter, %s map: %s and %s of one snapshot differ at entry %zu (of %zu and %zu)", name,
                        name_of(first), name_of(second), i, walked[0].size(), walked[1].size());
    } else if (snap.size() != walked[0].size()) {
        sh.failure.fail("snapshotter, %s map: size() is %zu, the walks yielded %zu", name, snap.size(),
                        walked[0].size());
    }
    sh.counters.snapshot_checks.fetch_add(1, std::memory_order_relaxed);
}

}  // namespace

void run_reader(soak_shared& sh, std::mt19937_64& rng, double until) {
    while (sh.running() && sh.now() < until) {
        if (rng() % 4 != 0) {
            read_some(sh, sh.ints, sh.opts.keys, "uint64", rng);
        } else {
            read_some(sh, sh.strings, sh.opts.string_keys, "std::string", rng);
        }
        sh.counters.reader_ops.fetch_add(256, std::memory_order_relaxed);
    }
}

void run_traverser(soak_shared& sh, std::mt19937_64& rng, double until) {
    std::vector<std::uint64_t> scratch;
    while (sh.running() && sh.now() < until) {
        if (rng() % 4 != 0) {
            one_pass(sh, sh.ints, sh.opts.keys, "uint64", rng, scratch);
        } else {
            one_pass(sh, sh.strings, sh.opts.string_keys, "std::string", rng, scratch);
        }
        pause_briefly(rng, 5000);
    }
}

void run_snapshotter(soak_shared& sh, std::mt19937_64& rng, double until) {
    std::vector<std::uint64_t> scratch;
    while (sh.running() && sh.now() < until) {
        if (rng() % 4 != 0) {
            one_snapshot(sh, sh.ints, sh.opts.keys, "uint64", rng, scratch);
        } else {
            one_snapshot(sh, sh.strings, sh.opts.string_keys, "std::string", rng, scratch);
        }
        pause_briefly(rng, 20000);
    }
}

}  // namespace syncmap::soak
