#include "peer_protocol.hpp"

#include <charconv>
#include <cstdio>
#include <limits>

namespace syncmap::lab {

namespace {

constexpr std::string_view history_header = "syncmap-history 1";

std::vector<std::string_view> split_fields(std::string_view line) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && line[i] == ' ') ++i;
        if (i == line.size()) break;
        std::size_t j = i;
        while (j < line.size() && line[j] != ' ') ++j;
        out.push_back(line.substr(i, j - i));
        i = j;
    }
    return out;
}

class line_parser {
public:
    explicit line_parser(std::size_t line) : line_(line) {}

    [[noreturn]] void fail(const std::string& what) const {
        throw malformed_history("line " + std::to_string(line_) + ": " + what);
    }

    template <class T>
    T number(std::string_view field, std::string_view name) const {
        T v{};
        const char* end = field.data() + field.size();
        auto [ptr, ec] = std::from_chars(field.data(), end, v);
        if (field.empty() || ec == std::errc::invalid_argument || (ptr != end && ec == std::errc()))
            fail(std::string(name) + " '" + std::string(field) + "' is not an unsigned decimal number");
        if (ec == std::errc::result_out_of_range)
            fail(std::string(name) + " '" + std::string(field) + "' is out of range");
        return v;
    }

    bool flag(std::string_view field, std::string_view name) const {
        if (field == "0") return false;
        if (field == "1") return true;
        fail(std::string(name) + " '" + std::string(field) + "' is not 0 or 1");
    }

    void expect_fields(const std::vector<std::string_view>& f, std::size_t n, std::string_view record) const {
        if (f.size() != n)
            fail(std::string(record) + " record has " + std::to_string(f.size()) + " fields, expected " +
                 std::to_string(n) + (f.size() < n ? " (truncated line?)" : ""));
    }

private:
    std::size_t line_;
};

op_kind parse_kind(const line_parser& p, std::string_view name) {
    for (std::size_t i = 0; i < op_kind_count; ++i)
        if (to_string(static_cast<op_kind>(i)) == name) return static_cast<op_kind>(i);
    p.fail("unknown operation '" + std::string(name) + "'");
}

}  // namespace

std::string to_text(const peer_spec& s) {
    std::string out = "syncmap-peer-spec 1\n";
    auto line = [&](std::string_view name, const std::string& value) {
        out += name;
        out += ' ';
        out += value;
        out += '\n';
    };
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%.6f", s.seconds);
    line("map", s.map);
    line("mode", s.mode);
    line("seed", std::to_string(s.seed));
    line("seconds", seconds);
    line("preload", std::to_string(s.preload));
    line("writers", std::to_string(s.writers));
    line("ops_per_writer", std::to_string(s.ops_per_writer));
    line("stable", std::to_string(s.stable_lo) + " " + std::to_string(s.stable_hi) + " " +
                       std::to_string(s.stable_percent));
    line("churn", std::to_string(s.churn_lo) + " " + std::to_string(s.churn_hi));
    std::string mix;
    for (const auto& [kind, weight] : s.mix) {
        if (!mix.empty()) mix += ' ';
        mix += std::string(to_string(kind)) + " " + std::to_string(weight);
    }
    line("mix", mix);
    line("rangers", std::to_string(s.rangers));
    line("traversals", std::to_string(s.traversals));
    line("item_work_ns", std::to_string(s.item_work_ns));
    out += "end\n";
    return out;
}

peer_history parse_peer_history(std::string_view text) {
    peer_history out;
    std::size_t line_no = 0, pos = 0;
    bool header = false, ended = false, in_pass = false;
    std::uint64_t traversals = 0;
    while (pos < text.size()) {
        const std::size_t nl = text.find('\n', pos);
        if (nl == std::string_view::npos) {
            // The last line has no newline: the writer was cut off mid-line.
            throw malformed_history("line " + std::to_string(line_no + 1) + ": no newline at the end (truncated history)");
        }
        std::string_view line = text.substr(pos, nl - pos);
        pos = nl + 1;
        ++line_no;
        const line_parser p(line_no);
        if (ended) p.fail("text after the end record");
        if (!header) {
            if (line != history_header)
                p.fail("expected the header '" + std::string(history_header) + "', found '" + std::string(line.substr(0, 40)) + "'");
            header = true;
            continue;
        }
        const auto f = split_fields(line);
        if (f.empty()) p.fail("empty line");
        if (f[0] == "op") {
            p.expect_fields(f, 10, "op");
            op_record r;
            const auto thread = p.number<std::uint32_t>(f[1], "thread");
            if (thread > 0xffff) p.fail("thread " + std::to_string(thread) + " is above 65535");
            r.thread = static_cast<std::uint16_t>(thread);
            r.kind = parse_kind(p, f[2]);
            r.key = p.number<key_type>(f[3], "key");
            r.arg = p.number<value_type>(f[4], "arg");
            r.expected = p.number<value_type>(f[5], "expected");
            r.result = p.number<value_type>(f[6], "result");
            r.flag = p.flag(f[7], "flag");
            r.invoke = static_cast<timestamp>(p.number<std::uint64_t>(f[8], "invoke"));
            r.response = static_cast<timestamp>(p.number<std::uint64_t>(f[9], "response"));
            if (r.invoke <= 0) p.fail("invoke time must be positive");
            if (r.response < r.invoke)
                p.fail("response " + std::to_string(r.response) + " is before invoke " + std::to_string(r.invoke));
            const bool writes = r.kind == op_kind::store || r.kind == op_kind::load_or_store ||
                                r.kind == op_kind::exchange || r.kind == op_kind::compare_and_swap;
            if (writes && r.arg == 0) p.fail(std::string(to_string(r.kind)) + " writes value 0, which means 'no value'");
            out.h.ops.push_back(r);
        } else if (f[0] == "range") {
            if (f.size() < 6) p.expect_fields(f, 6, "range");
            traversal_record t;
            const auto thread = p.number<std::uint32_t>(f[1], "thread");
            if (thread > 0xffff) p.fail("thread " + std::to_string(thread) + " is above 65535");
            t.thread = static_cast<std::uint16_t>(thread);
            t.start = static_cast<timestamp>(p.number<std::uint64_t>(f[2], "start"));
            t.end = static_cast<timestamp>(p.number<std::uint64_t>(f[3], "end"));
            t.stopped_early = p.flag(f[4], "stopped");
            const auto count = p.number<std::uint64_t>(f[5], "count");
            if (t.start <= 0) p.fail("range start time must be positive");
            if (t.end < t.start) p.fail("range end " + std::to_string(t.end) + " is before its start " + std::to_string(t.start));
            if (f.size() - 6 != count)
                p.fail("range announces " + std::to_string(count) + " items but has " + std::to_string(f.size() - 6) +
                       (f.size() - 6 < count ? " (truncated line?)" : ""));
            t.items.reserve(count);
            for (std::size_t i = 6; i < f.size(); ++i) {
                const auto colon = f[i].find(':');
                if (colon == std::string_view::npos)
                    p.fail("item " + std::to_string(i - 5) + " '" + std::string(f[i]) + "' is not KEY:VALUE");
                t.items.emplace_back(p.number<key_type>(f[i].substr(0, colon), "item key"),
                                     p.number<value_type>(f[i].substr(colon + 1), "item value"));
            }
            out.h.traversals.push_back(std::move(t));
            ++traversals;
        } else if (f[0] == "iter") {
            if (f.size() < 2) p.expect_fields(f, 2, "iter");
            iteration_event e;
            const std::string_view what = f[1];
            if (what == "begin") {
                p.expect_fields(f, 2, "iter begin");
                if (in_pass) p.fail("iter begin inside a pass (no iter end before it)");
                in_pass = true;
                e.what = iteration_event::kind::begin;
            } else if (what == "end") {
                p.expect_fields(f, 2, "iter end");
                if (!in_pass) p.fail("iter end outside a pass");
                in_pass = false;
                e.what = iteration_event::kind::end;
            } else if (what == "yield" || what == "store") {
                p.expect_fields(f, 4, "iter " + std::string(what));
                if (what == "yield" && !in_pass) p.fail("iter yield outside a pass");
                e.what = what == "yield" ? iteration_event::kind::yield : iteration_event::kind::store;
                e.key = p.number<key_type>(f[2], "key");
                e.value = p.number<value_type>(f[3], "value");
                if (e.what == iteration_event::kind::store && e.value == 0) p.fail("iter store writes value 0");
            } else if (what == "erase") {
                p.expect_fields(f, 3, "iter erase");
                e.what = iteration_event::kind::erase;
                e.key = p.number<key_type>(f[2], "key");
            } else if (what == "clear") {
                p.expect_fields(f, 2, "iter clear");
                e.what = iteration_event::kind::clear;
            } else {
                p.fail("unknown iteration event '" + std::string(what) + "'");
            }
            out.iteration.push_back(e);
        } else if (f[0] == "end") {
            p.expect_fields(f, 4, "end");
            const auto ops = p.number<std::uint64_t>(f[1], "op count");
            const auto ranges = p.number<std::uint64_t>(f[2], "range count");
            const auto events = p.number<std::uint64_t>(f[3], "iteration event count");
            if (ops != out.h.ops.size() || ranges != traversals || events != out.iteration.size())
                p.fail("end record counts " + std::to_string(ops) + " ops, " + std::to_string(ranges) + " ranges, " +
                       std::to_string(events) + " iteration events; the history has " + std::to_string(out.h.ops.size()) +
                       ", " + std::to_string(traversals) + ", " + std::to_string(out.iteration.size()));
            if (in_pass) p.fail("the history ends inside an iteration pass");
            ended = true;
        } else {
            p.fail("unknown record '" + std::string(f[0]) + "'");
        }
    }
    if (!header) throw malformed_history("empty history (no header)");
    if (!ended) throw malformed_history("line " + std::to_string(line_no) + ": no end record (truncated history)");
    return out;
}

void check_timestamps_within(const history& h, timestamp lo, timestamp hi) {
    auto check = [&](timestamp t, const std::string& what) {
        if (t < lo || t > hi)
            throw malformed_history(what + " at " + std::to_string(t) + " ns lies outside the peer's lifetime [" +
                                    std::to_string(lo) + ", " + std::to_string(hi) +
                                    "] on the lab's CLOCK_MONOTONIC: the peer reads another clock");
    };
    for (std::size_t i = 0; i < h.ops.size(); ++i) {
        check(h.ops[i].invoke, "op " + std::to_string(i + 1) + "'s invoke");
        check(h.ops[i].response, "op " + std::to_string(i + 1) + "'s response");
    }
    for (std::size_t i = 0; i < h.traversals.size(); ++i) {
        check(h.traversals[i].start, "range " + std::to_string(i + 1) + "'s start");
        check(h.traversals[i].end, "range " + std::to_string(i + 1) + "'s end");
    }
}

}  // namespace syncmap::lab
