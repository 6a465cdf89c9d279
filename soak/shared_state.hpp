// What every soak thread shares: the two maps under test, the owners' models, the pause
// and clear protocol, the counters the sampler reads, and the failure record.
//
// Ownership (what makes exact checking possible): key k of a map is written only by owner
// slot k % writers, which keeps a model of it: the sequence number of the value the key
// holds, or 0 if absent (value_codec.hpp). Every operation's result is then predictable
// exactly. A slot outlives its threads: when the thread running it exits, the next one
// inherits its model (and its held snapshots) through join().
//
// Pinned keys (local index % 8 == 0) are never deleted by their owner, so between two
// clears they are present throughout: every full traversal and every snapshot must hold
// them (W1, S1). clear_epoch tells observers whether a clear came between.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <syncmap/sync_map.hpp>

#include "failure.hpp"
#include "options.hpp"
#include "writer_pause.hpp"

namespace syncmap::soak {

using inline_map = syncmap::sync_map<std::uint64_t, std::uint64_t>;
using string_map = syncmap::sync_map<std::uint64_t, std::string>;
static_assert(inline_map::inline_storage, "the uint64 map must store its entries inline");
static_assert(!string_map::inline_storage, "the std::string map must store its entries in nodes");

// A snapshot an owner holds, with its model of its own keys at the instant it was taken.
template <class Map>
struct held_snapshot {
    std::optional<typename Map::snapshot_type> snap;
    std::vector<std::uint64_t> model;
    double taken_at = 0;        // seconds since the start
    std::uint64_t ops_left = 0; // short snapshots: operations until it is checked and dropped
};

// One owner slot's view of one map.
template <class Map>
struct owner_lane {
    Map* map = nullptr;
    std::uint64_t keys = 0;           // the map's key space [0, keys)
    std::vector<std::uint64_t> model; // model[i]: sequence number held by key slot + i * writers, 0 if absent
    held_snapshot<Map> long_held;     // slot 0 only
    held_snapshot<Map> short_held;
    const char* name = "";
};

struct owner_state {
    unsigned slot = 0;
    std::uint64_t next_seq = 1;  // sequence numbers of this slot's values: never 0, never reused
    owner_lane<inline_map> ints;
    owner_lane<string_map> strings;
    std::mt19937_64 rng;
    double next_long_check = 0;
};

// Relaxed counters: the sampler reads them once per sample for rates.
struct soak_counters {
    std::atomic<std::uint64_t> writer_ops{0};
    std::atomic<std::uint64_t> reader_ops{0};
    std::atomic<std::uint64_t> traversal_entries{0};
    std::atomic<std::uint64_t> passes{0};          // full ranges and scan passes over the live maps
    std::atomic<std::uint64_t> snapshots{0};       // snapshots taken
    std::atomic<std::uint64_t> snapshot_checks{0}; // snapshots compared with a model or themselves
    std::atomic<std::uint64_t> threads_started{0};
    std::atomic<std::uint64_t> clears{0};
};

struct soak_shared {
    explicit soak_shared(const options& o)
        : opts(o), ints(o.seed ^ 0x5eed1), strings(o.seed ^ 0x5eed2), start(std::chrono::steady_clock::now()) {}

    const options& opts;
    inline_map ints;
    string_map strings;
    failure_record failure;
    std::atomic<bool> stop{false};
    writer_pause pause;
    // Even between clears; odd from just before a clear until the pinned keys are back.
    // seq_cst: observers read it before and after a pass, around the map's own atomics.
    std::atomic<std::uint64_t> clear_epoch{0};
    soak_counters counters;
    std::vector<owner_state> owners;

    double now() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
    bool running() const { return !stop.load(std::memory_order_relaxed) && !failure.failed(); }
    unsigned writers() const { return opts.writers; }
    unsigned owner_of(std::uint64_t key) const { return static_cast<unsigned>(key % opts.writers); }
    std::size_t local_index(std::uint64_t key) const { return static_cast<std::size_t>(key / opts.writers); }
    bool pinned(std::uint64_t key) const { return local_index(key) % 8 == 0; }

    std::chrono::steady_clock::time_point start;
};

inline owner_lane<inline_map>& lane_of(owner_state& o, inline_map*) { return o.ints; }
inline owner_lane<string_map>& lane_of(owner_state& o, string_map*) { return o.strings; }

}  // namespace syncmap::soak
