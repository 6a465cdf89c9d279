// tests/history_checkers.hpp - decides, from a recorded concurrent history, whether a
// snapshot is explained by one instant (clause S1) and whether a traversal, or a full pass
// made of scan calls, meets W1-W4 (clauses W1-W4, C2). Header-only and self-contained
// (standard library only), so that any test or tool can record a history and check it.
//
// Recording
//   Every thread appends its writes to its own `write_log`, so recording takes no shared
//   lock and touches no shared cache line. A write is logged with the steady_clock time
//   read just before the call (invoke) and just after it returned (response): its effect
//   took place at one unknown instant inside [invoke, response]. Each set writes a value
//   no other write uses (make_value: writer id and sequence number), so a value read back
//   names the one write that produced it. A traversal or snapshot is an `observation`:
//   the clock read before its first call and after its last return, and what it yielded.
//
// The model
//   Writes are set(k, v), erase(k) and clear(). Every key starts absent. For one key, its
//   state at instant t is the effect of its latest write taking effect at or before t. An
//   erase is an erase effect whatever it returned (erasing an absent key leaves it absent,
//   so the states are the same). A clear() is checked as an erase of every key, each
//   placed independently within the clear's interval: a relaxation of the real clear,
//   which empties every key at one instant. Each relaxation only lets more histories
//   pass, so a reported violation is certain.
//
// When can a write be current? For a write w of key k, the instants t at which w can be
//   k's latest effective write, over every placement of every write of k inside its own
//   interval, are exactly
//       [w.invoke, L(w)]   with   L(w) = min { x.response : x writes k, x.invoke > w.response }
//   (+infinity if there is no such x). Why: w must take effect at some p in
//   [w.invoke, min(w.response, t)]; every other write x with x.response <= t must then take
//   effect before p, which needs x.invoke < p; writes with x.response > t can take effect
//   after t. So t works iff t >= w.invoke and no x both starts after w ended and ends by
//   t. The initial absence is a write at -infinity, superseded by the first response of
//   any write of k. (Ties between timestamps are resolved in favour of the history, so the
//   windows are closed.)
//   Observed value v       -> k's window is the window of the write of v.
//   Observed absent        -> k's windows are the union of the windows of its erases,
//                             clears and initial absence.
//   Writes to different keys are different operations, placed independently, so a
//   snapshot over [start, end] is explained by one instant iff
//       [start, end]  intersected with  the windows of every key   is not empty.
//   For store/erase histories this test is exact: it rejects exactly the snapshots no
//   linearization explains (up to the clock skew below).
//
// Weakly consistent traversals over [start, end] (a range, or the whole of a chunked pass):
//   present throughout  <=> no absent window meets [start, end]        (W1: must be yielded)
//   absent throughout   <=> no window of any set of k meets [start, end] (W3: must not be)
//   value v legal       <=> the window of v's write meets [start, end]  (W4)
//   and no key may be yielded twice (W2). Each answer holds for every linearization, so
//   each reported violation is certain.
//
// Clock skew
//   A write may become visible to another core slightly after its writer read its
//   response time (a store still in the store buffer, a clock read executed early), and a
//   reader's clock read may likewise move. Every write's interval is widened by `skew` on
//   both sides before anything else, which only makes each verdict more cautious. The
//   default (1 us) is orders of magnitude above the reordering window of any current CPU.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace syncmap_test::history {

using timestamp = std::int64_t;  // nanoseconds of std::chrono::steady_clock
using key_type = std::uint64_t;
using value_type = std::uint64_t;

inline constexpr timestamp minus_infinity = std::numeric_limits<timestamp>::min();
inline constexpr timestamp plus_infinity = std::numeric_limits<timestamp>::max();
inline constexpr timestamp default_skew_ns = 1000;

inline timestamp now() noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// A value no other write of the run uses: writer ids below 2^23, sequence numbers below 2^40.
constexpr value_type make_value(unsigned writer, std::uint64_t sequence) noexcept {
    return ((value_type{writer} + 1) << 40) | sequence;
}

enum class write_kind : std::uint8_t { set, erase, clear };

struct write_record {
    timestamp invoke = 0;
    timestamp response = 0;
    write_kind kind = write_kind::set;
    key_type key = 0;      // unused by clear
    value_type value = 0;  // set only
};

// One thread's writes, in program order. Not thread-safe: one log per thread.
class write_log {
public:
    explicit write_log(std::size_t expected = 0) { records_.reserve(expected); }

    // Runs op() and logs it as set(k, v), erase(k) or clear(), with its interval.
    template <class F>
    void set(key_type k, value_type v, F&& op) {
        record(write_kind::set, k, v, op);
    }
    template <class F>
    void erase(key_type k, F&& op) {
        record(write_kind::erase, k, 0, op);
    }
    template <class F>
    void clear(F&& op) {
        record(write_kind::clear, 0, 0, op);
    }

    void add(const write_record& r) { records_.push_back(r); }
    const std::vector<write_record>& records() const noexcept { return records_; }

private:
    template <class F>
    void record(write_kind kind, key_type k, value_type v, F& op) {
        const timestamp invoke = now();
        op();
        const timestamp response = now();
        records_.push_back({invoke, response, kind, k, v});
    }

    std::vector<write_record> records_;
};

// A snapshot's contents, or what a traversal (or a whole chunked pass) yielded, in order,
// with the clock read before its first call and after its last return.
struct observation {
    timestamp start = 0;
    timestamp end = 0;
    std::vector<std::pair<key_type, value_type>> items;
};

// A closed interval of instants, and sorted, disjoint, non-adjacent unions of them.
struct window {
    timestamp lo = 0;
    timestamp hi = 0;
};
using window_set = std::vector<window>;

inline window_set intersect(const window_set& a, const window_set& b) {
    window_set out;
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        const timestamp lo = std::max(a[i].lo, b[j].lo);
        const timestamp hi = std::min(a[i].hi, b[j].hi);
        if (lo <= hi) out.push_back({lo, hi});
        if (a[i].hi < b[j].hi) {
            ++i;
        } else {
            ++j;
        }
    }
    return out;
}

// Whether some window of `s` meets [lo, hi]. O(log |s|), no allocation.
inline bool meets(const window_set& s, timestamp lo, timestamp hi) {
    // Windows are disjoint and sorted, so their ends ascend too.
    const auto it = std::lower_bound(s.begin(), s.end(), lo, [](const window& w, timestamp t) { return w.hi < t; });
    return it != s.end() && it->lo <= hi;
}

// Sorts and merges overlapping windows.
inline window_set normalize(window_set s) {
    std::sort(s.begin(), s.end(), [](const window& a, const window& b) { return a.lo < b.lo; });
    window_set out;
    for (const window& w : s) {
        if (!out.empty() && w.lo <= out.back().hi) {
            out.back().hi = std::max(out.back().hi, w.hi);
        } else {
            out.push_back(w);
        }
    }
    return out;
}

struct snapshot_verdict {
    bool explained = false;
    timestamp witness = 0;  // an instant that explains the snapshot, if explained
    std::string reason;     // why no instant does, otherwise
};

struct pass_verdict {
    std::size_t keys_checked = 0;        // keys of the run, each judged for W1-W3
    std::size_t present_throughout = 0;  // keys that had to be yielded
    std::size_t absent_throughout = 0;   // keys that must not have been
    std::size_t yielded = 0;             // items yielded, each judged for W2 and W4
    std::size_t missed = 0;              // W1 violations
    std::size_t repeated = 0;            // W2 violations
    std::size_t phantom = 0;             // W3 violations
    std::size_t illegal = 0;             // W4 violations
    std::vector<std::string> problems;   // the first few, described

    bool ok() const noexcept { return missed + repeated + phantom + illegal == 0; }
};

// Every write of a run, indexed per key. Build it once after the threads are joined.
class write_history {
public:
    // `writes` from every thread, in any order. Throws std::invalid_argument if two sets
    // wrote the same value or a record's interval is reversed: the checks need both.
    explicit write_history(std::span<const write_record> writes, timestamp skew = default_skew_ns) {
        origin_ = plus_infinity;
        std::unordered_map<key_type, std::vector<widened>> per_key;
        std::vector<widened> clears;
        for (const write_record& r : writes) {
            if (r.response < r.invoke) throw std::invalid_argument("write_history: response before invoke");
            origin_ = std::min(origin_, r.invoke);
            const widened w{r.invoke - skew, r.response + skew, r.kind, r.value};
            if (r.kind == write_kind::clear) {
                clears.push_back(w);
            } else {
                per_key[r.key].push_back(w);
            }
        }
        if (origin_ == plus_infinity) origin_ = 0;
        for (auto& [k, list] : per_key) {
            // A clear is an erase of every key, independently placed (see the header).
            list.insert(list.end(), clears.begin(), clears.end());
            std::sort(list.begin(), list.end(), [](const widened& a, const widened& b) { return a.invoke < b.invoke; });
            // suffix_min[i] = earliest response among list[i..].
            std::vector<timestamp> suffix_min(list.size() + 1, plus_infinity);
            for (std::size_t i = list.size(); i-- > 0;) suffix_min[i] = std::min(suffix_min[i + 1], list[i].response);
            // L(w): earliest response of a write of k invoked after w responded.
            auto superseded_by = [&](timestamp response) {
                const auto first_after =
                    std::upper_bound(list.begin(), list.end(), response,
                                     [](timestamp t, const widened& x) { return t < x.invoke; });
                return suffix_min[static_cast<std::size_t>(first_after - list.begin())];
            };
            key_data& data = keys_[k];
            window_set absent{{minus_infinity, suffix_min[0]}};  // the initial absence
            window_set present;
            for (const widened& w : list) {
                const window when{w.invoke, superseded_by(w.response)};
                if (w.kind == write_kind::set) {
                    present.push_back(when);
                    if (!values_.emplace(w.value, value_origin{k, when}).second) {
                        throw std::invalid_argument("write_history: value " + std::to_string(w.value) +
                                                    " written twice; values must be unique");
                    }
                } else {
                    absent.push_back(when);
                }
            }
            data.absent = normalize(std::move(absent));
            data.present = normalize(std::move(present));
            universe_.push_back(k);
        }
        std::sort(universe_.begin(), universe_.end());
    }

    // Every key some set or erase wrote, ascending.
    const std::vector<key_type>& keys() const noexcept { return universe_; }

    // The instants at which k can have been absent, or can have held v.
    window_set when_absent(key_type k) const {
        auto it = keys_.find(k);
        return it == keys_.end() ? window_set{{minus_infinity, plus_infinity}} : it->second.absent;
    }
    std::optional<window> when_held(key_type k, value_type v) const {
        auto it = values_.find(v);
        if (it == values_.end() || it->second.key != k) return std::nullopt;
        return it->second.when;
    }

    // S1: is there one instant within [start, end] at which the map held exactly these
    // items? Items must each be yielded once (a key twice is not a map's contents).
    snapshot_verdict check_snapshot(const observation& o) const {
        snapshot_verdict verdict;
        window_set feasible{{o.start, o.end}};
        std::unordered_set<key_type> seen;
        seen.reserve(o.items.size() * 2);
        // Observed keys first: one window each, the strongest constraints.
        for (const auto& [k, v] : o.items) {
            if (!seen.insert(k).second) {
                verdict.reason = "key " + std::to_string(k) + " appears twice";
                return verdict;
            }
            const std::optional<window> held = when_held(k, v);
            if (!held) {
                verdict.reason = "key " + std::to_string(k) + " holds value " + std::to_string(v) +
                                 ", which no set of that key wrote";
                return verdict;
            }
            const window_set next = intersect(feasible, window_set{*held});
            if (next.empty()) {
                verdict.reason = "key " + std::to_string(k) + " = " + std::to_string(v) + " could be current only in " +
                                 describe(window_set{*held}) + ", but the keys before allow only " + describe(feasible);
                return verdict;
            }
            feasible = next;
        }
        for (key_type k : universe_) {
            if (seen.count(k) != 0) continue;
            const window_set& absent = keys_.at(k).absent;
            const window_set next = intersect(feasible, absent);
            if (next.empty()) {
                verdict.reason = "key " + std::to_string(k) + " is absent, possible only in " + describe(absent) +
                                 ", but the keys before allow only " + describe(feasible);
                return verdict;
            }
            feasible = next;
        }
        verdict.explained = true;
        verdict.witness = feasible.front().lo;
        return verdict;
    }

    // W1-W4 over [start, end] for a traversal or a whole chunked pass (C2).
    pass_verdict check_pass(const observation& o) const {
        pass_verdict verdict;
        auto problem = [&](std::string what) {
            if (verdict.problems.size() < 16) verdict.problems.push_back(std::move(what));
        };
        const window_set span{{o.start, o.end}};
        auto meets_span = [&](const window& w) { return w.lo <= o.end && w.hi >= o.start; };
        std::unordered_map<key_type, std::size_t> times_yielded;
        times_yielded.reserve(o.items.size() * 2);
        verdict.yielded = o.items.size();
        for (const auto& [k, v] : o.items) {
            if (++times_yielded[k] == 2) {
                ++verdict.repeated;
                problem("W2: key " + std::to_string(k) + " yielded twice");
            }
            const std::optional<window> held = when_held(k, v);
            if (!held || !meets_span(*held)) {
                ++verdict.illegal;
                problem("W4: key " + std::to_string(k) + " yielded with value " + std::to_string(v) +
                        (held ? ", current only in " + describe(window_set{*held}) : ", never written to it") +
                        ", not within " + describe(span));
            }
        }
        for (key_type k : universe_) {
            ++verdict.keys_checked;
            const key_data& data = keys_.at(k);
            const bool yielded = times_yielded.count(k) != 0;
            if (!meets(data.absent, o.start, o.end)) {
                ++verdict.present_throughout;
                if (!yielded) {
                    ++verdict.missed;
                    problem("W1: key " + std::to_string(k) + " was present throughout " + describe(span) +
                            " but not yielded");
                }
            } else if (!meets(data.present, o.start, o.end)) {
                ++verdict.absent_throughout;
                if (yielded) {
                    ++verdict.phantom;
                    problem("W3: key " + std::to_string(k) + " was absent throughout " + describe(span) +
                            " but yielded");
                }
            }
        }
        for (const auto& [k, n] : times_yielded) {
            if (keys_.count(k) == 0) {
                ++verdict.phantom;
                problem("W3: key " + std::to_string(k) + " was never written but yielded");
            }
        }
        return verdict;
    }

    // Windows as text, relative to the run's first invocation, in nanoseconds.
    std::string describe(const window_set& s) const {
        std::string out = "{";
        for (const window& w : s) {
            if (out.size() > 1) out += ", ";
            out += "[" + relative(w.lo) + ", " + relative(w.hi) + "]";
        }
        return out + "}";
    }

private:
    struct widened {
        timestamp invoke;
        timestamp response;
        write_kind kind;
        value_type value;
    };
    struct key_data {
        window_set absent;   // when the key can have been absent
        window_set present;  // when it can have held some value
    };
    struct value_origin {
        key_type key;
        window when;
    };

    std::string relative(timestamp t) const {
        if (t == minus_infinity) return "-inf";
        if (t == plus_infinity) return "+inf";
        return std::to_string(t - origin_) + "ns";
    }

    timestamp origin_ = 0;
    std::vector<key_type> universe_;
    std::unordered_map<key_type, key_data> keys_;
    std::unordered_map<value_type, value_origin> values_;
};

// Every record of several logs, for write_history's constructor.
inline std::vector<write_record> merge(std::span<const write_log> logs) {
    std::vector<write_record> all;
    std::size_t n = 0;
    for (const write_log& l : logs) n += l.records().size();
    all.reserve(n);
    for (const write_log& l : logs) all.insert(all.end(), l.records().begin(), l.records().end());
    return all;
}

}  // namespace syncmap_test::history
