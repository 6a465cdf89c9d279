// syncmap/detail/entry_buffer.hpp - the per-traversal buffer of one leaf's entries.
//
// A traversal copies one leaf's node pointers at a time. A default leaf has 128 slots, so
// the buffer keeps 128 pointers inline (on the traversal's stack: no allocation per range
// or per scan chunk) and moves to the heap only for leaves grown by a degenerate hash.
// Not shared between traversals: a callback may start another traversal of the same map.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>

namespace syncmap::detail {

template <class T, std::size_t InlineCapacity>
class entry_buffer {
public:
    entry_buffer() = default;
    entry_buffer(const entry_buffer&) = delete;
    entry_buffer& operator=(const entry_buffer&) = delete;

    void clear() noexcept { size_ = 0; }
    // May throw std::bad_alloc when a leaf outgrows the inline capacity.
    void push_back(T value) {
        if (size_ == capacity_) grow();
        data_[size_++] = value;
    }
    void resize_down(std::size_t n) noexcept { size_ = n; }

    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    T* begin() noexcept { return data_; }
    T* end() noexcept { return data_ + size_; }
    T& operator[](std::size_t i) noexcept { return data_[i]; }
    const T& operator[](std::size_t i) const noexcept { return data_[i]; }

private:
    void grow() {
        const std::size_t bigger = capacity_ * 2;
        std::unique_ptr<T[]> fresh(new T[bigger]);
        std::copy(data_, data_ + size_, fresh.get());
        heap_ = std::move(fresh);
        data_ = heap_.get();
        capacity_ = bigger;
    }

    T inline_[InlineCapacity];
    std::unique_ptr<T[]> heap_;
    T* data_ = inline_;
    std::size_t size_ = 0;
    std::size_t capacity_ = InlineCapacity;
};

}  // namespace syncmap::detail
