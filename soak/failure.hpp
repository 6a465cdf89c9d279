// The first check that fails ends the soak: its message is printed at once, every thread
// sees failed() and winds down, and the program exits non-zero with that message.
#pragma once

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <mutex>
#include <string>

namespace syncmap::soak {

class failure_record {
public:
    // printf-style. Thread-safe; only the first message is kept (later ones are printed).
    [[gnu::format(printf, 2, 3)]] void fail(const char* fmt, ...) {
        char buf[1024];
        va_list args;
        va_start(args, fmt);
        std::vsnprintf(buf, sizeof buf, fmt, args);
        va_end(args);
        std::lock_guard<std::mutex> lock(mutex_);
        std::fprintf(stderr, "soak: CHECK FAILED: %s\n", buf);
        if (!failed_.load(std::memory_order_relaxed)) first_ = buf;
        failed_.store(true, std::memory_order_release);
    }
    bool failed() const noexcept { return failed_.load(std::memory_order_acquire); }
    std::string first_message() const {
        std::lock_guard<std::mutex> lock(mutex_);
        return first_;
    }

private:
    mutable std::mutex mutex_;
    std::string first_;
    std::atomic<bool> failed_{false};
};

}  // namespace syncmap::soak
