// Owner slots: every write operation of sync_map on the slot's own keys, each result
// checked exactly against the slot's model (shared_state.hpp), and snapshots checked
// against the model as it was when they were taken.
#include <cstdio>
#include <string>

#include "pass_audit.hpp"
#include "roles.hpp"
#include "value_codec.hpp"

namespace syncmap::soak {

namespace {

using ull = unsigned long long;

// One in this many operations takes a short snapshot (when none is held); it is held for
// up to short_snapshot_max_ops more operations, then checked and dropped.
constexpr std::uint64_t short_snapshot_odds = 16384;
constexpr std::uint64_t short_snapshot_max_ops = 4096;
constexpr double long_snapshot_check_period = 1.0;  // seconds between checks of the long-held one

template <class Map>
class owner_ops {
public:
    using V = typename Map::mapped_type;
    using codec = value_codec<V>;

    owner_ops(soak_shared& sh, owner_state& o, owner_lane<Map>& lane) : sh_(sh), o_(o), lane_(lane) {}

    // One random operation on one random key of the slot, checked against the model.
    void one() {
        const std::size_t i = o_.rng() % lane_.model.size();
        const std::uint64_t key = o_.slot + i * sh_.writers();
        std::uint64_t& cur = lane_.model[i];
        const bool pin = i % 8 == 0;  // never deleted by its owner (shared_state.hpp)
        Map& m = *lane_.map;
        switch (o_.rng() % 9) {
        case 0: {
            expect_value("load", key, m.load(key), cur);
            break;
        }
        case 1: {
            const std::uint64_t s = o_.next_seq++;
            m.store(key, codec::encode(key, s));
            cur = s;
            break;
        }
        case 2: {
            const std::uint64_t s = o_.next_seq++;
            auto [v, loaded] = m.load_or_store(key, codec::encode(key, s));
            const std::uint64_t want = cur != 0 ? cur : s;
            if (loaded != (cur != 0) || codec::decode(key, v) != want)
                mismatch("load_or_store", key, cur, "returned (" + codec::show(v) + ", " + (loaded ? "true" : "false") + ")");
            cur = want;
            break;
        }
        case 3: {
            if (pin) {  // exchange instead: a pinned key stays
                exchange(m, key, cur);
                break;
            }
            expect_value("load_and_delete", key, m.load_and_delete(key), cur);
            cur = 0;
            break;
        }
        case 4: {
            if (pin) {
                if (!m.contains(key)) mismatch("contains", key, cur, "returned false");
                break;
            }
            if (m.erase(key) != (cur != 0)) mismatch("erase", key, cur, cur != 0 ? "returned false" : "returned true");
            cur = 0;
            break;
        }
        case 5:
            exchange(m, key, cur);
            break;
        case 6: {
            // A right expectation half the time; otherwise a value this key has not held
            // (its sequence numbers only grow), so the call must change nothing.
            const bool right = cur != 0 && (o_.rng() & 1) != 0;
            const V expected = codec::encode(key, right ? cur : cur + 1);
            const std::uint64_t s = o_.next_seq++;
            if (m.compare_and_swap(key, expected, codec::encode(key, s)) != right)
                mismatch("compare_and_swap", key, cur, right ? "failed with the right expectation" : "succeeded with a wrong expectation");
            if (right) cur = s;
            break;
        }
        case 7: {
            const bool right = cur != 0 && !pin && (o_.rng() & 1) != 0;
            const V expected = codec::encode(key, right ? cur : cur + 1);
            if (m.compare_and_delete(key, expected) != right)
                mismatch("compare_and_delete", key, cur, right ? "failed with the right expectation" : "succeeded with a wrong expectation");
            if (right) cur = 0;
            break;
        }
        default: {
            std::uint64_t seen = 0;
            int calls = 0;
            const bool present = m.visit(key, [&](const V& v) {
                seen = codec::decode(key, v);
                ++calls;
            });
            if (present != (cur != 0) || calls != (present ? 1 : 0) || seen != cur)
                mismatch("visit", key, cur, present ? "saw sequence " + std::to_string(seen) : "found nothing");
            break;
        }
        }
        short_snapshot_step();
    }

    // Slot 0: keeps one snapshot of this map alive for long_snapshot_every seconds, checks it
    // every second, and replaces it when it is due.
    void long_snapshot_step(bool check_now) {
        held_snapshot<Map>& h = lane_.long_held;
        const double now = sh_.now();
        if (h.snap && now - h.taken_at < sh_.opts.long_snapshot_every) {
            if (check_now) check(h, "long-held snapshot");
            return;
        }
        if (h.snap) {
            check(h, "long-held snapshot (before its replacement)");
            h.snap.reset();
        }
        take(h);
    }

private:
    void exchange(Map& m, std::uint64_t key, std::uint64_t& cur) {
        const std::uint64_t s = o_.next_seq++;
        expect_value("exchange", key, m.exchange(key, codec::encode(key, s)), cur);
        cur = s;
    }

    void short_snapshot_step() {
        held_snapshot<Map>& h = lane_.short_held;
        if (h.snap) {
            if (--h.ops_left == 0) {
                check(h, "short snapshot");
                h.snap.reset();
            }
        } else if (o_.rng() % short_snapshot_odds == 0) {
            take(h);
            h.ops_left = 1 + o_.rng() % short_snapshot_max_ops;
        }
    }

    void take(held_snapshot<Map>& h) {
        h.snap.emplace(lane_.map->snapshot());
        h.model = lane_.model;  // assign: reuses the buffer
        h.taken_at = sh_.now();
        sh_.counters.snapshots.fetch_add(1, std::memory_order_relaxed);
    }

    // A snapshot an owner took holds exactly the owner's model of that instant for the
    // owner's keys (S1), every pinned key (an owner is never parked when it takes one, so
    // no clear was under way), valid values, no key twice, and agrees with its own
    // size() and point loads (S2).
    void check(const held_snapshot<Map>& h, const char* which) {
        const auto& snap = *h.snap;
        const walk_method method = walk_methods[o_.rng() % std::size(walk_methods)];
        char what[160];
        std::snprintf(what, sizeof what, "owner %u, %s of the %s map taken at %.1f s, walked by %s", o_.slot, which,
                      lane_.name, h.taken_at, name_of(method));
        pass_audit<Map> audit(sh_, lane_.keys, scratch_, what);
        walk_snapshot(snap, method, o_.rng, [&](std::uint64_t k, const V& v) { audit.add(k, v); });
        audit.require_pinned();
        audit.require_model(o_.slot, h.model);
        if (snap.size() != audit.count())
            sh_.failure.fail("%s: size() is %zu, the walk yielded %zu", what, snap.size(), audit.count());
        for (int n = 0; n < 64; ++n) {
            const std::size_t i = o_.rng() % h.model.size();
            const std::uint64_t key = o_.slot + i * sh_.writers();
            const std::optional<V> got = snap.load(key);
            const std::uint64_t seq = got ? codec::decode(key, *got) : 0;
            if (seq != h.model[i] || (got && seq == 0)) {
                sh_.failure.fail("%s: load(%llu) gave sequence %llu, the model at snapshot time says %llu", what,
                                 ull(key), ull(seq), ull(h.model[i]));
                break;
            }
        }
        sh_.counters.snapshot_checks.fetch_add(1, std::memory_order_relaxed);
    }

    void expect_value(const char* op, std::uint64_t key, const std::optional<V>& got, std::uint64_t cur) {
        if (!got) {
            if (cur != 0) mismatch(op, key, cur, "returned nothing");
            return;
        }
        if (codec::decode(key, *got) != cur || cur == 0) mismatch(op, key, cur, "returned " + codec::show(*got));
    }

    void mismatch(const char* op, std::uint64_t key, std::uint64_t cur, const std::string& what) {
        const std::string model = cur != 0 ? codec::show(codec::encode(key, cur)) + " (sequence " + std::to_string(cur) + ")"
                                           : std::string("absent");
        sh_.failure.fail("owner %u, %s map: %s(key %llu) %s; the model says the key holds %s", o_.slot, lane_.name, op,
                         ull(key), what.c_str(), model.c_str());
    }

    soak_shared& sh_;
    owner_state& o_;
    owner_lane<Map>& lane_;
    std::vector<std::uint64_t> scratch_;
};

}  // namespace

void run_owner(soak_shared& sh, owner_state& o, double until) {
    owner_ops<inline_map> ints(sh, o, o.ints);
    owner_ops<string_map> strings(sh, o, o.strings);
    while (sh.running() && sh.now() < until) {
        sh.pause.checkpoint();
        constexpr unsigned batch = 256;
        for (unsigned n = 0; n < batch && !sh.failure.failed(); ++n) {
            // Three in four operations on the uint64 map, one on the std::string map.
            if (o.rng() % 4 != 0) {
                ints.one();
            } else {
                strings.one();
            }
        }
        sh.counters.writer_ops.fetch_add(batch, std::memory_order_relaxed);
        if (o.slot == 0) {
            const double now = sh.now();
            const bool check_now = now >= o.next_long_check;
            if (check_now) o.next_long_check = now + long_snapshot_check_period;
            ints.long_snapshot_step(check_now);
            strings.long_snapshot_step(check_now);
        }
    }
}

}  // namespace syncmap::soak
