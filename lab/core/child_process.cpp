#include "child_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <csignal>
#include <cstring>
#include <deque>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace syncmap::lab {

namespace {

// Process groups of live children. Slots are written by the owning thread and read by the
// signal handler, so they are lock-free atomics (async-signal-safe); 0 marks a free slot.
constexpr std::size_t max_children = 256;
std::array<std::atomic<int>, max_children> live_groups{};

void kill_live_groups() noexcept {
    for (auto& g : live_groups) {
        const int pgid = g.load(std::memory_order_acquire);
        if (pgid > 0) ::kill(-pgid, SIGKILL);
    }
}

void on_fatal_signal(int sig) {
    kill_live_groups();
    ::signal(sig, SIG_DFL);
    ::raise(sig);
}

void install_handlers_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        for (int sig : {SIGINT, SIGTERM, SIGHUP}) {
            struct sigaction old{};
            ::sigaction(sig, nullptr, &old);
            if (old.sa_handler != SIG_DFL) continue;  // someone else owns this signal
            struct sigaction sa{};
            sa.sa_handler = on_fatal_signal;
            ::sigemptyset(&sa.sa_mask);
            ::sigaction(sig, &sa, nullptr);
        }
    });
}

void register_group(int pgid) {
    for (auto& g : live_groups) {
        int expected = 0;
        if (g.compare_exchange_strong(expected, pgid, std::memory_order_acq_rel)) return;
    }
    // Never more than a handful of children live at once; a full table means a leak.
    ::kill(-pgid, SIGKILL);
    throw std::runtime_error("child_process: too many live children");
}

void unregister_group(int pgid) noexcept {
    for (auto& g : live_groups) {
        int expected = pgid;
        if (g.compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) return;
    }
}

struct pipe_pair {
    int read = -1, write = -1;
};

pipe_pair make_pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    return {fds[0], fds[1]};
}

// Forks and execs argv in a new process group. `in`, `out`, `err`: descriptors for the
// child's 0, 1, 2 (-1: /dev/null).
int spawn(const std::vector<std::string>& argv, int in, int out, int err) {
    install_handlers_once();
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    if (pid == 0) {
        // Only async-signal-safe calls from here to exec.
        ::setpgid(0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != parent) ::_exit(126);  // the lab died before prctl took effect
        sigset_t none;
        ::sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::signal(SIGPIPE, SIG_DFL);
        const int null_fd = ::open("/dev/null", O_RDWR);
        ::dup2(in >= 0 ? in : null_fd, 0);
        ::dup2(out >= 0 ? out : null_fd, 1);
        ::dup2(err >= 0 ? err : null_fd, 2);
        ::execvp(args[0], args.data());
        const char msg[] = "syncmap-lab: exec failed\n";
        (void)!::write(2, msg, sizeof msg - 1);
        ::_exit(127);
    }
    ::setpgid(pid, pid);  // also done by the child: whichever runs first
    register_group(pid);
    return pid;
}

// PR_SET_PDEATHSIG fires when the *thread* that forked the child ends, not the process: a
// server started from a scenario's worker thread (the first use of a served map) would be
// killed with that worker, mid-lab. Servers are therefore forked by one thread that lives
// as long as the process (never joined; its state is never freed, so nothing it waits on
// is destroyed at exit).
int spawn_on_long_lived_thread(const std::vector<std::string>& argv) {
    struct launcher {
        std::mutex m;
        std::condition_variable cv;
        std::deque<std::packaged_task<int()>> tasks;
    };
    static launcher* const l = [] {
        auto* fresh = new launcher;
        std::thread([fresh] {
            for (;;) {
                std::unique_lock lock(fresh->m);
                fresh->cv.wait(lock, [&] { return !fresh->tasks.empty(); });
                std::packaged_task<int()> task = std::move(fresh->tasks.front());
                fresh->tasks.pop_front();
                lock.unlock();
                task();
            }
        }).detach();
        return fresh;
    }();
    std::packaged_task<int()> task([&argv] { return spawn(argv, -1, -1, -1); });
    std::future<int> pid = task.get_future();
    {
        std::lock_guard lock(l->m);
        l->tasks.push_back(std::move(task));
    }
    l->cv.notify_one();
    return pid.get();  // rethrows what spawn threw
}

}  // namespace

bool program_exists(const std::string& program) {
    auto executable = [](const std::string& p) {
        struct stat st{};
        return ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
    };
    if (program.find('/') != std::string::npos) return executable(program);
    const char* path = std::getenv("PATH");
    std::string_view rest = path ? path : "/usr/bin:/bin";
    while (!rest.empty()) {
        const auto colon = rest.find(':');
        const std::string dir(rest.substr(0, colon));
        if (!dir.empty() && executable(dir + "/" + program)) return true;
        rest = colon == std::string_view::npos ? std::string_view{} : rest.substr(colon + 1);
    }
    return false;
}

std::string child_outcome::describe() const {
    if (timed_out) return "killed after its time limit";
    if (signaled) return "killed by signal " + std::to_string(signal) + " (" + strsignal(signal) + ")";
    return "exit " + std::to_string(exit_code);
}

child_outcome run_child(const std::vector<std::string>& argv, const std::string& input, double timeout_seconds) {
    if (argv.empty() || !program_exists(argv[0])) throw std::runtime_error("cannot run '" + (argv.empty() ? "" : argv[0]) + "'");
    pipe_pair in = make_pipe(), out = make_pipe(), err = make_pipe();
    child_outcome r;
    r.started = now();
    const int pid = spawn(argv, in.read, out.write, err.write);
    ::close(in.read);
    ::close(out.write);
    ::close(err.write);
    // The spec is small (well under a pipe's 64 KiB), so this write cannot block for long.
    std::size_t written = 0;
    while (written < input.size()) {
        const ssize_t n = ::write(in.write, input.data() + written, input.size() - written);
        if (n <= 0) break;  // the child exited without reading: its outcome says why
        written += static_cast<std::size_t>(n);
    }
    ::close(in.write);

    const timestamp deadline = r.started + static_cast<timestamp>(timeout_seconds * 1e9);
    std::array<pollfd, 2> fds{{{out.read, POLLIN, 0}, {err.read, POLLIN, 0}}};
    std::array<std::string*, 2> sinks{&r.out, &r.err};
    int open_fds = 2;
    char buf[65536];
    while (open_fds > 0) {
        const timestamp left = deadline - now();
        if (left <= 0 && !r.timed_out) {
            r.timed_out = true;
            ::kill(-pid, SIGKILL);
        }
        const int ms = r.timed_out ? 1000 : static_cast<int>(left / 1000000 + 1);
        const int ready = ::poll(fds.data(), fds.size(), ms);
        if (ready < 0 && errno != EINTR) break;
        for (std::size_t i = 0; i < fds.size(); ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                sinks[i]->append(buf, static_cast<std::size_t>(n));
            } else if (n == 0 || errno != EINTR) {
                ::close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            }
        }
    }
    for (auto& f : fds)
        if (f.fd >= 0) ::close(f.fd);
    // Wait for the exit without reaping (WNOWAIT), so that the pid and its group id cannot be
    // reused before the group is killed; then reap.
    siginfo_t info{};
    while (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
    }
    r.ended = now();
    ::kill(-pid, SIGKILL);  // whatever the child left behind in its group
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    unregister_group(pid);
    if (WIFSIGNALED(status)) {
        r.signaled = true;
        r.signal = WTERMSIG(status);
    } else {
        r.exit_code = WEXITSTATUS(status);
    }
    return r;
}

service_process::service_process(const std::vector<std::string>& argv) {
    if (argv.empty() || !program_exists(argv[0])) throw std::runtime_error("cannot run '" + (argv.empty() ? "" : argv[0]) + "'");
    pid_ = spawn_on_long_lived_thread(argv);
}

bool service_process::running() {
    // Exited children stay unreaped (WNOWAIT) until the destructor has killed the group.
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) != 0) return false;
    return info.si_pid == 0;
}

service_process::~service_process() {
    if (pid_ <= 0) return;
    ::kill(-pid_, SIGTERM);
    // A grace period of up to 2 s for a clean shutdown, then SIGKILL.
    for (int i = 0; i < 200 && running(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    ::kill(-pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
    }
    unregister_group(pid_);
}

int free_loopback_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        ::close(fd);
        throw std::runtime_error(std::string("bind 127.0.0.1:0: ") + std::strerror(errno));
    }
    ::close(fd);
    return ntohs(a.sin_port);
}

}  // namespace syncmap::lab
