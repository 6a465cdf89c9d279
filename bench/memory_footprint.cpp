// bench/memory_footprint.cpp - syncmap-memory: bytes per entry of 1M uint64 -> uint64, and of
// 1M std::string (21 characters) -> uint64, in sync_map and its peers, as the C library's
// allocator counts them, with the verdicts of the engine issue's memory targets.
//
// Method: for each map, read mallinfo2() before building it and again after storing the
// 1M keys of peers.hpp (and, for the RCU-based maps, after waiting until everything they
// retired while growing has been freed). In use = uordblks (bytes in chunks handed out from
// the heap arenas, chunk headers and rounding included) + hblkhd (bytes in chunks the
// allocator mmapped directly: large arrays such as directories and bucket arrays).
// Every thread's arena is counted (mallinfo2 sums them all). For string keys the figure
// includes each map's copy of every key (a 32-byte heap chunk for 21 characters).
//
// TBB is measured with std::allocator: its default allocator uses tbbmalloc when present,
// which mallinfo2 cannot see. Everything else uses its map's default allocator.
#include <malloc.h>

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include <syncmap/detail/rcu.hpp>  // rcu_barrier(), to let retired memory go before measuring
#include <syncmap/sync_map.hpp>

#include "peers.hpp"

namespace syncmap_bench {
namespace {

using sync_map_type = syncmap::sync_map<std::uint64_t, std::uint64_t>;
using sync_map_nodes_type = syncmap::sync_map<std::uint64_t, std::uint64_t, syncmap::hash<std::uint64_t>,
                                              std::equal_to<std::uint64_t>, syncmap::storage::nodes>;
using sync_map_string_type = syncmap::sync_map<std::string, std::uint64_t>;

template <class Key>
using tbb_std_allocator = basic_tbb_map<Key, std::allocator<std::pair<const Key, std::uint64_t>>>;

// The engine issue's memory targets.
constexpr double max_bytes_per_entry = 32.0;       // sync_map, uint64 -> uint64
constexpr double max_string_ratio_to_boost = 1.2;  // sync_map / boost flat, std::string -> uint64

std::size_t heap_in_use() {
    const struct mallinfo2 info = mallinfo2();
    return info.uordblks + info.hblkhd;
}

// Lets the RCU-based maps free what they retired; no-op for the others.
void settle() {
    syncmap::detail::rcu_barrier();
    lfht_map::barrier();
}

struct footprint {
    std::size_t bytes;
    std::size_t entries;
};

// Stores the preloaded keys of the map's key type (preload() in peers.hpp).
template <class Map>
footprint measure() {
    settle();
    const std::size_t before = heap_in_use();
    auto map = std::make_unique<Map>();
    preload(*map);
    settle();
    const std::size_t after = heap_in_use();
    return {after - before, map->size()};
}

double per_entry(footprint f) { return static_cast<double>(f.bytes) / static_cast<double>(f.entries); }

void print_row(const char* name, const char* how, footprint f, double reference) {
    std::printf("%-42s %10.1f MB %12.1f %14.2fx\n", (std::string(name) + how).c_str(),
                static_cast<double>(f.bytes) / 1e6, per_entry(f), per_entry(f) / reference);
}

void print_verdict(const char* what, double value, double bound, const char* unit) {
    std::printf("  [%s] %s: %.2f%s (target <= %.2f%s)\n", value <= bound ? "met   " : "MISSED", what, value, unit,
                bound, unit);
}

// A sync_map's shape at 1M entries and what the measured footprint comes to per slot, from
// its public debug_structure() only, so that this keeps compiling while the engine's slot,
// leaf and node layouts change.
template <class Map>
void print_structure(const char* name, footprint f) {
    // Rebuilt here (not kept from measure()) so the figures come from a map built the same way.
    Map map;
    preload(map);
    const typename Map::structure_info s = map.debug_structure();
    const double slots = static_cast<double>(s.slots);
    std::printf("\n%s structure: %zu leaves, %zu slots for %zu entries (%.1f%% full), directory of 2^%u\n", name,
                s.leaves, s.slots, s.entries, 100.0 * static_cast<double>(s.entries) / slots, s.global_depth);
    std::printf("  measured footprint per slot: %.1f bytes; per leaf: %.0f bytes\n",
                static_cast<double>(f.bytes) / slots, static_cast<double>(f.bytes) / static_cast<double>(s.leaves));
}

}  // namespace
}  // namespace syncmap_bench

int main() {
    using namespace syncmap_bench;
    string_keys();  // the key vectors (both key types) are allocated before any baseline is read
    {
        // Start the RCU reclaimer, liburcu's threads (cds_lfht) and this thread's
        // registrations outside the measurements.
        sync_map_type warm;
        warm.store(1, 1);
        lfht_map warm_lfht(1);
        warm_lfht.store(1, 1);
    }
    settle();

    const footprint ours = measure<sync_map_type>();
    const double ours_per_entry = per_entry(ours);
    const footprint nodes = measure<sync_map_nodes_type>();

    std::printf("Heap in use after storing %zu uint64 -> uint64 entries (mallinfo2 uordblks + hblkhd)\n\n",
                key_count);
    std::printf("%-42s %13s %12s %15s\n", "map", "total", "bytes/entry", "vs sync_map");
    print_row("sync_map", "", ours, ours_per_entry);
    print_row("sync_map", " (storage::nodes forced)", nodes, ours_per_entry);
    print_row("std::unordered_map", " (+ shared_mutex)", measure<locked_std>(), ours_per_entry);
    print_row("boost::unordered_flat_map", "", measure<boost_flat>(), ours_per_entry);
    print_row("libcuckoo::cuckoohash_map", "", measure<cuckoo_map>(), ours_per_entry);
    print_row("tbb::concurrent_hash_map", " (std::allocator)", measure<tbb_std_allocator<std::uint64_t>>(),
              ours_per_entry);
    print_row("cds_lfht", "", measure<lfht_map>(), ours_per_entry);

    const footprint ours_string = measure<sync_map_string_type>();
    const footprint boost_string = measure<basic_boost_flat<std::string>>();
    const double ours_string_per_entry = per_entry(ours_string);
    std::printf("\nHeap in use after storing %zu std::string (21 characters) -> uint64 entries, keys' own heap "
                "blocks included\n\n",
                key_count);
    std::printf("%-42s %13s %12s %15s\n", "map", "total", "bytes/entry", "vs sync_map");
    print_row("sync_map", "", ours_string, ours_string_per_entry);
    print_row("std::unordered_map", " (+ shared_mutex)", measure<basic_locked_std<std::string>>(),
              ours_string_per_entry);
    print_row("boost::unordered_flat_map", "", boost_string, ours_string_per_entry);
    print_row("libcuckoo::cuckoohash_map", "", measure<basic_cuckoo_map<std::string>>(), ours_string_per_entry);
    print_row("tbb::concurrent_hash_map", " (std::allocator)", measure<tbb_std_allocator<std::string>>(),
              ours_string_per_entry);

    std::printf("\nTargets\n");
    print_verdict("uint64 -> uint64: sync_map bytes per entry", ours_per_entry, max_bytes_per_entry, " B");
    print_verdict("std::string -> uint64: sync_map / boost::unordered_flat_map bytes", ours_string_per_entry /
                  per_entry(boost_string), max_string_ratio_to_boost, "x");
    std::printf("  [info  ] uint64 -> uint64 with storage::nodes forced: %.1f B per entry\n", per_entry(nodes));
    print_structure<sync_map_type>("sync_map", ours);
    print_structure<sync_map_nodes_type>("sync_map (storage::nodes forced)", nodes);
    settle();
    return 0;
}
