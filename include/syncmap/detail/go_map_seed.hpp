// syncmap/detail/go_map_seed.hpp - cheap per-map random seeds for go_map.
//
// Every go_map draws two secret 64-bit values at construction: its hash seed (H1) and the
// start of its iteration sequence (G2). detail::random_seed() constructs a
// std::random_device per call, which costs microseconds: more than building a small map.
// So each thread seeds a generator once from random_seed() and then draws from it: a Weyl
// sequence finalised by mix64 (splitmix64), which gives distinct, well-mixed values per
// draw. The values stay unpredictable to anyone who cannot read the process's memory,
// which is what flooding resistance needs; they are not for cryptography.
#pragma once

#include <syncmap/hash.hpp>

#include <cstdint>

namespace syncmap::detail {

inline std::uint64_t go_map_random() {
    thread_local std::uint64_t state = random_seed();
    state += 0x9e3779b97f4a7c15ULL;
    return mix64(state);
}

}  // namespace syncmap::detail
