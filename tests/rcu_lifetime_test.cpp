// syncmap's RCU at the edges of thread and process lifetime:
//   - a thread_local constructed before the thread's first map operation, whose destructor
//     reads and writes a shared map (it runs after the thread's RCU state would be gone);
//   - a static object whose destructor erases keys after main returns;
//   - a process that returns from main while another thread is parked inside a read-side
//     section (a range() callback): it must exit, not hang in the exit drain.
// The last two need a process of their own: the test re-runs this binary (found through
// /proc/self/exe) with one RcuExitChild test selected and SYNCMAP_RCU_EXIT_CHILD set, and
// checks how that process ends and what it printed. The 30 s limit on a child only keeps a
// hang from stalling the suite; no check depends on how long anything takes.
//
// Uses only the API the containers use (no RCU internals), so the same file also builds
// against other implementations of detail/rcu.hpp.
#include <syncmap/detail/rcu.hpp>
#include <syncmap/sync_map.hpp>

#include <gtest/gtest.h>

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace rcu = syncmap::detail;

// Values whose live instances are counted, so lost (never freed) retirements show.
std::atomic<long> tracked_live{0};
struct tracked {
    std::uint64_t v = 0;
    tracked() { tracked_live.fetch_add(1); }
    explicit tracked(std::uint64_t x) : v(x) { tracked_live.fetch_add(1); }
    tracked(const tracked& o) : v(o.v) { tracked_live.fetch_add(1); }
    tracked& operator=(const tracked& o) = default;
    ~tracked() { tracked_live.fetch_sub(1); }
    bool operator==(const tracked& o) const { return v == o.v; }
};

std::atomic<long> counted_destroyed{0};
struct counted {
    ~counted() { counted_destroyed.fetch_add(1); }
};

bool child_mode() { return std::getenv("SYNCMAP_RCU_EXIT_CHILD") != nullptr; }

// ---- Static objects for the after-main child. Both are constructed before main, so
// before syncmap's first use; `exit_report` first, so it is destroyed last.
struct exit_report_t {
    bool armed = false;
    long retired = 0;
    ~exit_report_t() {
        if (!armed) return;
        std::printf("after main: retired %ld, freed %ld, tracked values alive %ld\n", retired,
                    counted_destroyed.load(), tracked_live.load());
        std::fflush(stdout);
    }
} exit_report;

struct late_map_holder {
    std::optional<syncmap::sync_map<std::uint64_t, tracked>> map;
    ~late_map_holder() {
        if (!map) return;
        // After main returned and after syncmap's exit drain ran.
        for (std::uint64_t k = 0; k < 300; k += 2) map->erase(k);
        for (std::uint64_t k = 1; k < 300; k += 2) map->store(k, tracked(k + 1));  // replaces: retires
        for (int i = 0; i < 10; ++i) {
            rcu::rcu_retire_reserve(1);
            rcu::rcu_retire(new counted);
            ++exit_report.retired;
        }
        // One operation retiring twice into the room it reserved, as a map write may.
        rcu::rcu_retire_reserve(2);
        rcu::rcu_retire(new counted);
        rcu::rcu_retire(new counted);
        exit_report.retired += 2;
        map.reset();
    }
} late_holder;

// ---- Child scenarios (skipped unless run as a child) ------------------------------------

TEST(RcuExitChild, StaticDestructorWritesAfterMain) {
    if (!child_mode()) GTEST_SKIP() << "run by RcuExit.StaticDestructorsAfterMainLoseAndLeakNothing";
    exit_report.armed = true;
    late_holder.map.emplace();
    for (std::uint64_t k = 0; k < 300; ++k) late_holder.map->store(k, tracked(k));
    // Leave this thread with a reserved, empty batch: the state the old reclaimer freed at
    // thread exit and then reused.
    rcu::rcu_barrier();
    rcu::rcu_retire_reserve(1);
}

TEST(RcuExitChild, ReturnFromMainWithAReaderParked) {
    if (!child_mode()) GTEST_SKIP() << "run by RcuExit.ProcessExitsWhileAThreadIsInsideASection";
    // Kept alive (and reachable) for as long as the parked thread may read it.
    static auto* map = new syncmap::sync_map<std::uint64_t, std::uint64_t>;
    for (std::uint64_t k = 0; k < 1000; ++k) map->store(k, k);
    static std::atomic<bool> parked{false};
    std::thread([] {
        map->range([](std::uint64_t, std::uint64_t) {
            parked.store(true);
            for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));  // never returns
        });
    }).detach();
    while (!parked.load()) std::this_thread::yield();
    // Writes whose retirements the exit drain would wait for.
    for (std::uint64_t k = 0; k < 1000; ++k) map->store(k, k + 1);
    for (std::uint64_t k = 0; k < 500; ++k) map->erase(k);
    std::printf("returning from main with a reader parked\n");
    std::fflush(stdout);
}

// ---- The tests ------------------------------------------------------------------------------

struct child_result {
    bool exited = false;  // ended by itself within the limit
    int status = 0;       // waitpid status
    std::string output;
};

child_result run_child(const char* test_name) {
    child_result result;
    const std::string filter = std::string("--gtest_filter=RcuExitChild.") + test_name;
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
    env_strings.emplace_back("SYNCMAP_RCU_EXIT_CHILD=1");
    std::vector<char*> envp;
    for (auto& s : env_strings) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::string self = "/proc/self/exe";
    std::string arg0 = "rcu_lifetime_test";
    char* argv[] = {arg0.data(), const_cast<char*>(filter.c_str()), nullptr};

    int fds[2];
    if (::pipe(fds) != 0) return result;
    const pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(fds[1], 1);
        ::dup2(fds[1], 2);
        ::close(fds[0]);
        ::close(fds[1]);
        ::execve(self.c_str(), argv, envp.data());
        ::_exit(127);
    }
    ::close(fds[1]);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    char buf[4096];
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        pollfd p{fds[0], POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
        const ssize_t n = ::read(fds[0], buf, sizeof buf);
        if (n <= 0) break;  // the child (and everything it started) closed the pipe
        result.output.append(buf, static_cast<std::size_t>(n));
    }
    ::close(fds[0]);
    // The pipe closes when the process exits; give waitpid until the deadline as well.
    for (;;) {
        const pid_t w = ::waitpid(pid, &result.status, WNOHANG);
        if (w == pid) {
            result.exited = true;
            break;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            ::kill(pid, SIGKILL);
            ::waitpid(pid, &result.status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return result;
}

TEST(RcuExit, ProcessExitsWhileAThreadIsInsideASection) {
    if (child_mode()) GTEST_SKIP();
    const child_result r = run_child("ReturnFromMainWithAReaderParked");
    ASSERT_TRUE(r.exited) << "the process did not exit with a reader parked in a range() callback\n" << r.output;
    EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) << r.output;
    EXPECT_NE(r.output.find("returning from main with a reader parked"), std::string::npos) << r.output;
}

TEST(RcuExit, StaticDestructorsAfterMainLoseAndLeakNothing) {
    if (child_mode()) GTEST_SKIP();
    const child_result r = run_child("StaticDestructorWritesAfterMain");
    ASSERT_TRUE(r.exited) << r.output;
    EXPECT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) << r.output;
    EXPECT_NE(r.output.find("after main: retired 12, freed 12, tracked values alive 0"), std::string::npos)
        << r.output;
}

// A thread_local constructed before the thread's first RCU use is destroyed after the
// thread's RCU state would be (reverse order of construction). Its destructor reads and
// writes a shared map; every retirement must be freed, none lost or used after free.
syncmap::sync_map<std::uint64_t, tracked>* shared_map = nullptr;

struct early_thread_local {
    std::uint64_t key = 0;
    void touch() {}
    ~early_thread_local() {
        EXPECT_TRUE(shared_map->contains(key));
        shared_map->store(key, tracked(key * 10));       // replaces: retires the old node
        shared_map->store(key + 1000, tracked(key));     // inserts
        shared_map->erase(key + 2000);                   // erases: retires
        rcu::rcu_retire_reserve(1);
        rcu::rcu_retire(new counted);
    }
};
thread_local early_thread_local early_tl;

TEST(RcuThreadExit, ThreadLocalDestructorWritesAMap) {
    if (child_mode()) GTEST_SKIP();
    rcu::rcu_barrier();
    const long counted_before = counted_destroyed.load();
    {
        syncmap::sync_map<std::uint64_t, tracked> m;
        shared_map = &m;
        constexpr int threads = 8;
        for (std::uint64_t k = 0; k < threads; ++k) {
            m.store(k, tracked(k));
            m.store(k + 2000, tracked(k));
        }
        std::vector<std::thread> pool;
        for (int t = 0; t < threads; ++t) {
            pool.emplace_back([t] {
                early_tl.key = static_cast<std::uint64_t>(t);
                early_tl.touch();  // constructed now: before this thread's first map operation
                EXPECT_TRUE(shared_map->contains(static_cast<std::uint64_t>(t)));
                // Leave a reserved, empty batch behind, as a writer's failed reservation does.
                rcu::rcu_retire_reserve(1);
            });
        }
        for (auto& t : pool) t.join();
        for (std::uint64_t k = 0; k < threads; ++k) {
            EXPECT_EQ(m.load(k), tracked(k * 10));
            EXPECT_EQ(m.load(k + 1000), tracked(k));
            EXPECT_FALSE(m.contains(k + 2000));
        }
        shared_map = nullptr;
    }
    rcu::rcu_barrier();
    EXPECT_EQ(counted_destroyed.load() - counted_before, 8) << "retirements from thread_local destructors were lost";
    EXPECT_EQ(tracked_live.load(), 0) << "values retired from thread_local destructors were never freed";
}

}  // namespace
