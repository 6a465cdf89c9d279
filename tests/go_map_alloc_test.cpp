// go_map G4: starting an iteration allocates nothing and is O(1).
//
// This binary replaces the global operator new and delete to count allocations made by
// the calling thread, so it must stay a separate executable. "O(1)" is checked through
// the iterator's documented state: begin() examines no slot (it is `pending`, with 0 slots
// scanned) even on a map whose only entry sits behind a million empty slots.
#include <syncmap/go_map.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <new>
#include <string>
#include <utility>

namespace {
thread_local std::size_t allocations = 0;

void* counted_alloc(std::size_t n, std::size_t align) {
    ++allocations;
    if (n == 0) {
        n = 1;
    }
    void* p = nullptr;
    if (align <= alignof(std::max_align_t)) {
        p = std::malloc(n);
    } else if (posix_memalign(&p, align, n) != 0) {
        p = nullptr;
    }
    if (p == nullptr) {
        throw std::bad_alloc();
    }
    return p;
}
}  // namespace

void* operator new(std::size_t n) { return counted_alloc(n, alignof(std::max_align_t)); }
void* operator new[](std::size_t n) { return counted_alloc(n, alignof(std::max_align_t)); }
void* operator new(std::size_t n, std::align_val_t a) { return counted_alloc(n, static_cast<std::size_t>(a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return counted_alloc(n, static_cast<std::size_t>(a)); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace {

using map_type = syncmap::go_map<std::uint64_t, std::string>;

TEST(GoMapG4, CountingWorks) {
    const std::size_t before = allocations;
    map_type m;
    m[1] = "x";
    EXPECT_GT(allocations, before) << "the allocation counter is not wired in";
}

TEST(GoMapG4, StartingAndRunningAPassAllocatesNothing) {
    map_type m;
    for (std::uint64_t i = 0; i < 50000; ++i) {
        m[i] = "a value too long for the small-string buffer";
    }
    const std::size_t before = allocations;
    std::size_t n = 0;
    {
        auto it = m.begin();
        EXPECT_EQ(allocations, before) << "begin() allocated";
        auto copy = it;  // a second pass pins the same leaf: no allocation either
        for (; it != m.end(); ++it) {
            n += it->second.size() > 0 ? 1 : 0;
        }
        for (const auto& kv : std::as_const(m)) {
            n += kv.first == 0 ? 1 : 0;
        }
        (void)m.find(7);
        (void)m.contains(8);
    }
    EXPECT_EQ(allocations, before) << "a pass or a lookup allocated";
    EXPECT_EQ(n, 50001u);
}

TEST(GoMapG4, BeginExaminesNoSlot) {
    map_type m;
    for (std::uint64_t i = 0; i < 1'000'000; ++i) {
        m[i];
    }
    for (std::uint64_t i = 1; i < 1'000'000; ++i) {
        m.erase(i);  // one entry left among ~1.2M empty slots
    }
    const std::size_t before = allocations;
    auto it = m.begin();
    EXPECT_EQ(allocations, before);
    const auto state = it.debug_state();
    EXPECT_TRUE(state.pending) << "begin() positioned itself: that is a scan, not O(1)";
    EXPECT_EQ(state.scanned, 0u);
    EXPECT_TRUE(state.pinned);
    EXPECT_FALSE(state.at_end);
    // The scan happens in the pass itself, charged to its steps (G4: a pass is O(capacity)).
    ASSERT_NE(it, m.end());
    EXPECT_EQ(it->first, 0u);
    EXPECT_FALSE(it.debug_state().pending);
    ++it;
    EXPECT_EQ(it, m.end());
    EXPECT_EQ(allocations, before);
}

TEST(GoMapG4, EmptyMapBeginIsEnd) {
    map_type m;
    const std::size_t before = allocations;
    EXPECT_EQ(m.begin(), m.end());
    EXPECT_TRUE(m.begin().debug_state().at_end);
    EXPECT_EQ(allocations, before);
}

}  // namespace
