// syncmap/detail/go_map_checks.hpp - go_map's best-effort misuse detection (clause G3).
//
// Go's built-in map keeps a `writing` flag (hashWriting before Go 1.24): a write sets it
// after hashing the key and clears it when done; reads, writes and iterators that find it
// set end the process, because two threads are using the map at once. It is best-effort:
// an unlucky interleaving goes unnoticed, and a read that starts before a write begins is
// never caught. It exists because a silent data race in a hash map corrupts memory far
// from the bug, and a loud crash at the racing call is far cheaper to debug.
//
// The flag is a std::atomic<std::uint8_t> accessed with relaxed loads and stores only:
// on x86 and ARM these are the same plain byte moves Go uses, with no fence and no
// read-modify-write on the fast path, and being atomic they keep the detector itself free
// of data races, so ThreadSanitizer stays silent in correct use and in the deliberate
// misuse that the death tests provoke. Relaxed is enough: the flag carries no data; it is
// only ever compared with zero.
//
// Cost (bench/go_map_bench.cpp, checked against unchecked, each built twice as a control):
// within noise (under 5%) for every operation except lookups that hit in a map of a million
// uint64 entries, +10%: such lookups are limited by how many cache misses fit in flight, and
// the flag is one more load per lookup that the unchecked loop does not need. A compiler-
// opaque load, which lets the compiler keep the map's fields in registers, measured the same.
//
// Compiling with SYNCMAP_GO_MAP_CHECKS=0 removes the flag (go_write_flag<false> is empty).
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>

namespace syncmap::detail {

// Go's runtime.fatal: "fatal error: <msg>" on stderr, then the process ends. Not an
// exception: the map's memory may already be corrupt, and nothing may run on top of it.
[[noreturn]] [[gnu::cold]] [[gnu::noinline]] inline void go_map_fatal(const char* message) noexcept {
    std::fprintf(stderr, "fatal error: %s\n", message);
    std::fflush(stderr);
    std::abort();
}

// G3's three messages. Besides the write flag, every loop of go_map that a racing writer
// can corrupt (probe sequences, placement in a rebuild, the walk of a pass from leaf to
// leaf) is bounded by what a consistent map allows and ends with the message of the
// operation that met the corruption, so misuse that slips past the flag still ends in the
// fatal error instead of spinning or overrunning a buffer.
inline constexpr const char* go_msg_writes = "concurrent map writes";
inline constexpr const char* go_msg_read = "concurrent map read and map write";
inline constexpr const char* go_msg_iterate = "concurrent map iteration and map write";

template <bool Enabled>
class go_write_flag;

template <>
class go_write_flag<true> {
public:
    go_write_flag() noexcept = default;
    // Copying a map copies its contents, never its in-progress state.
    go_write_flag(const go_write_flag&) noexcept {}
    go_write_flag& operator=(const go_write_flag&) noexcept { return *this; }

    // Reads (find, at, count, contains) and iterator steps: nobody may be writing.
    void check_read() const noexcept {
        if (writing_.load(std::memory_order_relaxed) != 0) [[unlikely]] {
            go_map_fatal(go_msg_read);
        }
    }
    void check_iterate() const noexcept {
        if (writing_.load(std::memory_order_relaxed) != 0) [[unlikely]] {
            go_map_fatal(go_msg_iterate);
        }
    }
    // A write: nobody else may be writing when it starts, and the flag must still be ours
    // when it ends (another writer that started at the same instant clears it first).
    void begin_write() noexcept {
        if (writing_.load(std::memory_order_relaxed) != 0) [[unlikely]] {
            go_map_fatal(go_msg_writes);
        }
        writing_.store(1, std::memory_order_relaxed);
    }
    void end_write() noexcept {
        if (writing_.load(std::memory_order_relaxed) == 0) [[unlikely]] {
            go_map_fatal(go_msg_writes);
        }
        writing_.store(0, std::memory_order_relaxed);
    }
    bool writing() const noexcept { return writing_.load(std::memory_order_relaxed) != 0; }

private:
    // 0: no write in progress; 1: a write holds the map (set after hashing the key, as Go
    // does, so a throwing hash leaves it clear).
    std::atomic<std::uint8_t> writing_{0};
};

template <>
class go_write_flag<false> {
public:
    void check_read() const noexcept {}
    void check_iterate() const noexcept {}
    void begin_write() noexcept {}
    void end_write() noexcept {}
    bool writing() const noexcept { return false; }
};

// Holds the flag for the extent of one write; clears it on exception too, so a throwing
// copy or allocation does not leave the map looking busy forever.
template <bool Enabled>
class go_write_scope {
public:
    explicit go_write_scope(go_write_flag<Enabled>& flag) noexcept : flag_(flag) { flag_.begin_write(); }
    ~go_write_scope() { flag_.end_write(); }
    go_write_scope(const go_write_scope&) = delete;
    go_write_scope& operator=(const go_write_scope&) = delete;

private:
    go_write_flag<Enabled>& flag_;
};

}  // namespace syncmap::detail
