// Stopping a long traversal and finishing it later: sync_map::range(f, std::stop_token)
// returns a cursor, and scan() resumes from it (clause C2).
//
// A std::jthread walks a large map. Once it has handled 500 entries, the main thread asks
// it to stop (jthread::request_stop); the range notices before its next leaf and returns
// where it stopped. The main thread then finishes the pass with scan() in chunks, while
// other keys are stored meanwhile. Together, the stopped range and the scan calls are one
// pass: every key present throughout is offered exactly once.
#include <syncmap/sync_map.hpp>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <stop_token>
#include <thread>
#include <vector>

int main() {
    constexpr std::uint64_t stable = 100'000;
    syncmap::sync_map<std::uint64_t, std::uint64_t> m;
    for (std::uint64_t k = 0; k < stable; ++k) m.store(k, k);

    std::vector<int> seen(stable, 0);
    std::atomic<bool> halfway{false};
    syncmap::cursor resume_from;
    std::uint64_t before_stop = 0;

    std::jthread walker([&](std::stop_token stop) {
        resume_from = m.range(
            [&](std::uint64_t k, std::uint64_t) {
                ++seen[k];
                if (++before_stop == 500) {
                    halfway.store(true);
                    halfway.notify_one();
                    // Wait for the request, so that the example stops mid-pass every time.
                    while (!stop.stop_requested()) std::this_thread::yield();
                }
            },
            stop);
    });
    halfway.wait(false);
    walker.request_stop();
    walker.join();
    std::printf("the range stopped after %llu entries; resume token %s (done: %s)\n",
                static_cast<unsigned long long>(before_stop), resume_from.to_string().c_str(),
                resume_from.done() ? "yes" : "no");

    // Later, and after more writes, the pass is finished with scan().
    for (std::uint64_t k = stable; k < stable + 20'000; ++k) m.store(k, k);
    int calls = 0;
    for (syncmap::cursor c = resume_from; !c.done(); ++calls)
        c = m.scan(c, 4096, [&](std::uint64_t k, std::uint64_t) {
            if (k < stable) ++seen[k];
        });

    int wrong = 0;
    for (int s : seen) wrong += s != 1;
    std::printf("finished with %d scan calls; keys not offered exactly once: %d (C2 says 0)\n", calls, wrong);
    return !resume_from.done() && wrong == 0 ? 0 : 1;
}
