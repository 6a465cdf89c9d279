// sync_map in a child process after fork(). syncmap's RCU reclaims through a thread of its
// own (detail/rcu_reclaimer.hpp), which does not exist in the child, and the parent's
// other threads, some possibly inside a read-side section at the instant of the fork, do
// not either. A fork handler frees their records and lets the child start its own
// reclaimer on demand: the child stores, erases, takes and drops snapshots, waits for
// everything it retired to be freed, and exits normally (which drains the queue again).
//
// The parent has a thread parked inside a range() callback (an open read-side section)
// when it forks: without the handler the child's grace periods would wait for that
// reader forever. The child runs under a deadline; the parent reports a hang as a failure.
//
// The parked reader also holds the parent's reclaimer inside a grace period, with retired
// batches in its hand, and a second parent thread waits in rcu_synchronize() with its
// marker queued. The child must free both: the batches go back to its queue (without that,
// the retired-bytes count stays above 0 after the child's barrier, and LeakSanitizer
// reports them at its exit), and the vanished thread's marker is freed when the child's
// reclaimer signals it (LeakSanitizer reports it otherwise).
#include <syncmap/sync_map.hpp>

#include <gtest/gtest.h>

#include <pthread.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

namespace {

#if defined(__SANITIZE_THREAD__)
constexpr bool under_tsan = true;  // TSan ends a child that starts a thread after a multithreaded fork
#else
constexpr bool under_tsan = false;
#endif

// The child's work: every operation that retires memory, then a wait for reclamation.
// Returns 0 on success, a line number otherwise.
int child_work(syncmap::sync_map<std::uint64_t, std::string>& inherited) {
    if (inherited.size() != 1000) return __LINE__;
    for (std::uint64_t i = 0; i < 1000; ++i) {
        if (inherited.load(i) != std::to_string(i)) return __LINE__;
    }
    {
        const auto snap = inherited.snapshot();
        for (std::uint64_t i = 0; i < 1000; ++i) inherited.store(i, "child");  // copies for the snapshot
        for (std::uint64_t i = 0; i < 1000; i += 2) inherited.erase(i);
        if (snap.load(4) != std::string("4")) return __LINE__;
    }
    syncmap::sync_map<std::uint64_t, std::string> fresh;  // a map made in the child
    for (std::uint64_t i = 0; i < 20000; ++i) fresh.store(i, std::to_string(i));  // splits retire leaves
    for (std::uint64_t i = 0; i < 20000; ++i) fresh.erase(i);
    fresh.clear();
    inherited.clear();
    // Everything retired so far is freed: needs the child's own reclaimer, and grace
    // periods that ignore the parent's parked reader (without the fork handler this waits
    // forever, and the parent's deadline reports it).
    syncmap::detail::rcu_barrier();
    // Including what the parent's reclaimer held at the fork.
    if (syncmap::detail::rcu_pending_bytes.load() != 0) return __LINE__;
    return 0;
}

// True once the reclaimer has taken retired nodes from the queue and not freed them.
bool reclaimer_holds_retired() {
    auto& cold = syncmap::detail::rcu_cold;
    ::pthread_mutex_lock(&cold.fork_guard);
    const bool holds = cold.in_hand != nullptr;
    ::pthread_mutex_unlock(&cold.fork_guard);
    return holds;
}

// True once the newest queued node is a waiter's marker.
bool waiter_queued() {
    const syncmap::detail::rcu_node* head = syncmap::detail::rcu_queue_state.head.load();
    return head != nullptr && head->reclaim == &syncmap::detail::rcu_waiter::signal;
}

TEST(SyncMapFork, TheChildUsesMapsAndReclaimsWhileAParentReaderWasParked) {
    if (under_tsan) GTEST_SKIP() << "ThreadSanitizer does not support threads started after a multithreaded fork";
    syncmap::sync_map<std::uint64_t, std::string> m;
    for (std::uint64_t i = 0; i < 1000; ++i) m.store(i, std::to_string(i));
    for (std::uint64_t i = 0; i < 1000; ++i) m.store(i, std::to_string(i));  // retired nodes: the reclaimer runs

    std::mutex mu;
    std::condition_variable cv;
    bool parked = false;
    bool release = false;
    std::thread reader([&] {
        bool first = true;
        m.range([&](const std::uint64_t&, const std::string&) {
            if (!first) return;
            first = false;
            std::unique_lock<std::mutex> lock(mu);
            parked = true;
            cv.notify_all();
            cv.wait(lock, [&] { return release; });  // inside the read-side section
        });
    });
    {
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return parked; });
    }
    // More retirements, flushed as full batches: the reclaimer takes them and then waits,
    // in a grace period, for the parked reader.
    for (std::uint64_t i = 0; i < 200; ++i) m.store(i, std::to_string(i));
    while (!reclaimer_holds_retired()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    // A thread waiting for the reclaimer: its marker stays queued behind that grace period.
    std::thread waiter([] { syncmap::detail::rcu_synchronize(); });
    while (!waiter_queued()) std::this_thread::sleep_for(std::chrono::milliseconds(1));

    const pid_t pid = ::fork();
    if (pid == 0) {
        const int failed_at = child_work(m);
        std::exit(failed_at == 0 ? 0 : 100 + failed_at % 100);  // a normal exit: static destructors, exit drain
    }
    ASSERT_GT(pid, 0);
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    pid_t done = 0;
    while ((done = ::waitpid(pid, &status, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (done == 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
    }
    {
        std::lock_guard<std::mutex> lock(mu);
        release = true;
    }
    cv.notify_all();
    reader.join();
    waiter.join();
    ASSERT_NE(done, 0) << "the child hung: its grace periods waited for a reader that does not exist in it";
    ASSERT_TRUE(WIFEXITED(status)) << "child ended by signal " << (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    EXPECT_EQ(WEXITSTATUS(status), 0) << "child check failed (exit code 100 + line % 100)";
    // The parent is untouched.
    EXPECT_EQ(m.size(), 1000u);
    EXPECT_EQ(m.load(4), std::string("4"));
}

}  // namespace
