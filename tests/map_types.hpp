// tests/map_types.hpp - the key and value types the typed tests run on, and how to build
// them from numbers and back (`codec`), shared by the API suite and the sync_map tests.
//
// sync_map stores entries inline in its leaves' slots or in heap nodes (storage.hpp). The
// typed tests run on both:
//   - uint64 -> uint64                inline (storage::automatic picks it)
//   - uint64 -> uint64, storage::nodes  the same keys and values, in nodes (forced)
//   - small_key -> small_value         inline: a struct key and a struct value with padding,
//                                      16 bytes together, copied bytewise into slots
//   - std::string keys or values       nodes
// `storage_name<Map>()` says which one a map type uses, for test names.
#pragma once

#include <syncmap/storage.hpp>

#include <charconv>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace syncmap_test {

// An 8-byte key made of two words (no std::hash of its own but the one below, so the map
// mixes std::hash with its seed).
struct small_key {
    std::uint32_t hi;
    std::uint32_t lo;
    friend bool operator==(const small_key&, const small_key&) = default;
};

// An 8-byte value with one byte of padding: 48 bits of number and a check byte derived from
// them, so a value assembled from two different writes (a torn read) is detected by
// codec<small_value>::id. The padding byte is copied bytewise but never compared.
struct small_value {
    std::uint32_t lo;
    std::uint16_t hi;
    std::uint8_t check;
    friend bool operator==(const small_value&, const small_value&) = default;
};
static_assert(sizeof(small_value) == 8 && sizeof(small_key) + sizeof(small_value) == 16);
static_assert(syncmap::storage::inlinable<small_key, small_value>);

constexpr std::uint8_t small_check(std::uint64_t n) noexcept {
    return static_cast<std::uint8_t>((n * 0x9e3779b97f4a7c15ULL) >> 56);
}

}  // namespace syncmap_test

template <>
struct std::hash<syncmap_test::small_key> {
    std::size_t operator()(const syncmap_test::small_key& k) const noexcept {
        return std::hash<std::uint64_t>{}((std::uint64_t{k.hi} << 32) | k.lo);
    }
};

namespace syncmap_test {

// Builds keys and values from numbers and back, injectively, for every type the suites
// support. String forms mix short strings (kept inline by std::string) and long ones
// (heap-allocated), so both copy paths are exercised.
template <class T>
struct codec;

template <std::unsigned_integral T>
struct codec<T> {
    static T make(std::uint64_t n) { return static_cast<T>(n); }
    static std::uint64_t id(T value) { return static_cast<std::uint64_t>(value); }
};

template <>
struct codec<std::string> {
    static std::string make(std::uint64_t n) {
        std::string s = std::to_string(n);
        if (n % 3 == 0) s += "/a suffix long enough to leave small-string storage";
        return s;
    }
    static std::uint64_t id(const std::string& s) {
        std::uint64_t n = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if (ec != std::errc{}) throw std::invalid_argument("not a codec string: " + s);
        (void)end;
        return n;
    }
};

// Every 64-bit number.
template <>
struct codec<small_key> {
    static small_key make(std::uint64_t n) {
        return {static_cast<std::uint32_t>(n >> 32), static_cast<std::uint32_t>(n)};
    }
    static std::uint64_t id(const small_key& k) { return (std::uint64_t{k.hi} << 32) | k.lo; }
};

// Numbers below 2^48 (larger ones keep their low 48 bits).
template <>
struct codec<small_value> {
    static small_value make(std::uint64_t n) {
        n &= (std::uint64_t{1} << 48) - 1;
        return {static_cast<std::uint32_t>(n), static_cast<std::uint16_t>(n >> 32), small_check(n)};
    }
    static std::uint64_t id(const small_value& v) {
        const std::uint64_t n = (std::uint64_t{v.hi} << 32) | v.lo;
        if (v.check != small_check(n)) throw std::invalid_argument("torn small_value: check byte does not match");
        return n;
    }
};

template <class T>
T make(std::uint64_t n) {
    return codec<T>::make(n);
}

template <class T>
std::uint64_t id_of(const T& value) {
    return codec<T>::id(value);
}

// Readable instantiation names: "u64_u64", "string_u64", "skey_sval", ...
template <class T>
std::string type_tag() {
    if constexpr (std::is_same_v<T, std::string>) {
        return "string";
    } else if constexpr (std::is_same_v<T, small_key>) {
        return "skey";
    } else if constexpr (std::is_same_v<T, small_value>) {
        return "sval";
    } else {
        return "u" + std::to_string(8 * sizeof(T));
    }
}

// "inline" or "nodes" for a sync_map (which says so through inline_storage); "" otherwise.
template <class Map>
std::string storage_name() {
    if constexpr (requires { Map::inline_storage; }) {
        return Map::inline_storage ? "inline" : "nodes";
    } else {
        return "";
    }
}

struct map_type_names {
    template <class Map>
    static std::string GetName(int index) {
        const std::string storage = storage_name<Map>();
        return type_tag<typename Map::key_type>() + "_" + type_tag<typename Map::mapped_type>() +
               (storage.empty() ? "" : "_" + storage) + "_" + std::to_string(index);
    }
};

}  // namespace syncmap_test
