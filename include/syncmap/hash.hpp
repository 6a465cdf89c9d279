// syncmap/hash.hpp - seeded, avalanching hashes for every syncmap container.
//
// Why (clause H1): every traversal and cursor in syncmap works in hash order, and the
// containers index their directory by the hash's top bits and their leaves by its low
// bits. std::hash of an integer is the identity on libstdc++, so keys such as multiples of
// 2^32 would all share a directory slot, and std::hash<std::string> uses a fixed seed, so
// anyone can craft colliding strings offline. Each map therefore draws a random seed and
// hashes through `syncmap::hash<K>`, which
//   - for integers, pointers and enums: mixes the value with the seed (a keyed bijection,
//     so distinct keys never collide in the full 64 bits);
//   - for strings: a seeded hash over the bytes (not std::hash), so collisions crafted
//     without the seed do not carry over;
//   - otherwise: mixes std::hash<K> with the seed.
// A user-supplied Hash (one without the seeded call operator) is still mixed with the
// map's seed by `detail::seeded_hash`, which defends against weak low bits but, of course,
// not against keys on which the user's hash itself collides.
#pragma once

#include "detail/config.hpp"

#include <atomic>
#include <bit>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <type_traits>

namespace syncmap {

namespace detail {

// A 64-bit bijective finaliser (xor-shift-multiply, constants from the murmur3/splitmix
// family); every input bit affects every output bit.
constexpr std::uint64_t mix64(std::uint64_t x) noexcept {
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    x *= 0xd6e8feb86659fd93ULL;
    x ^= x >> 32;
    return x;
}

// 64x64 -> 128 multiply folded to 64 bits: the core step of the byte hash below.
__extension__ typedef unsigned __int128 uint128;  // __extension__: quiet under -Wpedantic

inline std::uint64_t fold_multiply(std::uint64_t a, std::uint64_t b) noexcept {
    const uint128 r = static_cast<uint128>(a) * b;
    return static_cast<std::uint64_t>(r) ^ static_cast<std::uint64_t>(r >> 64);
}

inline std::uint64_t read64(const unsigned char* p) noexcept {
    std::uint64_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

inline std::uint64_t read32(const unsigned char* p) noexcept {
    std::uint32_t v;
    std::memcpy(&v, p, sizeof v);
    return v;
}

// Seeded hash of a byte string: 16 bytes per folded multiply, the length folded in so
// that prefixes differ. Keyed by `seed`, so a collision set built for one seed is useless
// against another.
inline std::uint64_t hash_bytes(const void* data, std::size_t len, std::uint64_t seed) noexcept {
    constexpr std::uint64_t k0 = 0xa0761d6478bd642fULL;
    constexpr std::uint64_t k1 = 0xe7037ed1a0b428dbULL;
    constexpr std::uint64_t k2 = 0x8ebc6af09c88c6e3ULL;
    const auto* p = static_cast<const unsigned char*>(data);
    std::uint64_t h = seed ^ k0 ^ fold_multiply(seed ^ k1, len ^ k2);
    std::size_t n = len;
    while (n > 16) {
        h = fold_multiply(read64(p) ^ k1, read64(p + 8) ^ h);
        p += 16;
        n -= 16;
    }
    std::uint64_t a = 0;
    std::uint64_t b = 0;
    if (n >= 8) {
        a = read64(p);
        b = read64(p + n - 8);
    } else if (n >= 4) {
        a = read32(p);
        b = read32(p + n - 4);
    } else if (n > 0) {
        a = (std::uint64_t{p[0]} << 16) | (std::uint64_t{p[n >> 1]} << 8) | p[n - 1];
    }
    return mix64(fold_multiply(a ^ k1 ^ h, b ^ k2 ^ len));
}

// A fresh random seed per map: std::random_device, spread by a counter so two maps made
// in the same nanosecond still differ even if random_device were deterministic.
inline std::uint64_t random_seed() {
    static std::atomic<std::uint64_t> counter{0};
    std::random_device rd;
    const std::uint64_t r = (std::uint64_t{rd()} << 32) ^ rd();
    return mix64(r + counter.fetch_add(0x9e3779b97f4a7c15ULL, std::memory_order_relaxed));
}

}  // namespace detail

// The default hash of every syncmap container. Call it with a seed; the one-argument form
// (seed 0) exists so that syncmap::hash also works as a plain std-style hasher.
template <class K>
concept std_hashable = requires(const K& key) {
    { std::hash<K>{}(key) } -> std::convertible_to<std::size_t>;
};

// Constrained, so that a K without std::hash<K> makes the hash unusable (which the
// containers report in one message) rather than an error inside it.
template <class K, class = void>
struct hash {
    std::uint64_t operator()(const K& key, std::uint64_t seed) const noexcept(noexcept(std::hash<K>{}(key)))
        requires std_hashable<K>
    {
        return detail::mix64(static_cast<std::uint64_t>(std::hash<K>{}(key)) ^ seed);
    }
    std::uint64_t operator()(const K& key) const noexcept(noexcept(std::hash<K>{}(key)))
        requires std_hashable<K>
    {
        return (*this)(key, 0);
    }
};

template <class K>
struct hash<K, std::enable_if_t<std::is_integral_v<K> || std::is_enum_v<K> || std::is_pointer_v<K>>> {
    std::uint64_t operator()(K key, std::uint64_t seed) const noexcept {
        std::uint64_t bits;
        if constexpr (std::is_pointer_v<K>) {
            bits = reinterpret_cast<std::uintptr_t>(key);
        } else if constexpr (std::is_enum_v<K>) {
            bits = static_cast<std::uint64_t>(static_cast<std::underlying_type_t<K>>(key));
        } else {
            bits = static_cast<std::uint64_t>(key);
        }
        return detail::mix64(bits ^ seed);
    }
    std::uint64_t operator()(K key) const noexcept { return (*this)(key, 0); }
};

// Strings: transparent, so that with the default equality (equal_to.hpp, transparent for
// strings too) a sync_map<std::string, V> is queried with a std::string_view or a
// const char* without building a std::string.
struct string_hash {
    using is_transparent = void;
    std::uint64_t operator()(std::string_view s, std::uint64_t seed) const noexcept {
        return detail::hash_bytes(s.data(), s.size(), seed);
    }
    std::uint64_t operator()(std::string_view s) const noexcept { return (*this)(s, 0); }
};

template <>
struct hash<std::string> : string_hash {};
template <>
struct hash<std::string_view> : string_hash {};

namespace detail {

template <class H, class K>
concept seeded_hasher = requires(const H& h, const K& k, std::uint64_t seed) {
    { h(k, seed) } -> std::convertible_to<std::uint64_t>;
};

// The map-side entry point: the hash a container stores and orders by.
template <class Hash, class K>
std::uint64_t seeded_hash(const Hash& h, const K& key, std::uint64_t seed) {
    if constexpr (seeded_hasher<Hash, K>) {
        return static_cast<std::uint64_t>(h(key, seed));
    } else {
        return mix64(static_cast<std::uint64_t>(h(key)) ^ seed);
    }
}

template <class T>
concept transparent = requires { typename T::is_transparent; };

// Whether a container can hash a Q with Hash (seeded or plain).
template <class Hash, class Q>
concept usable_hasher = seeded_hasher<Hash, Q> || requires(const Hash& h, const Q& q) {
    { h(q) } -> std::convertible_to<std::uint64_t>;
};

// Whether a container with this Hash and KeyEqual looks keys of type K up by a Q without
// building a K (both transparent, and both accept a Q); a Q that is K takes the K overload.
template <class Q, class K, class Hash, class KeyEqual>
concept heterogeneous_key =
    transparent<Hash> && transparent<KeyEqual> && !std::is_same_v<std::remove_cvref_t<Q>, K> &&
    usable_hasher<Hash, Q> && requires(const KeyEqual& eq, const K& k, const Q& q) {
        { eq(k, q) } -> std::convertible_to<bool>;
    };

}  // namespace detail

}  // namespace syncmap
