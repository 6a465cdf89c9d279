// go_map G3: concurrent misuse ends the process with Go's messages.
//
// Each test uses two real threads and no timing luck: a writer thread inserts an entry
// whose value constructor (which runs inside the write, with the write flag held) announces
// itself and then blocks. Once the announcement is seen, the main thread performs the
// conflicting operation, which must abort with Go's message. Should detection ever fail,
// the main thread releases the writer and the death test fails instead of hanging.
// The threads synchronise through atomics only and the conflicting call aborts before it
// touches the map's memory, so the tests are also clean under ThreadSanitizer.
#include <syncmap/go_map.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <thread>
#include <utility>
#include <vector>

// The torn states racing writers leave in a leaf, built directly (a real race hits them
// only now and then: 3 in 300 two-writer trials spun in a rebuild before the loops were
// bounded). Each test corrupts the map inside the death statement only, so the parent
// process never holds a corrupt map.
namespace syncmap::detail {
template <class Map>
struct go_map_test_access {
    static go_leaf* leaf_of(Map& m, const typename Map::key_type& key) {
        return m.dir_[m.dir_index(m.hash_of(key))].node();
    }
    static std::vector<go_leaf*> leaves(Map& m) {
        std::vector<go_leaf*> out;
        m.for_each_leaf([&](go_leaf* l) { out.push_back(l); });
        return out;
    }
    // A rebuild's placement asked for one entry more than the fresh leaf has slots.
    static void place_past_capacity(std::uint32_t capacity) {
        using ops = go_leaf_ops<typename Map::value_type>;
        go_leaf* l = ops::allocate(capacity, 0, 0, 1);
        {
            typename Map::leaf_filler filler(l);
            for (std::uint64_t i = 0; i <= capacity; ++i) {
                (void)filler.place(i * 0x9e3779b97f4a7c15ULL);
            }
        }
        ops::deallocate(l);
    }
};
}  // namespace syncmap::detail

namespace {

struct gate {
    static inline std::atomic<bool> inside{false};
    static inline std::atomic<bool> open{false};
};

struct block_tag {};

struct blocking_value {
    int v = 0;
    blocking_value() = default;
    explicit blocking_value(int x) : v(x) {}
    explicit blocking_value(block_tag) {
        gate::inside.store(true, std::memory_order_release);
        while (!gate::open.load(std::memory_order_acquire)) {
            std::this_thread::yield();
        }
    }
};

using map_type = syncmap::go_map<std::uint64_t, blocking_value>;
static_assert(map_type::checks_enabled, "misuse detection is on by default, as in Go");

// Runs `conflict(m)` while another thread is in the middle of writing to `m`.
template <class Setup, class Conflict>
void during_a_write(Setup setup, Conflict conflict) {
    map_type m;
    for (std::uint64_t i = 0; i < 100; ++i) {
        m.try_emplace(i, static_cast<int>(i));
    }
    auto state = setup(m);
    std::thread writer([&m] { m.try_emplace(1000, block_tag{}); });
    while (!gate::inside.load(std::memory_order_acquire)) {
        std::this_thread::yield();
    }
    conflict(m, state);
    gate::open.store(true, std::memory_order_release);  // detection failed: do not hang
    writer.join();
}

auto no_setup = [](map_type&) { return 0; };

class GoMapDeathTest : public ::testing::Test {
protected:
    void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

TEST_F(GoMapDeathTest, ConcurrentWrites) {
    EXPECT_DEATH(during_a_write(no_setup, [](map_type& m, int) { m.try_emplace(2000, 1); }),
                 "^fatal error: concurrent map writes\n");
    EXPECT_DEATH(during_a_write(no_setup, [](map_type& m, int) { m.erase(5); }),
                 "^fatal error: concurrent map writes\n");
    EXPECT_DEATH(during_a_write(no_setup, [](map_type& m, int) { m.clear(); }),
                 "^fatal error: concurrent map writes\n");
}

TEST_F(GoMapDeathTest, ConcurrentReadAndWrite) {
    EXPECT_DEATH(during_a_write(no_setup, [](map_type& m, int) { (void)m.find(5); }),
                 "^fatal error: concurrent map read and map write\n");
    EXPECT_DEATH(during_a_write(no_setup, [](map_type& m, int) { (void)m.contains(5); }),
                 "^fatal error: concurrent map read and map write\n");
    EXPECT_DEATH(during_a_write(no_setup, [](map_type& m, int) { (void)m.at(5); }),
                 "^fatal error: concurrent map read and map write\n");
}

TEST_F(GoMapDeathTest, ConcurrentIterationAndWrite) {
    // The pass is positioned before the writer starts; its next step meets the write.
    auto setup = [](map_type& m) {
        auto it = m.cbegin();
        EXPECT_NE(it, m.cend());
        return it;
    };
    EXPECT_DEATH(during_a_write(setup, [](map_type&, map_type::const_iterator& it) { ++it; }),
                 "^fatal error: concurrent map iteration and map write\n");
}

// The same operations without a concurrent writer run normally.
TEST(GoMapChecks, SequentialUseNeverTrips) {
    map_type m;
    for (std::uint64_t i = 0; i < 5000; ++i) {
        m.try_emplace(i, static_cast<int>(i));
        (void)m.find(i / 2);
    }
    for (auto it = m.begin(); it != m.end(); ++it) {
        if (it->first < 100000) {
            m.try_emplace(it->first + 100000, 1);
        }
        m.erase(it->first);
    }
    // Concurrent reads are allowed, as in Go (and as for any const member in C++).
    std::thread reader([&m] {
        std::size_t n = 0;
        for (const auto& kv : std::as_const(m)) {
            n += kv.second.v >= 0 ? 1 : 0;
        }
        EXPECT_EQ(n, m.size());
    });
    std::size_t found = 0;
    for (std::uint64_t i = 0; i < 200000; ++i) {
        found += std::as_const(m).contains(i) ? 1 : 0;
    }
    reader.join();
    EXPECT_EQ(found, m.size());
}

// A position from find() is invalidated by growth that rebuilds its leaf; using it then is
// detected rather than undefined.
TEST_F(GoMapDeathTest, StalePositionIsDetected) {
    auto use_after_growth = [] {
        syncmap::go_map<std::uint64_t, std::uint64_t> m;
        m[1] = 1;
        auto it = m.find(1);
        for (std::uint64_t i = 2; i < 5000; ++i) {
            m[i] = i;
        }
        return it->second;
    };
    EXPECT_DEATH((void)use_after_growth(), "^fatal error: go_map: iterator used after the map grew");
}

TEST(GoMapPositions, SurviveMutationsThatDoNotRebuildTheirLeaf) {
    syncmap::go_map<std::uint64_t, std::uint64_t> m;
    for (std::uint64_t i = 0; i < 100; ++i) {
        m[i] = i;
    }
    m.reserve(100000);
    auto it = m.find(7);
    for (std::uint64_t i = 100; i < 50000; ++i) {
        m[i] = i;  // reserved: no leaf is rebuilt
    }
    m.erase(8);
    EXPECT_EQ(it->second, 7u);
    it->second = 70;
    EXPECT_EQ(m.at(7), 70u);
}


// ---- G3: loops a racing writer can corrupt are bounded and end in the fatal error ----------

using u64_map = syncmap::go_map<std::uint64_t, std::uint64_t>;
using access = syncmap::detail::go_map_test_access<u64_map>;

// Inserts keys until the leaf holding `anchor` has no growth left; returns a key absent from
// the map that lands in that leaf.
std::uint64_t fill_leaf_of(u64_map& m, std::uint64_t anchor) {
    m[anchor] = anchor;
    std::uint64_t k = anchor + 1;
    while (access::leaf_of(m, anchor)->growth_left != 0) {
        const std::uint64_t key = k++;
        if (access::leaf_of(m, key) == access::leaf_of(m, anchor)) {
            m[key] = key;
        }
    }
    while (access::leaf_of(m, k) != access::leaf_of(m, anchor)) {
        ++k;
    }
    return k;
}

// Every group of a fresh leaf full: before the bound, leaf_filler::place probed forever.
TEST_F(GoMapDeathTest, PlacementPastALeafsCapacityDies) {
    EXPECT_DEATH(access::place_past_capacity(8), "^fatal error: concurrent map writes\n");
    EXPECT_DEATH(access::place_past_capacity(64), "^fatal error: concurrent map writes\n");
}

// Two writers that both incremented `used` from the same value lose an increment: the leaf
// then holds more entries than it counts. The rebuild sized from the count must not place
// them past its buffers (growth: a leaf sized too small; split: the hash array overrun).
TEST_F(GoMapDeathTest, LostUpdatesOfTheEntryCountDieAtTheNextRebuild) {
    auto grow_after_lost_updates = [](std::uint32_t lost) {
        u64_map m(7);
        const std::uint64_t next = fill_leaf_of(m, 0);
        syncmap::detail::go_leaf* l = access::leaf_of(m, 0);
        l->used -= lost;
        m[next] = 1;  // no growth left: rebuilds the leaf
    };
    // An 8-slot leaf regrown to 16 (used 7 -> 4: the new leaf was sized and counted for 4).
    EXPECT_DEATH(grow_after_lost_updates(3), "^fatal error: concurrent map writes\n");
    // A 1024-slot leaf split in two (used 896 -> 500): its hash array was sized for 500.
    EXPECT_DEATH(
        {
            u64_map m(7);
            const std::uint64_t anchor = 0;
            std::uint64_t k = 1;
            while (access::leaf_of(m, anchor)->capacity < 1024) {
                m[k] = k;
                ++k;
            }
            const std::uint64_t next = fill_leaf_of(m, anchor);
            syncmap::detail::go_leaf* l = access::leaf_of(m, anchor);
            if (l->capacity != 1024 || l->used != 896) {
                std::fprintf(stderr, "setup: capacity %u used %u\n", l->capacity, l->used);
                std::abort();
            }
            l->used = 500;
            m[next] = 1;
        },
        "^fatal error: concurrent map writes\n");
}

// Two writers that both took a leaf's last growth_left wrap it round to 2^32 - 1; the leaf
// then fills completely and no probe sequence meets an empty slot. Every probe that used
// to loop forever there ends in the message of its operation.
TEST_F(GoMapDeathTest, ProbesOfALeafWithNoEmptySlotDie) {
    auto overfull = [](u64_map& m) {
        for (std::uint64_t k = 0; k < 14; ++k) {
            m[k] = k;  // one leaf of 16 slots (two groups), at its load limit
        }
        syncmap::detail::go_leaf* l = access::leaf_of(m, 0);
        if (l->capacity != 16 || l->growth_left != 0 || access::leaves(m).size() != 1) {
            std::fprintf(stderr, "setup: capacity %u growth_left %u\n", l->capacity, l->growth_left);
            std::abort();
        }
        l->growth_left = std::numeric_limits<std::uint32_t>::max();
        m[100] = 100;
        m[101] = 101;  // every slot full now
    };
    EXPECT_DEATH(
        {
            u64_map m(3);
            overfull(m);
            (void)m.find(1000);
        },
        "^fatal error: concurrent map read and map write\n");
    EXPECT_DEATH(
        {
            u64_map m(3);
            overfull(m);
            (void)std::as_const(m).contains(1000);
        },
        "^fatal error: concurrent map read and map write\n");
    EXPECT_DEATH(
        {
            u64_map m(3);
            overfull(m);
            m[1000] = 1;
        },
        "^fatal error: concurrent map writes\n");
    EXPECT_DEATH(
        {
            u64_map m(3);
            overfull(m);
            m.erase(1000);
        },
        "^fatal error: concurrent map writes\n");
}

// A pass walks from leaf to leaf by interval end. A leaf torn so that its interval does not
// advance (here: local depth 0 beside other leaves) sent the pass round the same leaf forever.
TEST_F(GoMapDeathTest, PassOverATornLeafDies) {
    EXPECT_DEATH(
        {
            u64_map m(11);
            m.reserve(2000);  // four leaves
            for (std::uint64_t k = 0; k < 200; ++k) {
                m[k] = k;
            }
            const std::vector<syncmap::detail::go_leaf*> leaves = access::leaves(m);
            if (leaves.size() != 4) {
                std::fprintf(stderr, "setup: %zu leaves\n", leaves.size());
                std::abort();
            }
            auto it = m.begin();
            (void)it->first;
            const std::uint64_t origin = it.debug_state().origin;
            for (syncmap::detail::go_leaf* l : leaves) {
                if (l->prefix != origin) {
                    l->local_depth = 0;
                    break;
                }
            }
            std::size_t n = 0;
            for (; it != m.end(); ++it) {
                ++n;
            }
            std::fprintf(stderr, "pass ended after %zu entries\n", n);
        },
        "^fatal error: concurrent map iteration and map write\n");
}

}  // namespace
