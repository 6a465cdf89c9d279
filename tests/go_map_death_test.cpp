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
#include <thread>
#include <utility>

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

}  // namespace
