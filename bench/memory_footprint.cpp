// bench/memory_footprint.cpp - syncmap-memory: bytes per entry of 1M uint64 -> uint64 in
// sync_map and its peers, as the C library's allocator counts them.
//
// Method: for each map, read mallinfo2() before building it and again after storing the
// 1M keys of peers.hpp (and, for the RCU-based maps, after waiting until everything they
// retired while growing has been freed). In use = uordblks (bytes in chunks handed out from
// the heap arenas, chunk headers and rounding included) + hblkhd (bytes in chunks the
// allocator mmapped directly: large arrays such as directories and bucket arrays).
// Every thread's arena is counted (mallinfo2 sums them all).
//
// TBB is measured with std::allocator: its default allocator uses tbbmalloc when present,
// which mallinfo2 cannot see. Everything else uses its map's default allocator.
#include <malloc.h>

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include <syncmap/detail/rcu.hpp>
#include <syncmap/sync_map.hpp>

#include "peers.hpp"

namespace syncmap_bench {
namespace {

using sync_map_type = syncmap::sync_map<std::uint64_t, std::uint64_t>;

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

template <class Map, class Store>
footprint measure(Store&& store) {
    settle();
    const std::size_t before = heap_in_use();
    auto map = std::make_unique<Map>();
    for (std::uint64_t k : shared_keys().keys) store(*map, k, value_of(k));
    settle();
    const std::size_t after = heap_in_use();
    return {after - before, map->size()};
}

void print_row(const char* name, const char* how, footprint f, double reference) {
    const double per_entry = static_cast<double>(f.bytes) / static_cast<double>(f.entries);
    std::printf("%-42s %10.1f MB %12.1f %14.2fx\n", (std::string(name) + how).c_str(),
                static_cast<double>(f.bytes) / 1e6, per_entry, per_entry / reference);
}

// sync_map's own accounting of where its bytes go, from its structure.
void print_sync_map_breakdown(footprint f) {
    // Rebuilt here (not kept from measure()) so the figures come from a map built the same way.
    sync_map_type map;
    for (std::uint64_t k : shared_keys().keys) map.store(k, value_of(k));
    const sync_map_type::structure_info s = map.debug_structure();
    const std::size_t slot_bytes = s.slots * (sizeof(void*) + 1);  // pointer + control byte
    const std::size_t leaf_headers = s.leaves * syncmap::detail::leaf::bytes_for(0);
    const std::size_t directory = (std::size_t{1} << s.global_depth) * sizeof(void*);
    const std::size_t nodes = f.bytes - slot_bytes - leaf_headers - directory;
    const double n = static_cast<double>(s.entries);
    std::printf("\nsync_map structure: %zu leaves, %zu slots for %zu entries (%.1f%% full), directory of 2^%u\n",
                s.leaves, s.slots, s.entries, 100.0 * n / static_cast<double>(s.slots), s.global_depth);
    std::printf("  slots (8-byte pointer + control byte): %6.1f bytes/entry\n", static_cast<double>(slot_bytes) / n);
    std::printf("  leaf headers:                          %6.1f bytes/entry\n", static_cast<double>(leaf_headers) / n);
    std::printf("  directory:                             %6.1f bytes/entry\n", static_cast<double>(directory) / n);
    std::printf("  nodes and allocator overhead (rest):   %6.1f bytes/entry (node object %zu bytes)\n",
                static_cast<double>(nodes) / n, sizeof(syncmap::detail::node<std::uint64_t, std::uint64_t>));
}

}  // namespace
}  // namespace syncmap_bench

int main() {
    using namespace syncmap_bench;
    shared_keys();  // the key vectors are allocated before any baseline is read
    {
        // Start liburcu's threads and this thread's registrations outside the measurements.
        sync_map_type warm;
        warm.store(1, 1);
        lfht_map warm_lfht(1);
        warm_lfht.store(1, 1);
    }
    settle();

    const auto store = [](auto& m, std::uint64_t k, std::uint64_t v) { m.store(k, v); };
    const footprint ours = measure<sync_map_type>(store);
    const double ours_per_entry = static_cast<double>(ours.bytes) / static_cast<double>(ours.entries);

    std::printf("Heap in use after storing %zu uint64 -> uint64 entries (mallinfo2 uordblks + hblkhd)\n\n",
                key_count);
    std::printf("%-42s %13s %12s %15s\n", "map", "total", "bytes/entry", "vs sync_map");
    print_row("sync_map", "", ours, ours_per_entry);
    print_row("std::unordered_map", " (+ shared_mutex)", measure<locked_std>(store), ours_per_entry);
    print_row("boost::unordered_flat_map", "", measure<boost_flat>(store), ours_per_entry);
    print_row("libcuckoo::cuckoohash_map", "", measure<cuckoo_map>(store), ours_per_entry);
    print_row("tbb::concurrent_hash_map", " (std::allocator)",
              measure<basic_tbb_map<std::allocator<std::pair<const std::uint64_t, std::uint64_t>>>>(store),
              ours_per_entry);
    print_row("cds_lfht", "", measure<lfht_map>(store), ours_per_entry);

    const bool met = ours_per_entry <= 48.0;
    std::printf("\nTarget: sync_map at most 48 bytes/entry: %s (%.1f bytes/entry)\n", met ? "met" : "MISSED",
                ours_per_entry);
    print_sync_map_breakdown(ours);
    settle();
    return 0;
}
