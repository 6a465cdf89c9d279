// syncmap/tiebreak_hash.hpp - the second key hash that orders keys sharing all 64 bits of
// their map hash (clause C2).
//
// sync_map's traversals walk keys in ascending order of their seeded 64-bit hash, and a
// cursor is a position in that order (cursor.hpp). A weak or constant user hash makes runs
// of keys with equal hashes; a cursor that could only name a hash could then not stop
// inside such a run, and a pass stopped there (a callback returning false, a fired stop
// token, a chunk cut) would have to skip the rest of the run or offer it again. The
// tiebreak hash extends the order: keys are ordered by (hash, tiebreak), and a cursor names
// such a pair.
//
// It must not depend on the map's Hash (which is what collided), must be a pure function
// of the key's value, equal for keys that are equal, and noexcept. syncmap provides it for
//   - keys with unique object representations (integers, enums, pointers, structs of them
//     without padding): their bytes, with a keyed bijection for keys of up to 8 bytes (two
//     distinct such keys never tie);
//   - float and double: their bits, -0.0 taken as +0.0 (the two are equal keys);
//   - keys that convert to std::string_view (std::string, std::string_view): their chars;
//   - std::pair and std::tuple of such keys.
// Specialize syncmap::tiebreak_hash<K> for other key types (with a call operator
// `std::uint64_t operator()(const K&, std::uint64_t seed) const noexcept`). Without one,
// keys sharing all 64 hash bits are told apart by their rank in the leaf instead, which is
// exact only while that run of keys is not written between two calls of a pass
// (GUARANTEES.md, C2).
#pragma once

#include "detail/config.hpp"

#include <concepts>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "hash.hpp"

namespace syncmap {

// Undefined call operator: no tiebreak for K (see above).
template <class K, class = void>
struct tiebreak_hash {};

namespace detail {

// Makes the tiebreak independent of the map hash even where both read the same bytes.
inline constexpr std::uint64_t tiebreak_salt = 0x6a09e667f3bcc909ULL;

template <class K>
concept has_tiebreak_hash = requires(const tiebreak_hash<K>& t, const K& key, std::uint64_t seed) {
    { t(key, seed) } noexcept -> std::convertible_to<std::uint64_t>;
};

template <class K>
inline constexpr bool bytewise_key = std::is_trivially_copyable_v<K> && std::has_unique_object_representations_v<K> &&
                                     !std::is_convertible_v<const K&, std::string_view>;

}  // namespace detail

template <class K>
struct tiebreak_hash<K, std::enable_if_t<detail::bytewise_key<K>>> {
    std::uint64_t operator()(const K& key, std::uint64_t seed) const noexcept {
        if constexpr (sizeof(K) <= sizeof(std::uint64_t)) {
            std::uint64_t bits = 0;
            std::memcpy(&bits, &key, sizeof(K));
            return detail::mix64(bits ^ seed ^ detail::tiebreak_salt);  // a bijection of the bits
        } else {
            return detail::hash_bytes(&key, sizeof(K), seed ^ detail::tiebreak_salt);
        }
    }
};

template <class K>
struct tiebreak_hash<K, std::enable_if_t<std::is_floating_point_v<K> && sizeof(K) <= sizeof(std::uint64_t)>> {
    std::uint64_t operator()(K key, std::uint64_t seed) const noexcept {
        if (key == K{}) key = K{};  // -0.0 == +0.0: equal keys, equal tiebreaks
        std::uint64_t bits = 0;
        std::memcpy(&bits, &key, sizeof(K));
        return detail::mix64(bits ^ seed ^ detail::tiebreak_salt);
    }
};

template <class K>
struct tiebreak_hash<K, std::enable_if_t<std::is_convertible_v<const K&, std::string_view>>> {
    std::uint64_t operator()(const K& key, std::uint64_t seed) const noexcept {
        const std::string_view s = key;
        return detail::hash_bytes(s.data(), s.size(), seed ^ detail::tiebreak_salt);
    }
};

template <class... Ts>
    requires(detail::has_tiebreak_hash<Ts> && ...)
struct tiebreak_hash<std::tuple<Ts...>> {
    std::uint64_t operator()(const std::tuple<Ts...>& key, std::uint64_t seed) const noexcept {
        return std::apply(
            [&](const Ts&... part) {
                std::uint64_t h = seed;
                ((h = detail::mix64(h ^ tiebreak_hash<Ts>{}(part, seed))), ...);
                return h;
            },
            key);
    }
};

template <class A, class B>
    requires(detail::has_tiebreak_hash<A> && detail::has_tiebreak_hash<B>)
struct tiebreak_hash<std::pair<A, B>> {
    std::uint64_t operator()(const std::pair<A, B>& key, std::uint64_t seed) const noexcept {
        return detail::mix64(detail::mix64(seed ^ tiebreak_hash<A>{}(key.first, seed)) ^
                             tiebreak_hash<B>{}(key.second, seed));
    }
};

}  // namespace syncmap
