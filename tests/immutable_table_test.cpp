// The ordered open-addressing table shared by cow_map and read_dirty_map
// (detail/immutable_table.hpp): invariants I1-I3 after every kind of construction and
// edit, lookups, hash-order iteration, overflow past the last home group, equal hashes,
// exception safety of append, and clustering under crafted keys (H1).
#include <syncmap/detail/immutable_table.hpp>
#include <syncmap/hash.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using syncmap::detail::immutable_table;
using syncmap::detail::table_npos;
using syncmap::detail::table_plan;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr std::size_t scale = 4;
#else
constexpr std::size_t scale = 1;
#endif

// Entries are (hash, id) pairs: the slot holds the id, the table the hash.
using id_table = immutable_table<std::uint64_t>;
using table_ptr = std::unique_ptr<id_table, id_table::deleter>;

struct item {
    std::uint64_t hash;
    std::uint64_t id;
};

table_ptr build(std::vector<item> items, std::size_t spare_groups = 0) {
    std::sort(items.begin(), items.end(), [](const item& a, const item& b) { return a.hash < b.hash; });
    table_plan plan(items.size(), spare_groups);
    for (const item& it : items) plan.add(it.hash);
    table_ptr t(id_table::allocate(plan));
    for (const item& it : items) t->append(it.hash, it.id);
    return t;
}

std::size_t find(const id_table& t, const item& it) {
    return t.find_index(it.hash, [&](std::uint64_t id) { return id == it.id; });
}

// Everything a table must satisfy with respect to the items it should hold.
void expect_holds_exactly(const id_table& t, const std::vector<item>& items) {
    ASSERT_TRUE(t.check_invariants());
    ASSERT_EQ(t.size(), items.size());
    for (const item& it : items) {
        const std::size_t i = find(t, it);
        ASSERT_NE(i, table_npos) << "id " << it.id;
        EXPECT_EQ(t.cell_at(i).hash, it.hash);
        EXPECT_EQ(t.cell_at(i).value, it.id);
    }
    // Iteration: every entry once, ascending hashes.
    std::vector<std::uint64_t> ids;
    std::uint64_t previous = 0;
    for (auto it = t.begin(); it != t.end(); ++it) {
        EXPECT_GE(it.hash(), previous);
        previous = it.hash();
        ids.push_back(*it);
    }
    std::vector<std::uint64_t> expected;
    for (const item& it : items) expected.push_back(it.id);
    std::sort(ids.begin(), ids.end());
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(ids, expected);
}

std::vector<item> random_items(std::size_t n, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<item> items;
    for (std::size_t i = 0; i < n; ++i) items.push_back({rng(), i});
    return items;
}

TEST(ImmutableTable, BuildFindIterate) {
    for (std::size_t n : {0, 1, 5, 6, 7, 48, 49, 1000, 20000}) {
        const std::vector<item> items = random_items(n, n + 1);
        const table_ptr t = build(items);
        expect_holds_exactly(*t, items);
        // Absent keys: same hashes with other ids, and other hashes.
        for (std::size_t k = 0; k < std::min<std::size_t>(n, 100); ++k) {
            EXPECT_EQ(find(*t, {items[k].hash, n + 1}), table_npos);
            EXPECT_EQ(find(*t, {items[k].hash ^ 0x5555, items[k].id}), table_npos);
        }
        // A table never exceeds 3/4 of its home slots.
        EXPECT_LE(n, syncmap::detail::table_max_entries(t->home_bits())) << n;
    }
}

TEST(ImmutableTable, EmptyTable) {
    const table_ptr t(id_table::allocate_empty());
    EXPECT_TRUE(t->empty());
    EXPECT_EQ(t->begin(), t->end());
    EXPECT_EQ(t->first_full(0), t->slot_count());
    EXPECT_EQ(find(*t, {42, 1}), table_npos);
    EXPECT_TRUE(t->check_invariants());
}

// Hashes crowded at the top of the hash space spill past the last home group into
// overflow groups; the plan must size them exactly and lookups must find them.
TEST(ImmutableTable, OverflowPastTheLastHomeGroup) {
    std::vector<item> items;
    for (std::uint64_t i = 0; i < 500; ++i) items.push_back({~std::uint64_t{0} - i * 3, i});
    const table_ptr t = build(items);
    EXPECT_GT(t->group_count(), std::size_t{1} << t->home_bits());
    expect_holds_exactly(*t, items);
}

// Distinct keys with one full hash: one long cluster, told apart by the slot predicate.
TEST(ImmutableTable, EqualHashes) {
    std::vector<item> items;
    for (std::uint64_t i = 0; i < 100; ++i) items.push_back({0x1234567890ABCDEFULL, i});
    for (std::uint64_t i = 100; i < 200; ++i) items.push_back({i << 40, i});
    const table_ptr t = build(items);
    expect_holds_exactly(*t, items);
}

TEST(ImmutableTable, CopyAndClonePreserveEverything) {
    const std::vector<item> items = random_items(3000, 9);
    const table_ptr t = build(items);
    const table_ptr copy(id_table::copy_of(*t, 10000, 2));
    EXPECT_GT(copy->home_bits(), t->home_bits());
    expect_holds_exactly(*copy, items);
    const table_ptr clone(id_table::clone(*t));
    EXPECT_EQ(clone->group_count(), t->group_count());
    expect_holds_exactly(*clone, items);
}

// In-place ordered insertion and backward-shift erasure against a model, checking I1-I3
// after every step. Hashes are drawn from a few narrow bands so that clusters form and
// shifts cross group boundaries; rebuilds happen whenever insert_position says so.
TEST(ImmutableTable, InPlaceEditsMatchModel) {
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
        std::mt19937_64 rng(seed);
        table_ptr t(id_table::allocate_empty(0, 1));
        std::map<std::uint64_t, std::uint64_t> model;  // id -> hash
        std::uint64_t next_id = 0;
        std::size_t rebuilds = 0;
        for (std::size_t step = 0; step < 6000 / scale; ++step) {
            if (model.empty() || rng() % 3 != 0) {
                // Bands: top bits from a small set, low bits random.
                const std::uint64_t band = (rng() % 5) * 0x3000000000000000ULL;
                const std::uint64_t h = band | (rng() >> 8);
                const std::uint64_t id = next_id++;
                std::size_t pos = t->insert_position(h);
                if (pos == table_npos) {
                    t.reset(id_table::copy_of(*t, 2 * t->size() + 1, 1));
                    ++rebuilds;
                    pos = t->insert_position(h);
                    ASSERT_NE(pos, table_npos);
                }
                t->insert_at(pos, h, id);
                model.emplace(id, h);
            } else {
                auto victim = model.begin();
                std::advance(victim, static_cast<long>(rng() % model.size()));
                const std::size_t i = find(*t, {victim->second, victim->first});
                ASSERT_NE(i, table_npos);
                t->erase_at(i);
                model.erase(victim);
            }
            if (step % 16 == 0 || model.size() < 64) {
                ASSERT_TRUE(t->check_invariants()) << "seed " << seed << " step " << step;
            }
        }
        std::vector<item> items;
        for (const auto& [id, h] : model) items.push_back({h, id});
        expect_holds_exactly(*t, items);
        EXPECT_GT(rebuilds, 3u);
    }
}

// A slot type whose constructor can be told to throw, counting live instances.
struct fragile {
    static inline int live = 0;
    static inline int countdown = -1;  // throws when it reaches 0
    explicit fragile(std::uint64_t v) : value(v) {
        if (countdown >= 0 && countdown-- == 0) throw std::runtime_error("fragile");
        ++live;
    }
    fragile(const fragile& o) : fragile(o.value) {}
    ~fragile() { --live; }
    std::uint64_t value;
};

// L4 at the table level: if constructing a slot throws midway through a build, the
// partial table frees what it built and nothing leaks.
TEST(ImmutableTable, ThrowingAppendLeaksNothing) {
    using fragile_table = immutable_table<fragile>;
    const std::vector<item> items = random_items(300, 5);
    std::vector<item> sorted = items;
    std::sort(sorted.begin(), sorted.end(), [](const item& a, const item& b) { return a.hash < b.hash; });
    for (int fail_at : {0, 1, 150, 299}) {
        table_plan plan(sorted.size());
        for (const item& it : sorted) plan.add(it.hash);
        std::unique_ptr<fragile_table, fragile_table::deleter> t(fragile_table::allocate(plan));
        fragile::countdown = fail_at;
        EXPECT_THROW(
            {
                for (const item& it : sorted) t->append(it.hash, it.id);
            },
            std::runtime_error);
        fragile::countdown = -1;
        EXPECT_EQ(t->size(), static_cast<std::size_t>(fail_at));
        EXPECT_EQ(fragile::live, fail_at);
        EXPECT_TRUE(t->check_invariants());
        t.reset();
        EXPECT_EQ(fragile::live, 0);
    }
    // copy_of: a throwing copy frees the partial copy.
    table_plan plan(sorted.size());
    for (const item& it : sorted) plan.add(it.hash);
    std::unique_ptr<fragile_table, fragile_table::deleter> t(fragile_table::allocate(plan));
    for (const item& it : sorted) t->append(it.hash, it.id);
    fragile::countdown = 200;
    EXPECT_THROW(fragile_table::copy_of(*t, 1000, 0), std::runtime_error);
    fragile::countdown = -1;
    EXPECT_EQ(fragile::live, 300);
    t.reset();
    EXPECT_EQ(fragile::live, 0);
}

// H1: integer keys that all collide in the top bits under an identity hash (multiples of
// 2^32, std::hash's output on libstdc++) stay spread out through syncmap's seeded hash;
// the same keys through the identity pile into one probe sequence.
TEST(ImmutableTable, SeededHashKeepsCraftedKeysApart) {
    constexpr std::uint64_t n = 20000;
    std::vector<item> seeded;
    std::vector<item> identity;
    const syncmap::hash<std::uint64_t> h;
    for (std::uint64_t i = 0; i < n; ++i) {
        const std::uint64_t key = i << 32;
        seeded.push_back({syncmap::detail::seeded_hash(h, key, 0x1234abcdULL), i});
        identity.push_back({static_cast<std::uint64_t>(std::hash<std::uint64_t>{}(key)), i});
    }
    const table_ptr good = build(seeded);
    const table_ptr bad = build(identity);
    EXPECT_LE(good->max_probe_groups(), 16u);
    EXPECT_GT(bad->max_probe_groups(), 1000u);  // the failure the seeded hash prevents
}

}  // namespace
