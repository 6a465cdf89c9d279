#include "linearizability.hpp"

#include <algorithm>
#include <limits>
#include <sstream>
#include <unordered_set>
#include <vector>

namespace syncmap::lab {

bool apply_sequential(const op_record& op, value_type state, value_type& next) noexcept {
    const bool present = state != 0;
    next = state;
    switch (op.kind) {
        case op_kind::load:
            return op.flag == present && op.result == state;
        case op_kind::contains:
            return op.flag == present;
        case op_kind::store:
            next = op.arg;
            return true;
        case op_kind::load_or_store:
            if (present) return op.flag && op.result == state;
            next = op.arg;
            return !op.flag && op.result == op.arg;
        case op_kind::load_and_delete:
            next = 0;
            return op.flag == present && op.result == state;
        case op_kind::erase:
            next = 0;
            return op.flag == present;
        case op_kind::exchange:
            next = op.arg;
            return op.flag == present && op.result == state;
        case op_kind::compare_and_swap:
            if (present && state == op.expected) {
                next = op.arg;
                return op.flag;
            }
            return !op.flag;
        case op_kind::compare_and_delete:
            if (present && state == op.expected) {
                next = 0;
                return op.flag;
            }
            return !op.flag;
    }
    return false;
}

namespace {

std::uint64_t mix64(std::uint64_t x) noexcept {
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ULL;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebULL;
    x ^= x >> 31;
    return x;
}

// A configuration: the set of linearized operations (as two independent Zobrist hashes,
// 128 bits, so a collision is out of reach for any run) and the register's state.
struct config {
    std::uint64_t z1, z2;
    value_type state;
    bool operator==(const config&) const = default;
};
struct config_hash {
    std::size_t operator()(const config& c) const noexcept { return c.z1 ^ mix64(c.state + c.z2); }
};

enum class outcome { ok, violation, unknown };

// Exhaustive Wing-Gong-Lowe search over one segment (operations sorted by invocation).
class segment_search {
public:
    segment_search(std::span<const op_record* const> ops, std::size_t budget, timestamp skew)
        : ops_(ops), budget_(budget), skew_(skew), linearized_(ops.size(), 0) {
        zob1_.resize(ops.size());
        zob2_.resize(ops.size());
        for (std::size_t i = 0; i < ops.size(); ++i) {
            zob1_[i] = mix64(0x51ed270b + i * 2);
            zob2_[i] = mix64(0x2545f491 + i * 2 + 1);
        }
    }

    // Fills `ends` with every state the register may hold after the segment, starting
    // from any state in `starts`.
    outcome run(const std::vector<value_type>& starts, std::vector<value_type>& ends) {
        ends.clear();
        for (value_type s : starts) {
            if (!visited_.insert(config{0, 0, s}).second) continue;
            push(no_op, s);
            while (!frames_.empty()) {
                frame& f = frames_.back();
                if (count_ == ops_.size()) {
                    if (std::find(ends.begin(), ends.end(), f.state) == ends.end()) ends.push_back(f.state);
                    pop();
                    continue;
                }
                if (f.next == f.cand_end) {
                    pop();
                    continue;
                }
                const std::uint32_t i = pool_[f.next++];
                value_type next_state;
                if (!apply_sequential(*ops_[i], f.state, next_state)) continue;
                mark(i);
                if (!visited_.insert(config{z1_, z2_, next_state}).second) {
                    unmark(i);
                    continue;
                }
                if (visited_.size() > budget_) return outcome::unknown;
                push(i, next_state);
            }
        }
        return ends.empty() ? outcome::violation : outcome::ok;
    }

private:
    static constexpr std::uint32_t no_op = std::numeric_limits<std::uint32_t>::max();

    struct frame {
        std::uint32_t applied;  // operation linearized to reach this frame
        value_type state;
        std::size_t cand_begin, cand_end, next;  // candidates in pool_[cand_begin, cand_end)
    };

    void mark(std::uint32_t i) {
        linearized_[i] = 1;
        ++count_;
        z1_ ^= zob1_[i];
        z2_ ^= zob2_[i];
        while (first_ < ops_.size() && linearized_[first_]) ++first_;
    }
    void unmark(std::uint32_t i) {
        linearized_[i] = 0;
        --count_;
        z1_ ^= zob1_[i];
        z2_ ^= zob2_[i];
        first_ = std::min<std::size_t>(first_, i);
    }

    // Candidates: unlinearized operations that no unlinearized operation must precede:
    // none of the same thread invoked earlier, and none of another thread whose response
    // + skew is before their invocation. Scanning in invocation order, once an operation
    // is invoked after (earliest response + skew) so is every later one: stop there.
    void push(std::uint32_t applied, value_type state) {
        const std::size_t begin = pool_.size();
        timestamp min_response = std::numeric_limits<timestamp>::max();
        threads_seen_.clear();
        for (std::size_t i = first_; i < ops_.size(); ++i) {
            if (linearized_[i]) continue;
            const op_record& o = *ops_[i];
            if (o.invoke > min_response) break;
            const bool first_of_thread =
                std::find(threads_seen_.begin(), threads_seen_.end(), o.thread) == threads_seen_.end();
            if (first_of_thread) {
                threads_seen_.push_back(o.thread);
                pool_.push_back(static_cast<std::uint32_t>(i));
            }
            min_response = std::min(min_response, o.response + skew_);
        }
        frames_.push_back(frame{applied, state, begin, pool_.size(), begin});
    }
    void pop() {
        const frame f = frames_.back();
        frames_.pop_back();
        pool_.resize(f.cand_begin);
        if (f.applied != no_op) unmark(f.applied);
    }

    std::span<const op_record* const> ops_;
    std::size_t budget_;
    timestamp skew_;
    std::vector<std::uint16_t> threads_seen_;
    std::vector<char> linearized_;
    std::vector<std::uint64_t> zob1_, zob2_;
    std::uint64_t z1_ = 0, z2_ = 0;
    std::size_t count_ = 0, first_ = 0;
    std::vector<frame> frames_;
    std::vector<std::uint32_t> pool_;
    std::unordered_set<config, config_hash> visited_;
};

std::string describe(key_type key, std::span<const op_record* const> seg) {
    std::ostringstream out;
    out << "key " << key << ": no linearization of " << seg.size() << " operations";
    const timestamp t0 = seg.front()->invoke;
    const std::size_t shown = std::min<std::size_t>(seg.size(), 6);
    out << " [";
    for (std::size_t i = 0; i < shown; ++i) {
        const op_record& o = *seg[i];
        if (i) out << "; ";
        out << "t" << o.thread << " " << to_string(o.kind);
        if (o.arg) out << "(" << std::hex << o.arg << std::dec << ")";
        out << "->" << (o.flag ? "T" : "F");
        if (o.result) out << ":" << std::hex << o.result << std::dec;
        out << " @" << (o.invoke - t0) << ".." << (o.response - t0) << "ns";
    }
    if (shown < seg.size()) out << "; ...";
    out << "]";
    return out.str();
}

}  // namespace

l1_report check_linearizability(std::span<const op_record> ops, const l1_options& options) {
    l1_report report;
    std::vector<const op_record*> sorted;
    sorted.reserve(ops.size());
    for (const auto& o : ops) sorted.push_back(&o);
    std::sort(sorted.begin(), sorted.end(), [](const op_record* a, const op_record* b) {
        if (a->key != b->key) return a->key < b->key;
        return a->invoke < b->invoke;
    });

    std::vector<value_type> states, ends;
    std::size_t begin = 0;
    while (begin < sorted.size()) {
        const key_type key = sorted[begin]->key;
        std::size_t end = begin;
        while (end < sorted.size() && sorted[end]->key == key) ++end;

        ++report.tally.checks;
        report.tally.item_checks += end - begin;
        states.assign(1, 0);  // every key starts absent
        bool violated = false, undecided = false;
        std::size_t seg_begin = begin;
        while (seg_begin < end && !violated) {
            // Extend the segment while the next operation starts before some earlier one ends.
            timestamp reach = sorted[seg_begin]->response + options.skew;
            std::size_t seg_end = seg_begin + 1;
            while (seg_end < end && sorted[seg_end]->invoke <= reach) {
                reach = std::max(reach, sorted[seg_end]->response + options.skew);
                ++seg_end;
            }
            std::span<const op_record* const> seg(sorted.data() + seg_begin, seg_end - seg_begin);
            ++report.segments;
            report.longest_segment = std::max<std::uint64_t>(report.longest_segment, seg.size());

            segment_search search(seg, options.max_configs, options.skew);
            switch (search.run(states, ends)) {
                case outcome::ok:
                    states.swap(ends);
                    break;
                case outcome::violation:
                    violated = true;
                    report.tally.item_violations += seg.size();
                    report.tally.example(describe(key, seg));
                    break;
                case outcome::unknown:
                    undecided = true;
                    ++report.unknown_segments;
                    // Over-approximate: absent, any incoming state, any value written here.
                    states.push_back(0);
                    for (const op_record* o : seg)
                        if (effect_of(*o) == write_effect::set) states.push_back(o->arg);
                    std::sort(states.begin(), states.end());
                    states.erase(std::unique(states.begin(), states.end()), states.end());
                    break;
            }
            seg_begin = seg_end;
        }
        if (violated)
            ++report.tally.violations;
        else if (undecided)
            ++report.tally.unknown;
        begin = end;
    }
    return report;
}

}  // namespace syncmap::lab
