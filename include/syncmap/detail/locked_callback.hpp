// syncmap/detail/locked_callback.hpp - detects a user callback that calls back into the
// map whose lock it runs under (which would deadlock on that lock).
#pragma once

#include <stdexcept>
#include <string>

namespace syncmap::detail {

// One frame per callback this thread runs while holding a lock of `map` (sync_map's
// compute, load_or_compute, erase_if). Frames form a per-thread stack through `outer_`: a
// callback may use another map, whose own callbacks push their frames on top.
class locked_callback_frame {
public:
    explicit locked_callback_frame(const void* map) noexcept : map_(map), outer_(innermost()) { innermost() = this; }
    ~locked_callback_frame() { innermost() = outer_; }
    locked_callback_frame(const locked_callback_frame&) = delete;
    locked_callback_frame& operator=(const locked_callback_frame&) = delete;

    // Throws std::logic_error naming `member` if this thread runs a callback under a lock of
    // `map`. O(depth of nested callbacks): one thread-local load when there is none.
    static void forbid_reentry(const void* map, const char* member) {
        for (const locked_callback_frame* f = innermost(); f != nullptr; f = f->outer_) {
            if (f->map_ == map) {
                throw std::logic_error(std::string(member) +
                                       ": called from inside a callback that runs under a lock of the same map "
                                       "(compute, load_or_compute or erase_if); it would deadlock. Such a "
                                       "callback may only read the map (load, contains, visit, range, scan, size)");
            }
        }
    }

    // Whether this thread runs a callback under a lock of `map` (for members that cannot
    // throw, such as a snapshot's destructor).
    static bool active(const void* map) noexcept {
        for (const locked_callback_frame* f = innermost(); f != nullptr; f = f->outer_) {
            if (f->map_ == map) return true;
        }
        return false;
    }

private:
    // Constant-initialised and trivially destructible: no guard, no registration.
    static const locked_callback_frame*& innermost() noexcept {
        static thread_local const locked_callback_frame* top = nullptr;
        return top;
    }

    const void* map_;
    const locked_callback_frame* outer_;
};

}  // namespace syncmap::detail
