// lab/core/child_process.hpp - the programs the lab starts: out-of-process peers (run to
// completion, stdin in, stdout and stderr out) and servers (Redis, kept alive while a
// map uses them). Every child is put in its own process group, and that whole group is
// killed when its owner goes away, whatever way the lab leaves:
//   - normally or by an exception: the owner's destructor (RAII) kills the group and reaps
//     the child;
//   - by SIGINT, SIGTERM or SIGHUP: a handler installed with the first child kills every
//     live group, then lets the signal take its default course;
//   - by SIGKILL or a crash: each child asked the kernel to SIGKILL it when the lab dies
//     (PR_SET_PDEATHSIG), and a server started through start_service also has its own
//     children in its group.
#pragma once

#include <string>
#include <vector>

#include "history.hpp"

namespace syncmap::lab {

// True if `program` is an executable file, or a name found on PATH.
bool program_exists(const std::string& program);

struct child_outcome {
    int exit_code = -1;   // valid if !signaled
    int signal = 0;       // the signal that ended it, if signaled
    bool signaled = false;
    bool timed_out = false;  // killed by the lab after `timeout_seconds`
    std::string out, err;
    timestamp started = 0, ended = 0;  // the lab's clock just before spawning, after reaping
    [[nodiscard]] std::string describe() const;  // "exit 0", "killed by signal 6", ...
};

// Runs argv[0] (searched on PATH) with `input` on stdin, collects stdout and stderr, and
// kills the process group after `timeout_seconds`. Throws std::runtime_error if it cannot
// be started at all.
child_outcome run_child(const std::vector<std::string>& argv, const std::string& input, double timeout_seconds);

// A long-running child (a server): started in its own group, forked by a thread that lives
// as long as the process whichever thread asks (its parent-death signal, SIGKILL, then
// fires only when the lab ends), killed (SIGTERM, then SIGKILL after a grace period) and
// reaped when destroyed.
class service_process {
public:
    explicit service_process(const std::vector<std::string>& argv);
    ~service_process();
    service_process(const service_process&) = delete;
    service_process& operator=(const service_process&) = delete;

    [[nodiscard]] int pid() const noexcept { return pid_; }
    // False once the child has exited.
    bool running();

private:
    int pid_ = -1;
};

// A loopback TCP port nothing listens on now (bound to port 0, then released).
int free_loopback_port();

}  // namespace syncmap::lab
