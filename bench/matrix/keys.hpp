// bench/matrix/keys.hpp - the keys and key streams of the benchmark matrix, defined so that
// any runtime can regenerate them bit for bit (bench/peers/go and bench/peers/java do).
//
// Keys are numbered. Key i is splitmix64's output for state seed + (i + 1) * gamma, so it
// can be computed from i alone, and distinct numbers give distinct keys (the mix is a
// bijection of the 64-bit state, and distinct i below 2^64 give distinct states). Three
// ranges of numbers:
//   [0, n)                     the n keys a map of size n holds (sizes are nested: growing a
//                              map from n1 to n2 stores numbers n1 .. n2-1)
//   miss_base + [0, n)         absent keys for read-only misses
//   churn_base + [0, 2^20)     absent keys the churn mix inserts and erases
// The value stored under key number i is value_of_number(i) = key(i) ^ value_mask.
//
// String keys: "key:0" followed by the uint64 key in 16 lower-case hex digits (21
// characters, past libstdc++'s 15-character inline buffer, so every key owns a heap block).
// The formatting is a bijection, so string keys are as distinct as the numbers.
//
// Streams: 2^20 key numbers drawn before timing from a splitmix64 sequence of their own:
//   uniform  number = ((x >> 32) * n) >> 32          (bias at most n / 2^32)
//   zipf     YCSB's generator (Gray et al., "Quickly generating billion-record synthetic
//            databases", 1994) with theta = 0.99 over ranks 0 .. n-1, rank r -> number r;
//            u = (x >> 11) * 2^-53. The keys are random, so hot ranks are spread over the
//            hash space.
// A stream's digest (the wrapping sum of its numbers) is printed by every runtime, so the
// report can show that every runtime ran the same keys.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace syncmap_matrix {

inline constexpr std::uint64_t key_seed = 0x243f6a8885a308d3ULL;
inline constexpr std::uint64_t golden_gamma = 0x9e3779b97f4a7c15ULL;
inline constexpr std::uint64_t value_mask = 0x5bd1e9955bd1e995ULL;
inline constexpr std::uint64_t miss_base = std::uint64_t{1} << 40;
inline constexpr std::uint64_t churn_base = std::uint64_t{1} << 41;
inline constexpr std::size_t stream_size = std::size_t{1} << 20;
inline constexpr std::size_t stream_mask = stream_size - 1;
inline constexpr double zipf_theta = 0.99;

constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// Key number i as a uint64 key.
constexpr std::uint64_t key_of_number(std::uint64_t i) noexcept { return mix64(key_seed + (i + 1) * golden_gamma); }
constexpr std::uint64_t value_of_number(std::uint64_t i) noexcept { return key_of_number(i) ^ value_mask; }

inline std::string string_key_of(std::uint64_t key) {
    char text[32];
    std::snprintf(text, sizeof text, "key:0%016llx", static_cast<unsigned long long>(key));
    return text;
}

// Key number i in the key type of a map.
template <class Key>
Key key_as(std::uint64_t number);
template <>
inline std::uint64_t key_as<std::uint64_t>(std::uint64_t number) { return key_of_number(number); }
template <>
inline std::string key_as<std::string>(std::uint64_t number) { return string_key_of(key_of_number(number)); }

// A splitmix64 sequence: the source of every random draw.
struct splitmix {
    std::uint64_t state;
    std::uint64_t next() noexcept { return mix64(state += golden_gamma); }
};

enum class distribution { uniform, zipf };
inline const char* name_of(distribution d) { return d == distribution::uniform ? "uniform" : "zipf"; }

// YCSB's Zipfian generator over ranks [0, n). zeta(n) is summed in rank order, in double
// precision, as the other runtimes do.
class zipf_ranks {
public:
    explicit zipf_ranks(std::uint64_t n) : n_(n) {
        double zetan = 0;
        for (std::uint64_t i = 1; i <= n; ++i) zetan += 1.0 / std::pow(static_cast<double>(i), zipf_theta);
        const double zeta2 = 1.0 + 1.0 / std::pow(2.0, zipf_theta);
        zetan_ = zetan;
        alpha_ = 1.0 / (1.0 - zipf_theta);
        eta_ = (1.0 - std::pow(2.0 / static_cast<double>(n), 1.0 - zipf_theta)) / (1.0 - zeta2 / zetan);
        half_pow_theta_ = 1.0 + std::pow(0.5, zipf_theta);
    }
    std::uint64_t rank(std::uint64_t x) const {
        const double u = static_cast<double>(x >> 11) * 0x1.0p-53;
        const double uz = u * zetan_;
        if (uz < 1.0) return 0;
        if (uz < half_pow_theta_) return 1;
        const auto r = static_cast<std::uint64_t>(static_cast<double>(n_) * std::pow(eta_ * u - eta_ + 1.0, alpha_));
        return r < n_ ? r : n_ - 1;
    }

private:
    std::uint64_t n_;
    double zetan_, alpha_, eta_, half_pow_theta_;
};

// The seeds of the stream sequences, one per purpose.
inline constexpr std::uint64_t hit_stream_seed = 0x13198a2e03707344ULL;
inline constexpr std::uint64_t miss_stream_seed = 0xa4093822299f31d0ULL;

// 2^20 key numbers drawn from [base, base + n) with the distribution; zipf_ranks is passed
// in because its setup sums n terms.
inline std::vector<std::uint64_t> draw_numbers(std::uint64_t n, distribution d, const zipf_ranks* zipf,
                                               std::uint64_t seed, std::uint64_t base) {
    std::vector<std::uint64_t> out;
    out.reserve(stream_size);
    splitmix rng{seed ^ n};
    for (std::size_t i = 0; i < stream_size; ++i) {
        const std::uint64_t x = rng.next();
        const std::uint64_t r = d == distribution::uniform ? ((x >> 32) * n) >> 32 : zipf->rank(x);
        out.push_back(base + r);
    }
    return out;
}

inline std::uint64_t digest(const std::vector<std::uint64_t>& numbers) {
    std::uint64_t sum = 0;
    for (std::uint64_t v : numbers) sum += v;
    return sum;
}

template <class Key>
std::vector<Key> keys_of(const std::vector<std::uint64_t>& numbers) {
    std::vector<Key> out;
    out.reserve(numbers.size());
    for (std::uint64_t v : numbers) out.push_back(key_as<Key>(v));
    return out;
}

// The churn keys: churn_base + [0, 2^20) in order; thread t of a cell owns the slice
// [t * 2^17, (t + 1) * 2^17), so up to 8 threads never share a key.
inline constexpr std::size_t churn_slice = stream_size / 8;
inline std::vector<std::uint64_t> churn_numbers() {
    std::vector<std::uint64_t> out(stream_size);
    for (std::size_t i = 0; i < stream_size; ++i) out[i] = churn_base + i;
    return out;
}

}  // namespace syncmap_matrix
