// Parks every owner thread at an operation boundary, so that the coordinator can compare
// the whole map with the owners' models and clear it while no owner writes. Readers,
// traversals and snapshots keep running meanwhile: clear() still races with them.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

namespace syncmap::soak {

class writer_pause {
public:
    // Owners call this between operations. Returns at once unless a pause is requested;
    // otherwise parks until resume(). The mutex hand-over makes everything the owner did
    // before parking visible to the coordinator, and the coordinator's changes to the
    // owner's model visible to the owner after it resumes.
    void checkpoint() {
        // relaxed is enough for the fast path: a missed request is seen at the next
        // checkpoint, and the coordinator waits until every owner has parked.
        if (!requested_.load(std::memory_order_relaxed)) return;
        std::unique_lock<std::mutex> lock(mutex_);
        if (!held_) return;
        ++parked_;
        changed_.notify_all();
        changed_.wait(lock, [&] { return !held_; });
        --parked_;
    }

    // Requests a pause and waits until `owners` owners are parked. Gives up (and resumes)
    // when give_up() turns true: an owner that failed a check does not come back.
    template <class GiveUp>
    bool pause_all(unsigned owners, GiveUp give_up) {
        std::unique_lock<std::mutex> lock(mutex_);
        held_ = true;
        requested_.store(true, std::memory_order_relaxed);
        while (parked_ != owners) {
            if (give_up()) {
                release(lock);
                return false;
            }
            changed_.wait_for(lock, std::chrono::milliseconds(50));
        }
        return true;
    }

    void resume() {
        std::unique_lock<std::mutex> lock(mutex_);
        release(lock);
    }

private:
    void release(std::unique_lock<std::mutex>&) {
        held_ = false;
        requested_.store(false, std::memory_order_relaxed);
        changed_.notify_all();
    }

    std::mutex mutex_;
    std::condition_variable changed_;
    std::atomic<bool> requested_{false};  // a hint for the fast path; held_ decides
    bool held_ = false;                   // under mutex_: owners must stay parked
    unsigned parked_ = 0;                 // under mutex_: owners parked now
};

}  // namespace syncmap::soak
