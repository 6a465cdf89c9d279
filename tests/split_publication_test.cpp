// The publication order of a sync_map leaf split, under the deterministic scheduler of
// protocol_schedule.hpp.
//
// A split rewrites the directory entries of one leaf in place, one atomic store at a time:
// upper half first, then lower half (sync_map::split_leaf); a split that doubles the
// directory writes the halves into the unpublished doubled copy and then publishes it.
// Walkers (size(), debug_structure(): directory::for_each_leaf) read the entries meanwhile
// and must count every hash interval exactly once at every instant, so that size() keeps
// its documented bound (docs/GUARANTEES.md): at least the keys present throughout the
// call, at most the keys present at some instant of it.
//
// SYNCMAP_SCHEDULE_POINT() sits after every single directory store of a split and before
// every entry load of a walk. One writer thread stores the key whose insertion splits a
// leaf; one walker thread calls size() and debug_structure(). Every schedule with at most
// 3 preemptions (2 in sanitizer builds) is run, so the walk is tried between every two
// stores, and across them. Each walk must visit leaves spanning exactly 2^global_depth
// directory entries (structure_info::entries_walked), visit as many leaves as before or
// after the split, and count between the keys present before and after the store.
// Cases: a plain split (the leaf spans 4 entries of the directory, which stays) and a split
// that doubles the directory, each on both storages (inline entries, storage::nodes).
//
// The test bites. Each break below was made by hand in include/, one at a time, and the
// cases listed failed (then the break was reverted):
//   (a) split_leaf publishing the lower half before the upper half
//       -> plain/inline, plain/nodes: a walker met the new lower leaf, then the old leaf in
//          the upper half, and counted the lower interval twice (the walk spanned 10
//          directory entries of 8; size() 422 with 361 or 362 keys present). The doubling
//          cases pass: there the halves are written into the unpublished doubled directory,
//          where no walker sees their order.
//   (b) the doubled directory published before the halves are written, lower half first
//       -> all four cases (doubling: the walk spanned 5 entries of 4, size() 286 with 227
//          or 228 keys present).
#include "protocol_schedule.hpp"

#define SYNCMAP_SCHEDULE_POINT() ::proto::schedule_point()

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "syncmap/sync_map.hpp"

namespace {

using proto::sanitized;

using u64 = std::uint64_t;
using inline_map = syncmap::sync_map<u64, u64>;
using node_map = syncmap::sync_map<u64, u64, syncmap::hash<u64>, std::equal_to<u64>, syncmap::storage::nodes>;
static_assert(inline_map::inline_storage && !node_map::inline_storage);

constexpr u64 map_seed = 0x0123456789abcdefULL;
constexpr int bound = sanitized ? 2 : 3;
constexpr std::size_t dfs_cap = sanitized ? 3000 : 40000;

enum class split_kind { plain, doubling };

// The map's hash of a key (sync_map applies syncmap::hash with its seed).
u64 hash_of(u64 k) { return syncmap::detail::seeded_hash(syncmap::hash<u64>{}, k, map_seed); }

// Keys stored in order before the schedule, then the key whose store splits a leaf.
struct split_case {
    std::vector<u64> keys;
    u64 splitter = 0;
    std::size_t leaves_before = 0;
    unsigned depth_before = 0;
};

// Stores keys (ascending, those `wanted` accepts) into m and the case until one splits a
// leaf and `done` accepts the split; that key becomes the splitter.
template <class Map, class Wanted, class Done>
bool grow_until(Map& m, split_case& sc, u64& next, Wanted wanted, Done done) {
    for (; next < 1000000; ++next) {
        if (!wanted(next)) continue;
        const auto before = m.debug_structure();
        const auto splits = m.stats().leaf_splits;
        m.store(next, next);
        if (m.stats().leaf_splits != splits && done(before, m.debug_structure())) {
            sc.splitter = next++;
            sc.leaves_before = before.leaves;
            sc.depth_before = before.global_depth;
            return true;
        }
        sc.keys.push_back(next);
    }
    return false;
}

// doubling: the split that doubles the directory from 2 to 4 entries (another leaf is
// walked too). plain: keys of the upper half of the hash space only, until the directory
// has 8 entries, so the lower half is still one leaf of depth 1 spanning 4 entries; then
// keys of the lower half until that leaf splits, each half two stores, the directory as
// it was.
template <class Map>
split_case find_split(split_kind kind) {
    Map m(map_seed);
    split_case sc;
    u64 next = 1;
    const auto any = [](u64) { return true; };
    if (kind == split_kind::doubling) {
        const bool found = grow_until(m, sc, next, any, [](const auto& before, const auto& after) {
            return before.global_depth == 1 && after.global_depth == 2;
        });
        EXPECT_TRUE(found);
        return sc;
    }
    const auto upper = [](u64 k) { return (hash_of(k) >> 63) == 1; };
    const auto lower = [](u64 k) { return (hash_of(k) >> 63) == 0; };
    split_case scratch;
    EXPECT_TRUE(grow_until(m, scratch, next, upper, [](const auto&, const auto& after) { return after.global_depth == 3; }));
    sc.keys = scratch.keys;
    sc.keys.push_back(scratch.splitter);
    EXPECT_EQ(m.debug_structure().min_local_depth, 1u);
    const bool found = grow_until(m, sc, next, lower, [](const auto& before, const auto& after) {
        return before.global_depth == 3 && after.global_depth == 3 && before.min_local_depth == 1 &&
               after.min_local_depth == 2;
    });
    EXPECT_TRUE(found);
    return sc;
}

template <class Map>
std::string execute(const split_case& sc, proto::strategy& strategy, proto::worker_pool& pool, std::size_t& points) {
    Map map(map_seed);
    for (u64 k : sc.keys) map.store(k, k);
    const std::size_t n = sc.keys.size();
    std::optional<std::size_t> size;
    std::optional<typename Map::structure_info> shape;
    proto::baton baton(2, strategy);
    baton.begin();
    pool.run([&](int id) {
        baton.arrive(id);
        if (id == 0) {
            map.store(sc.splitter, sc.splitter);
        } else {
            size = map.size();
            shape = map.debug_structure();
        }
        baton.depart();
    });
    points = baton.points();
    if (baton.overflow()) return "more than " + std::to_string(proto::baton::max_points) + " schedule points";
    std::ostringstream err;
    // The n keys stored before are present throughout; the splitter at some instant at most.
    if (*size < n || *size > n + 1) err << "size() " << *size << " outside [" << n << ", " << n + 1 << "]; ";
    if (shape->entries < n || shape->entries > n + 1) {
        err << "debug_structure().entries " << shape->entries << " outside [" << n << ", " << n + 1 << "]; ";
    }
    if (shape->entries_walked != std::size_t{1} << shape->global_depth) {
        err << "the walk spanned " << shape->entries_walked << " directory entries of " << (std::size_t{1} << shape->global_depth)
            << " (an interval counted twice or missed); ";
    }
    if (shape->leaves != sc.leaves_before && shape->leaves != sc.leaves_before + 1) {
        err << "the walk met " << shape->leaves << " leaves, the map had " << sc.leaves_before << " then "
            << sc.leaves_before + 1 << "; ";
    }
    if (map.stats().leaf_splits == 0) err << "the store split no leaf; ";
    return err.str();
}

void prepare_worker() { syncmap::detail::rcu_reader register_this_thread; }

template <class Map>
void explore(split_kind kind, const char* name) {
    const split_case sc = find_split<Map>(kind);
    ASSERT_GT(sc.splitter, 0u);
    const auto t0 = std::chrono::steady_clock::now();
    proto::worker_pool pool(2, prepare_worker);
    proto::dfs_strategy strategy(bound);
    std::size_t schedules = 0, points = 0;
    bool complete = false;
    for (;;) {
        std::size_t p = 0;
        const std::string err = execute<Map>(sc, strategy, pool, p);
        ++schedules;
        points += p;
        ASSERT_EQ(err, "") << name << " (split by key " << sc.splitter << ", directory depth " << sc.depth_before << "): "
                           << strategy.describe();
        ASSERT_FALSE(strategy.diverged()) << name << ": a replayed schedule diverged (" << strategy.describe() << ")";
        if (!strategy.next()) {
            complete = true;
            break;
        }
        if (schedules >= dfs_cap) break;
    }
    std::printf("  %-24s key %6llu, depth %u, %zu leaves: %6zu schedules%s, %8zu points, %5.2f s\n", name,
                static_cast<unsigned long long>(sc.splitter), sc.depth_before, sc.leaves_before, schedules,
                complete ? " (all)" : " (cap)", points,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
}

TEST(SplitPublication, PlainSplitInline) { explore<inline_map>(split_kind::plain, "plain/inline"); }
TEST(SplitPublication, PlainSplitNodes) { explore<node_map>(split_kind::plain, "plain/nodes"); }
TEST(SplitPublication, DoublingSplitInline) { explore<inline_map>(split_kind::doubling, "doubling/inline"); }
TEST(SplitPublication, DoublingSplitNodes) { explore<node_map>(split_kind::doubling, "doubling/nodes"); }

}  // namespace
