// Values that name their key: every value a soak writer stores encodes (key, sequence
// number), so any reader can tell a torn, foreign or invented value from a real one, and
// an owner can tell which of its own writes a value is.
//
// Sequence numbers come from the owning slot's counter (never 0, never reused), so a value
// once replaced is never current again: a compare_and_swap with it must fail.
#pragma once

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <string>

namespace syncmap::soak {

// Keys are below 2^24 (options.cpp enforces it); the sequence number takes the other 40 bits.
inline constexpr unsigned key_bits = 24;
inline constexpr std::uint64_t key_mask = (std::uint64_t{1} << key_bits) - 1;

template <class V>
struct value_codec;

// uint64 values (inline entries): (sequence << 24) | key.
template <>
struct value_codec<std::uint64_t> {
    static std::uint64_t encode(std::uint64_t key, std::uint64_t seq) noexcept { return (seq << key_bits) | key; }
    // The sequence number the value carries for `key`, or 0 if it is not a value of `key`.
    static std::uint64_t decode(std::uint64_t key, std::uint64_t value) noexcept {
        if ((value & key_mask) != key) return 0;
        return value >> key_bits;
    }
    static std::string show(std::uint64_t value) { return "0x" + hex(value); }
    static std::string hex(std::uint64_t v) {
        char buf[20];
        std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
        return buf;
    }
};

// std::string values (nodes): "k<key>/s<seq>/" padded with '.' to 40 characters, past the
// small-string buffer, so every value is a heap block of its own.
template <>
struct value_codec<std::string> {
    static constexpr std::size_t length = 40;
    static std::string encode(std::uint64_t key, std::uint64_t seq) {
        char buf[length + 1];
        int n = std::snprintf(buf, sizeof buf, "k%llu/s%llu/", static_cast<unsigned long long>(key),
                              static_cast<unsigned long long>(seq));
        std::string s(buf, static_cast<std::size_t>(n));
        s.resize(length, '.');
        return s;
    }
    static std::uint64_t decode(std::uint64_t key, const std::string& value) noexcept {
        if (value.size() != length || value[0] != 'k') return 0;
        const char* p = value.data() + 1;
        const char* end = value.data() + value.size();
        std::uint64_t k = 0, seq = 0;
        auto r = std::from_chars(p, end, k);
        if (r.ec != std::errc() || k != key || r.ptr + 2 > end || r.ptr[0] != '/' || r.ptr[1] != 's') return 0;
        r = std::from_chars(r.ptr + 2, end, seq);
        if (r.ec != std::errc() || r.ptr == end || *r.ptr != '/') return 0;
        for (const char* q = r.ptr + 1; q != end; ++q) {
            if (*q != '.') return 0;
        }
        return seq;
    }
    static std::string show(const std::string& value) { return "\"" + value.substr(0, 60) + "\""; }
};

}  // namespace syncmap::soak
