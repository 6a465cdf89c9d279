// cow_map: snapshots that never change (CW1, S1-S4), update() batches published once
// (CW2), the builder against a model, readers that never wait for a parked writer (CW1,
// L2, L3), and reclamation in version order.
#include <syncmap/cow_map.hpp>

#include <gtest/gtest.h>

#include "parking_equal.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <iterator>
#include <latch>
#include <map>
#include <random>
#include <ranges>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace {

using u64 = std::uint64_t;
using map_t = syncmap::cow_map<u64, u64>;

static_assert(std::ranges::forward_range<map_t::snapshot_type>);
static_assert(std::forward_iterator<map_t::snapshot_type::const_iterator>);

std::map<u64, u64> contents(const map_t::snapshot_type& s) {
    std::map<u64, u64> out;
    for (const auto& [k, v] : s) EXPECT_TRUE(out.emplace(k, v).second) << "key " << k << " twice";
    return out;
}

// Everything a snapshot shows agrees with `expected`: size, iteration, range, point reads.
void expect_snapshot(const map_t::snapshot_type& s, const std::map<u64, u64>& expected) {
    EXPECT_EQ(s.size(), expected.size());
    EXPECT_EQ(s.empty(), expected.empty());
    EXPECT_EQ(contents(s), expected);
    std::map<u64, u64> ranged;
    s.range([&](u64 k, u64 v) { ranged.emplace(k, v); });
    EXPECT_EQ(ranged, expected);
    for (const auto& [k, v] : expected) {
        EXPECT_EQ(s.load(k), v);
        EXPECT_TRUE(s.contains(k));
        EXPECT_NE(s.find(k), s.end());
    }
    EXPECT_FALSE(s.contains(~u64{0}));
    EXPECT_EQ(s.find(~u64{0}), s.end());
}

// CW1 / S2: a snapshot never changes, whatever the map does afterwards (writes, erase,
// clear, growth, batches, destruction of the map).
TEST(CowMap, SnapshotNeverChanges) {
    std::map<u64, u64> model;
    auto m = std::make_unique<map_t>(3);
    for (u64 i = 0; i < 1000; ++i) {
        m->store(i, i);
        model[i] = i;
    }
    const map_t::snapshot_type s = m->snapshot();
    const std::map<u64, u64> at_snapshot = model;
    expect_snapshot(s, at_snapshot);
    for (u64 i = 0; i < 1000; i += 3) m->store(i, i + 1);
    for (u64 i = 1; i < 1000; i += 3) m->erase(i);
    for (u64 i = 1000; i < 5000; ++i) m->store(i, i);  // growth
    expect_snapshot(s, at_snapshot);
    m->update([](map_t::builder& b) {
        for (u64 i = 0; i < 100; ++i) b.store(i, 7);
        b.erase(500);
    });
    m->clear();
    EXPECT_TRUE(m->empty());
    expect_snapshot(s, at_snapshot);
    const map_t::snapshot_type copy = s;  // copies share the table
    m.reset();                            // the map is gone; its snapshots are not
    expect_snapshot(s, at_snapshot);
    expect_snapshot(copy, at_snapshot);
}

// S1 for cow_map: a snapshot is exactly the contents at one instant; snapshots taken
// between writes differ by exactly those writes.
TEST(CowMap, SnapshotsBetweenWritesDifferByThoseWrites) {
    map_t m(3);
    std::map<u64, u64> model;
    std::vector<std::pair<map_t::snapshot_type, std::map<u64, u64>>> taken;
    std::mt19937_64 rng(9);
    for (int step = 0; step < 400; ++step) {
        const u64 k = rng() % 64;
        switch (rng() % 3) {
            case 0: m.store(k, step); model[k] = static_cast<u64>(step); break;
            case 1: m.erase(k); model.erase(k); break;
            default: m.exchange(k, step); model[k] = static_cast<u64>(step); break;
        }
        if (step % 20 == 0) taken.emplace_back(m.snapshot(), model);
    }
    for (const auto& [snap, expected] : taken) expect_snapshot(snap, expected);
}

// S4: iteration yields each entry once, in the same order every time: ascending hash
// order, which also makes it fixed by the seed.
TEST(CowMap, SnapshotIterationOrderIsHashOrder) {
    map_t m(5);
    for (u64 i = 0; i < 3000; ++i) m.store(i * 7919, i);
    const auto s = m.snapshot();
    std::vector<u64> first;
    std::vector<u64> second;
    for (const auto& kv : s) first.push_back(kv.first);
    for (const auto& kv : s) second.push_back(kv.first);
    EXPECT_EQ(first, second);
    EXPECT_EQ(first.size(), 3000u);
    EXPECT_EQ(std::ranges::distance(s), 3000);
    u64 previous = 0;
    for (u64 k : first) {
        const u64 h = syncmap::detail::seeded_hash(m.hash_function(), k, m.seed());
        EXPECT_GE(h, previous);
        previous = h;
    }
    std::set<u64> unique(first.begin(), first.end());
    EXPECT_EQ(unique.size(), first.size());
    EXPECT_EQ(std::ranges::count_if(s, [](const auto& kv) { return kv.second % 2 == 0; }), 1500);
}

// CW2: a batch is one publish, however many changes it holds; writes that change nothing
// publish nothing.
TEST(CowMap, EachChangePublishesOnceAndNoChangeNever) {
    map_t m(3);
    auto publishes = [&] { return m.debug_state().publishes; };
    ASSERT_EQ(publishes(), 0u);
    m.update([](map_t::builder& b) {
        for (u64 i = 0; i < 1000; ++i) b.store(i, i);
        for (u64 i = 0; i < 100; ++i) b.erase(i);
        b.store(5, 5);
    });
    EXPECT_EQ(publishes(), 1u);
    EXPECT_EQ(m.size(), 901u);
    m.update([](map_t::builder& b) { EXPECT_EQ(b.load(7), std::nullopt); });
    m.update([](map_t::builder& b) { EXPECT_FALSE(b.erase(7)); });
    EXPECT_EQ(publishes(), 1u);
    m.store(1, 1);
    EXPECT_EQ(publishes(), 2u);
    EXPECT_FALSE(m.erase(2));
    EXPECT_FALSE(m.compare_and_swap(1, 9, 2));
    EXPECT_FALSE(m.compare_and_delete(1, 9));
    EXPECT_EQ(m.load_or_store(1, 9), std::make_pair(u64{1}, true));
    EXPECT_EQ(m.load_and_delete(3), std::nullopt);
    EXPECT_EQ(publishes(), 2u);
    EXPECT_TRUE(m.compare_and_swap(1, 1, 2));
    EXPECT_TRUE(m.compare_and_delete(1, 2));
    EXPECT_EQ(m.exchange(1, 3), std::nullopt);
    EXPECT_EQ(m.load_and_delete(1), 3u);
    EXPECT_EQ(publishes(), 6u);
    m.clear();
    EXPECT_EQ(publishes(), 7u);
    m.clear();  // already empty
    EXPECT_EQ(publishes(), 7u);
}

// CW2 seen from readers: every snapshot shows a batch entirely or not at all. Each batch
// moves all 64 keys to the same new generation; a reader's snapshot must hold one
// generation only. Publishing key by key would show mixed generations.
TEST(CowMap, ReadersSeeWholeBatches) {
    map_t m(3);
    constexpr u64 keys = 64;
    m.update([&](map_t::builder& b) {
        for (u64 k = 0; k < keys; ++k) b.store(k, 0);
    });
    std::atomic<bool> stop{false};
    std::atomic<int> mixed{0};
    std::atomic<long> checked{0};
    std::thread reader([&] {
        while (!stop.load()) {
            const auto s = m.snapshot();
            const u64 g = *s.load(0);
            for (u64 k = 1; k < keys; ++k) {
                if (s.load(k) != g) mixed.fetch_add(1);
            }
            checked.fetch_add(1);
        }
    });
    for (u64 gen = 1; gen <= 2000; ++gen) {
        m.update([&](map_t::builder& b) {
            for (u64 k = 0; k < keys; ++k) b.store(k, gen);
        });
    }
    while (checked.load() < 10) std::this_thread::yield();
    stop = true;
    reader.join();
    EXPECT_EQ(mixed.load(), 0);
    EXPECT_EQ(m.debug_state().publishes, 2001u);
}

// The builder against a model: it starts from the map's contents, sees its own changes
// (including clear), and the published result equals the model.
TEST(CowMap, BuilderMatchesModel) {
    for (u64 seed = 1; seed <= 6; ++seed) {
        map_t m(seed);
        std::map<u64, u64> model;
        std::mt19937_64 rng(seed);
        for (u64 i = 0; i < 300; ++i) {
            const u64 k = rng() % 500;
            m.store(k, i);
            model[k] = i;
        }
        for (int batch = 0; batch < 5; ++batch) {
            const map_t::snapshot_type before = m.snapshot();
            const std::map<u64, u64> model_before = model;
            m.update([&](map_t::builder& b) {
                ASSERT_EQ(b.size(), model.size());
                for (int step = 0; step < 600; ++step) {
                    const u64 k = rng() % 500;
                    switch (rng() % 8) {
                        case 0: case 1: case 2:
                            b.store(k, static_cast<u64>(step));
                            model[k] = static_cast<u64>(step);
                            break;
                        case 3: case 4:
                            ASSERT_EQ(b.erase(k), model.erase(k) == 1);
                            break;
                        case 5: {
                            const auto it = model.find(k);
                            ASSERT_EQ(b.load(k), it == model.end() ? std::nullopt : std::optional<u64>(it->second));
                            break;
                        }
                        case 6:
                            ASSERT_EQ(b.contains(k), model.count(k) == 1);
                            break;
                        default:
                            if (rng() % 40 == 0) {
                                b.clear();
                                model.clear();
                            }
                            break;
                    }
                    ASSERT_EQ(b.size(), model.size());
                    ASSERT_EQ(b.empty(), model.empty());
                    // The map itself is unchanged until the batch is published.
                    if (step % 100 == 0) {
                        ASSERT_EQ(m.size(), model_before.size());
                    }
                }
            });
            expect_snapshot(m.snapshot(), model);
            expect_snapshot(before, model_before);
        }
    }
}

// A throwing update changes nothing; update returns what its callback returns.
TEST(CowMap, UpdateIsAllOrNothing) {
    map_t m(3);
    for (u64 i = 0; i < 100; ++i) m.store(i, i);
    const auto publishes = m.debug_state().publishes;
    struct stop {};
    EXPECT_THROW(m.update([](map_t::builder& b) {
        for (u64 i = 0; i < 100; ++i) b.store(i, 0);
        b.clear();
        throw stop{};
    }),
                 stop);
    EXPECT_EQ(m.debug_state().publishes, publishes);
    for (u64 i = 0; i < 100; ++i) ASSERT_EQ(m.load(i), i);
    const std::size_t n = m.update([](map_t::builder& b) {
        b.erase(0);
        return b.size();
    });
    EXPECT_EQ(n, 99u);
    EXPECT_EQ(m.size(), 99u);
}

// Inside update, reads of the map see the contents before the batch; a write member of
// the same map throws (it would deadlock) and the batch is not published.
TEST(CowMap, WriteFromInsideUpdateThrows) {
    map_t m(3);
    m.store(1, 1);
    EXPECT_THROW(m.update([&](map_t::builder& b) {
        b.store(1, 2);
        EXPECT_EQ(m.load(1), 1u);
        EXPECT_EQ(m.snapshot().load(1), 1u);
        m.store(3, 3);
    }),
                 std::logic_error);
    EXPECT_EQ(m.load(1), 1u);
    EXPECT_FALSE(m.contains(3));
    m.store(3, 3);  // the map is usable afterwards
    EXPECT_EQ(m.load(3), 3u);
}

// range walks the contents at its start: the callback's writes are not yielded, and each
// key comes with its value at the start.
TEST(CowMap, RangeWalksTheContentsAtItsStart) {
    map_t m(3);
    for (u64 i = 0; i < 2000; ++i) m.store(i, i);
    std::map<u64, u64> seen;
    m.range([&](u64 k, u64 v) {
        EXPECT_TRUE(seen.emplace(k, v).second);
        EXPECT_EQ(v, k);
        m.store(k + 10000, 1);
        m.store((k + 1) % 2000, 77);
        m.erase((k + 2) % 2000);
    });
    EXPECT_EQ(seen.size(), 2000u);
}

TEST(CowMap, HeterogeneousLookup) {
    syncmap::cow_map<std::string, int, syncmap::hash<std::string>, std::equal_to<>> m;
    m.store("alpha", 1);
    m.store(std::string(100, 'x'), 2);
    const std::string_view alpha = "alpha";
    EXPECT_EQ(m.load(alpha), 1);
    EXPECT_TRUE(m.contains("alpha"));
    const auto s = m.snapshot();
    EXPECT_EQ(s.load(alpha), 1);
    EXPECT_NE(s.find("alpha"), s.end());
    m.update([&](auto& b) { EXPECT_TRUE(b.erase(alpha)); });
    EXPECT_FALSE(m.contains("alpha"));
    EXPECT_TRUE(s.contains("alpha"));
    EXPECT_TRUE(m.erase(std::string_view(std::string(100, 'x'))));
    EXPECT_TRUE(m.empty());
}

// H1: keys crafted to collide under std::hash (multiples of 2^32) stay spread out.
TEST(CowMap, CraftedKeysDoNotCluster) {
    map_t m;
    m.update([](map_t::builder& b) {
        for (u64 i = 0; i < 20000; ++i) b.store(i << 32, i);
    });
    EXPECT_LE(m.debug_state().max_probe_groups, 16u);
}

// Instances alive, to check reclamation.
struct counted {
    static inline std::atomic<long> live{0};
    explicit counted(u64 x = 0) : v(x) { ++live; }
    counted(const counted& o) : v(o.v) { ++live; }
    ~counted() { --live; }
    counted& operator=(const counted&) = default;
    bool operator==(const counted& o) const { return v == o.v; }
    u64 v;
};

// A live snapshot retains exactly what was overwritten or erased since it was taken, and
// releases it when destroyed; the map's end frees everything once no snapshot is left.
TEST(CowMap, SnapshotsRetainOnlyWhatChangedSince) {
    using cmap = syncmap::cow_map<u64, counted>;
    syncmap::detail::rcu_barrier();
    const long base = counted::live;
    auto m = std::make_unique<cmap>(3);
    for (u64 i = 0; i < 500; ++i) m->store(i, counted(i));
    syncmap::detail::rcu_barrier();
    EXPECT_EQ(counted::live - base, 500);
    EXPECT_EQ(m->debug_state().versions_retained, 1u);

    auto s = std::make_unique<cmap::snapshot_type>(m->snapshot());
    for (u64 i = 0; i < 100; ++i) m->store(i, counted(i + 1));   // overwrites
    for (u64 i = 100; i < 150; ++i) m->erase(i);                 // erasures
    for (u64 i = 500; i < 520; ++i) m->store(i, counted(i));     // new keys
    syncmap::detail::rcu_barrier();
    EXPECT_EQ(counted::live - base, 500 + 100 + 20);  // current 470 + retained 150
    EXPECT_EQ(m->debug_state().versions_retained, 171u);
    s.reset();
    syncmap::detail::rcu_barrier();
    EXPECT_EQ(counted::live - base, 470);
    EXPECT_EQ(m->debug_state().versions_retained, 1u);

    s = std::make_unique<cmap::snapshot_type>(m->snapshot());
    m.reset();
    syncmap::detail::rcu_barrier();
    EXPECT_EQ(counted::live - base, 470);  // the snapshot keeps the last contents
    EXPECT_EQ(s->size(), 470u);
    s.reset();
    EXPECT_EQ(counted::live, base);
}

// CW1 / L2 / L3: while a writer is parked holding the writers' mutex, reads, snapshots,
// ranges and writes that change nothing all complete. If any of them took the mutex,
// this test would hang.
TEST(CowMap, ReadersNeverWaitForAParkedWriter) {
    syncmap::cow_map<u64, u64, syncmap::hash<u64>, parking_equal> m(5);
    for (u64 i = 0; i < 100; ++i) m.store(i, i);
    parking_equal::gate gate;
    parking_equal::g = &gate;
    std::thread writer([&] {
        gate.who = std::this_thread::get_id();
        gate.armed = true;
        m.store(7, 70);  // compares key 7 under the mutex: parks
    });
    gate.parked.wait();
    for (u64 i = 0; i < 100; ++i) {
        EXPECT_EQ(m.load(i), i);
        EXPECT_TRUE(m.contains(i));
        EXPECT_TRUE(m.visit(i, [&](u64 v) { EXPECT_EQ(v, i); }));
        EXPECT_EQ(m.load_or_store(i, 0), std::make_pair(i, true));
        EXPECT_FALSE(m.compare_and_swap(i, i + 1, 0));
        EXPECT_FALSE(m.compare_and_delete(i, i + 1));
    }
    EXPECT_FALSE(m.erase(1000));
    EXPECT_EQ(m.load_and_delete(1000), std::nullopt);
    const auto s = m.snapshot();
    EXPECT_EQ(s.size(), 100u);
    std::size_t ranged = 0;
    m.range([&](u64, u64) { ++ranged; });
    EXPECT_EQ(ranged, 100u);
    EXPECT_EQ(m.size(), 100u);
    gate.release.count_down();
    writer.join();
    parking_equal::g = nullptr;
    EXPECT_EQ(m.load(7), 70u);
    EXPECT_EQ(s.load(7), 7u);
}

}  // namespace
