// A key equality that, once armed for one thread, parks that thread inside its next
// comparison until released: a writer stopped while holding its map's lock (cow_map's
// writers' mutex, read_dirty_map's mu_), so a test can show which operations never wait
// for that lock. One gate at a time (tests are sequential).
#pragma once

#include <atomic>
#include <cstdint>
#include <latch>
#include <thread>

struct parking_equal {
    struct gate {
        std::atomic<bool> armed{false};
        std::thread::id who;
        std::latch parked{1};
        std::latch release{1};
    };
    static inline gate* g = nullptr;
    bool operator()(std::uint64_t a, std::uint64_t b) const {
        if (g != nullptr && g->armed.load() && std::this_thread::get_id() == g->who) {
            g->armed = false;
            g->parked.count_down();
            g->release.wait();
        }
        return a == b;
    }
};
