// tests/counting_global_new.hpp - replaces the global operator new and delete with ones
// that count the calling thread's allocations in `allocations` (malloc underneath, so
// nothing else changes). For tests that check a member allocates nothing, or a known
// number of times. Include it in exactly one .cpp of a test binary, first (a program may
// replace these operators only once; tests/replaced_global_new.hpp explains).
#pragma once

#include <cstddef>
#include <cstdlib>
#include <new>

namespace {
thread_local std::size_t allocations = 0;
}  // namespace

void* counted_allocate(std::size_t n, std::size_t alignment) {
    ++allocations;
    if (n == 0) n = 1;
    void* p = nullptr;
    if (alignment <= alignof(std::max_align_t)) {
        p = std::malloc(n);
    } else if (posix_memalign(&p, alignment, n) != 0) {
        p = nullptr;
    }
    if (p == nullptr) throw std::bad_alloc();
    return p;
}
void counted_free(void* p) noexcept { std::free(p); }

#include "replaced_global_new.hpp"
