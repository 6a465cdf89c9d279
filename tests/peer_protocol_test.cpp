// The out-of-process peer protocol (lab/core/peer_protocol.hpp): a well-formed history
// becomes the lab's own history records, field for field; every kind of malformed history
// is refused with an error that names the line and the problem; the spec round-trips the
// fields a peer reads; and a child process is run, timed out and cleaned up.
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/child_process.hpp"
#include "core/peer_protocol.hpp"

namespace syncmap::lab {
namespace {

const std::string good =
    "syncmap-history 1\n"
    "op 0 store 7 1099511627777 0 0 0 100 200\n"
    "op 1 load 7 0 0 1099511627777 1 300 310\n"
    "op 65534 load_or_store 9 2199023255553 0 5 1 50 60\n"
    "range 2 150 400 0 2 7:1099511627777 9:5\n"
    "range 2 500 500 1 0\n"
    "iter begin\n"
    "iter yield 7 3\n"
    "iter store 8 4\n"
    "iter erase 7\n"
    "iter clear\n"
    "iter end\n"
    "end 3 2 6\n";

TEST(PeerProtocol, WellFormedHistoryBecomesLabRecords) {
    const peer_history p = parse_peer_history(good);
    ASSERT_EQ(p.h.ops.size(), 3u);
    const op_record& s = p.h.ops[0];
    EXPECT_EQ(s.kind, op_kind::store);
    EXPECT_EQ(s.thread, 0);
    EXPECT_EQ(s.key, 7u);
    EXPECT_EQ(s.arg, 1099511627777u);
    EXPECT_EQ(s.invoke, 100);
    EXPECT_EQ(s.response, 200);
    EXPECT_EQ(p.h.ops[1].result, 1099511627777u);
    EXPECT_TRUE(p.h.ops[1].flag);
    EXPECT_EQ(p.h.ops[2].thread, preload_thread);
    EXPECT_EQ(p.h.ops[2].kind, op_kind::load_or_store);
    ASSERT_EQ(p.h.traversals.size(), 2u);
    EXPECT_EQ(p.h.traversals[0].thread, 2);
    EXPECT_EQ(p.h.traversals[0].start, 150);
    EXPECT_EQ(p.h.traversals[0].end, 400);
    ASSERT_EQ(p.h.traversals[0].items.size(), 2u);
    EXPECT_EQ(p.h.traversals[0].items[1], (std::pair<key_type, value_type>{9, 5}));
    EXPECT_TRUE(p.h.traversals[1].stopped_early);
    EXPECT_TRUE(p.h.traversals[1].items.empty());
    ASSERT_EQ(p.iteration.size(), 6u);
    EXPECT_EQ(p.iteration[1].what, iteration_event::kind::yield);
    EXPECT_EQ(p.iteration[1].key, 7u);
    EXPECT_EQ(p.iteration[1].value, 3u);
    EXPECT_EQ(p.iteration[3].what, iteration_event::kind::erase);
    EXPECT_EQ(p.iteration[4].what, iteration_event::kind::clear);
}

// The history `good` with one line replaced (1-based line number), or cut at `cut` bytes.
std::string with_line(std::size_t line, const std::string& replacement) {
    std::string out;
    std::size_t pos = 0, n = 0;
    while (pos < good.size()) {
        const std::size_t nl = good.find('\n', pos);
        ++n;
        out += n == line ? replacement : good.substr(pos, nl - pos);
        out += '\n';
        pos = nl + 1;
    }
    return out;
}

// Expects a malformed_history whose message contains every one of `parts`.
void expect_refused(const std::string& text, std::initializer_list<std::string> parts) {
    try {
        (void)parse_peer_history(text);
        ADD_FAILURE() << "accepted:\n" << text;
    } catch (const malformed_history& e) {
        for (const auto& part : parts) EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
}

TEST(PeerProtocol, TruncatedHistoriesAreRefused) {
    // Cut in the middle of a line: no newline at the end.
    expect_refused(good.substr(0, good.find("op 1 load") + 12), {"line 3", "truncated history"});
    // Cut at a line boundary: no end record.
    expect_refused(good.substr(0, good.find("range 2 150")), {"no end record", "truncated"});
    // A line cut short, then the rest of the history.
    expect_refused(with_line(2, "op 0 store 7 1099511627777 0 0"), {"line 2", "7 fields, expected 10", "truncated line"});
    expect_refused(with_line(5, "range 2 150 400 0 2 7:1099511627777"),
                   {"line 5", "announces 2 items but has 1"});
    expect_refused(std::string(), {"empty history"});
}

TEST(PeerProtocol, UnknownRecordsAndOperationsAreRefused) {
    expect_refused("syncmap-history 2\nend 0 0 0\n", {"line 1", "expected the header"});
    expect_refused(with_line(2, "op 0 increment 7 1 0 0 0 100 200"), {"line 2", "unknown operation 'increment'"});
    expect_refused(with_line(2, "write 0 store 7 1 0 0 0 100 200"), {"line 2", "unknown record 'write'"});
    expect_refused(with_line(7, "iter jump 7 3"), {"line 7", "unknown iteration event 'jump'"});
    expect_refused(with_line(2, ""), {"line 2", "empty line"});
}

TEST(PeerProtocol, BadNumbersAreRefused) {
    expect_refused(with_line(2, "op 0 store 7x 1 0 0 0 100 200"), {"line 2", "key '7x' is not an unsigned decimal"});
    expect_refused(with_line(2, "op 0 store -7 1 0 0 0 100 200"), {"key '-7'"});
    expect_refused(with_line(2, "op 0 store 7 1 0 0 0 1e3 2000"), {"invoke '1e3'"});
    expect_refused(with_line(2, "op 0 store 18446744073709551616 1 0 0 0 100 200"), {"key", "out of range"});
    expect_refused(with_line(2, "op 70000 store 7 1 0 0 0 100 200"), {"thread 70000 is above 65535"});
    expect_refused(with_line(2, "op 0 store 7 1 0 0 2 100 200"), {"flag '2' is not 0 or 1"});
    expect_refused(with_line(5, "range 2 150 400 0 2 7-1 9:5"), {"line 5", "'7-1' is not KEY:VALUE"});
    expect_refused(with_line(5, "range 2 150 400 0 2 7:x 9:5"), {"item value 'x'"});
}

TEST(PeerProtocol, ImpossibleTimesAndValuesAreRefused) {
    expect_refused(with_line(2, "op 0 store 7 1 0 0 0 200 100"), {"line 2", "response 100 is before invoke 200"});
    expect_refused(with_line(5, "range 2 400 150 0 2 7:1099511627777 9:5"), {"line 5", "end 150 is before its start 400"});
    expect_refused(with_line(2, "op 0 store 7 1 0 0 0 0 100"), {"invoke time must be positive"});
    expect_refused(with_line(2, "op 0 store 7 0 0 0 0 100 200"), {"writes value 0"});
}

TEST(PeerProtocol, EndRecordMustMatchAndCloseTheHistory) {
    expect_refused(with_line(13, "end 4 2 6"), {"line 13", "counts 4 ops", "has 3"});
    expect_refused(good + "op 0 load 7 0 0 0 0 900 901\n", {"line 14", "after the end record"});
    expect_refused(with_line(7, "iter yield 7 3"), {"line 7", "iter yield outside a pass"});
    expect_refused(with_line(8, "iter begin"), {"line 8", "iter begin inside a pass"});
    expect_refused(with_line(12, "iter yield 7 3"), {"line 13", "ends inside an iteration pass"});
}

TEST(PeerProtocol, TimestampsOutsideThePeersLifetimeAreRefused) {
    const peer_history p = parse_peer_history(good);
    EXPECT_NO_THROW(check_timestamps_within(p.h, 50, 500));
    try {
        check_timestamps_within(p.h, 120, 500);
        ADD_FAILURE() << "an op invoked before the peer started was accepted";
    } catch (const malformed_history& e) {
        EXPECT_NE(std::string(e.what()).find("op 1's invoke"), std::string::npos) << e.what();
    }
    EXPECT_THROW(check_timestamps_within(p.h, 50, 450), malformed_history);  // range 2 ends at 500
}

TEST(PeerProtocol, SpecCarriesEveryField) {
    peer_spec s;
    s.map = "go_sync_map";
    s.seed = 42;
    s.preload = 512;
    s.writers = 3;
    s.stable_lo = 0;
    s.stable_hi = 512;
    s.stable_percent = 30;
    s.churn_lo = 512;
    s.churn_hi = 1024;
    s.mix = {{op_kind::store, 4}, {op_kind::load_and_delete, 3}};
    s.rangers = 2;
    s.traversals = 100;
    const std::string t = to_text(s);
    for (const char* line : {"syncmap-peer-spec 1\n", "map go_sync_map\n", "seed 42\n", "preload 512\n", "writers 3\n",
                             "stable 0 512 30\n", "churn 512 1024\n", "mix store 4 load_and_delete 3\n",
                             "rangers 2\n", "traversals 100\n", "mode workload\n"})
        EXPECT_NE(t.find(line), std::string::npos) << line;
    EXPECT_EQ(t.substr(t.size() - 4), "end\n");
}

TEST(ChildProcess, CollectsOutputErrorAndExitStatus) {
    const child_outcome r = run_child({"sh", "-c", "cat; echo oops >&2; exit 3"}, "spec text\n", 10);
    EXPECT_EQ(r.out, "spec text\n");
    EXPECT_EQ(r.err, "oops\n");
    EXPECT_FALSE(r.signaled);
    EXPECT_EQ(r.exit_code, 3);
    EXPECT_LE(r.started, r.ended);
}

TEST(ChildProcess, TimeoutKillsTheWholeGroup) {
    // The shell starts a grandchild that would outlive it; killing the group ends both, so
    // the pipes close and the call returns.
    const child_outcome r = run_child({"sh", "-c", "sleep 1000 & sleep 1000"}, "", 0.2);
    EXPECT_TRUE(r.timed_out);
    EXPECT_TRUE(r.signaled);
    EXPECT_EQ(r.signal, SIGKILL);
}

TEST(ChildProcess, MissingProgramIsAnError) {
    EXPECT_FALSE(program_exists("syncmap-no-such-program"));
    EXPECT_THROW(run_child({"syncmap-no-such-program"}, "", 1), std::runtime_error);
}

TEST(ChildProcess, ServiceOutlivesTheThreadThatStartedIt) {
    // A served peer's first use may come from a scenario's worker thread; its server must
    // live on after that thread ends (the parent-death signal follows the forking thread).
    std::unique_ptr<service_process> server;
    std::thread first_user([&] {
        server = std::make_unique<service_process>(std::vector<std::string>{"sleep", "1000"});
        // The thread goes on working (as a scenario's worker does) long enough for the
        // child to have set its parent-death signal before the thread ends.
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    });
    first_user.join();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_TRUE(server->running());
    server.reset();  // stops it
}

}  // namespace
}  // namespace syncmap::lab
