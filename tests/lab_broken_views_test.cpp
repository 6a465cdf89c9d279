// The S1, S2, C2, C4 and G1 checkers must catch deliberately broken snapshots, scans and
// iterations, and must pass a correct reference with zero violations, on the lab's own
// scenarios (snapshot-under-churn, scan-pass, go-map-iteration).
//
// The reference is an ordered std::map behind a std::shared_mutex. Its snapshot copies the
// map under the shared lock (exactly one instant); its scan and range copy a chunk of keys
// at or after a key cursor under the lock and call back outside it, so callbacks may write
// (W5) and a pass in key order meets W1-W4 whatever happens between chunks; its iteration
// steps through the live map in key order, which meets G1. Each broken map below changes
// exactly one of these.
#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <thread>
#include <vector>

#include "../peers/shared_mutex_map.hpp"
#include "lab_self_test.hpp"
#include "scenarios/scenarios.hpp"

namespace syncmap::lab {
namespace {

using namespace self_test;

using ordered = std::map<key_type, value_type>;

key_type cursor_key(const scan_cursor& c) {
    key_type k = 0;
    if (c.started) std::memcpy(&k, c.bytes.data(), sizeof k);
    return k;
}

scan_cursor cursor_at(key_type next, bool done) {
    scan_cursor c;
    std::memcpy(c.bytes.data(), &next, sizeof next);
    c.started = true;
    c.done = done;
    return c;
}

// Offers up to `chunk` entries of `m` from the cursor's key on; `lock` guards `m` while
// copying (a no-op for an immutable copy). Callbacks run with nothing held.
template <class Lock>
scan_cursor scan_ordered(const ordered& m, Lock&& lock, const scan_cursor& from, std::size_t chunk,
                         range_callback f, bool stoppable) {
    std::vector<std::pair<key_type, value_type>> batch;
    bool at_end;
    {
        [[maybe_unused]] auto guard = lock();
        auto it = m.lower_bound(cursor_key(from));
        for (; it != m.end() && batch.size() < chunk; ++it) batch.emplace_back(*it);
        at_end = it == m.end();
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const bool go_on = f(batch[i].first, batch[i].second);
        if (stoppable && !go_on) return cursor_at(batch[i].first + 1, at_end && i + 1 == batch.size());
    }
    return batch.empty() ? cursor_at(0, true) : cursor_at(batch.back().first + 1, at_end);
}

struct no_lock {
    int operator()() const { return 0; }
};

class copy_view : public snapshot_view {
public:
    explicit copy_view(ordered contents) : contents_(std::move(contents)) {}
    [[nodiscard]] std::optional<value_type> load(key_type k) const override {
        auto it = contents_.find(k);
        if (it == contents_.end()) return std::nullopt;
        return it->second;
    }
    [[nodiscard]] bool contains(key_type k) const override { return contents_.count(k) != 0; }
    [[nodiscard]] std::size_t size() const override { return contents_.size(); }
    void iterate(range_callback f) const override {
        for (const auto& [k, v] : contents_)
            if (!f(k, v)) return;
    }
    void range(range_callback f) const override { iterate(f); }
    scan_cursor scan(const scan_cursor& from, std::size_t chunk, range_callback f, bool stoppable) const override {
        return scan_ordered(contents_, no_lock{}, from, chunk, f, stoppable);
    }

protected:
    ordered contents_;
};

class views_reference : public peers::basic_shared_mutex_map<ordered> {
public:
    [[nodiscard]] std::string name() const override { return "views_reference"; }
    [[nodiscard]] capabilities caps() const override {
        capabilities c;
        c.ops.fill(true);
        c.range = true;
        c.range_reentrant = true;
        c.range_stops_early = true;
        c.clear = true;
        c.snapshot = true;
        c.snapshot_scan = true;
        c.scan = true;
        c.mutating_iteration = true;
        return c;
    }
    [[nodiscard]] promise promises(clause) const override { return promise::promised; }

    void clear() override {
        std::unique_lock lock(mutex_);
        map_.clear();
    }
    void range(range_callback f) override {
        scan_cursor c;
        do {
            bool stopped = false;
            c = scan(c, 8, [&](key_type k, value_type v) { return !(stopped = !f(k, v)); }, true);
            if (stopped) return;
        } while (!c.done);
    }
    scan_cursor scan(const scan_cursor& from, std::size_t chunk, range_callback f, bool stoppable) override {
        return scan_ordered(map_, [this] { return std::shared_lock(mutex_); }, from, chunk, f, stoppable);
    }
    scan_cursor range_until_stopped(range_callback f, std::stop_token stop) override {
        scan_cursor c;
        while (!c.done && !stop.stop_requested()) {  // "leaves" of 8 entries
            bool stopped = false;
            c = scan(c, 8, [&](key_type k, value_type v) { return !(stopped = !f(k, v)); }, true);
            if (stopped) break;
        }
        return c.started ? c : cursor_at(0, false);
    }
    std::unique_ptr<snapshot_view> snapshot() override {
        std::shared_lock lock(mutex_);
        return std::make_unique<copy_view>(map_);
    }
    // Steps through the live map in key order; the callback may mutate it meanwhile.
    void iterate(iteration_callback f) override {
        std::optional<key_type> last;
        for (;;) {
            std::pair<key_type, value_type> current;
            {
                std::shared_lock lock(mutex_);
                auto it = last ? map_.upper_bound(*last) : map_.begin();
                if (it == map_.end()) return;
                current = *it;
            }
            const iteration_step step = f(current.first, current.second);
            if (step.assign_current != 0) store(current.first, step.assign_current);
            if (step.then == iteration_step::then_do::stop) return;
            if (step.then == iteration_step::then_do::erase_current) erase(current.first);
            last = current.first;
        }
    }

};

// snapshot() returns the contents the map had at the fourth snapshot() call before this
// one (S1: it misses writes that completed before the call).
class stale_snapshot : public views_reference {
public:
    std::unique_ptr<snapshot_view> snapshot() override {
        std::shared_lock lock(mutex_);
        std::lock_guard keep(history_mutex_);
        history_.push_back(map_);
        ordered out = history_.front();
        if (history_.size() > 4) history_.pop_front();
        return std::make_unique<copy_view>(std::move(out));
    }

private:
    std::mutex history_mutex_;
    std::deque<ordered> history_;
};

// snapshot() copies the lower half of the keys, lets writers run, then copies the upper
// half (S1: two instants).
class torn_snapshot : public views_reference {
public:
    std::unique_ptr<snapshot_view> snapshot() override {
        ordered out;
        key_type split;
        {
            std::shared_lock lock(mutex_);
            split = map_.empty() ? 0 : std::next(map_.begin(), static_cast<std::ptrdiff_t>(map_.size() / 2))->first;
            out.insert(map_.begin(), map_.lower_bound(split));
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        std::shared_lock lock(mutex_);
        out.insert(map_.lower_bound(split), map_.end());
        return std::make_unique<copy_view>(std::move(out));
    }
};

// The snapshot's load() and contains() read the live map (S2: they disagree with its
// iteration once the map changes).
class snapshot_load_reads_live : public views_reference {
public:
    class view : public copy_view {
    public:
        view(ordered contents, views_reference& live) : copy_view(std::move(contents)), live_(live) {}
        [[nodiscard]] std::optional<value_type> load(key_type k) const override { return live_.load(k); }
        [[nodiscard]] bool contains(key_type k) const override { return live_.contains(k); }

    private:
        views_reference& live_;
    };
    std::unique_ptr<snapshot_view> snapshot() override {
        std::shared_lock lock(mutex_);
        return std::make_unique<view>(map_, *this);
    }
};

// The snapshot's chunked scan skips the first entry of every call but the first (C4).
class snapshot_scan_drops_key : public views_reference {
public:
    class view : public copy_view {
    public:
        using copy_view::copy_view;
        scan_cursor scan(const scan_cursor& from, std::size_t chunk, range_callback f, bool stoppable) const override {
            if (!from.started) return copy_view::scan(from, chunk, f, stoppable);
            auto it = contents_.lower_bound(cursor_key(from));
            if (it == contents_.end()) return cursor_at(0, true);
            return copy_view::scan(cursor_at(it->first + 1, false), chunk, f, stoppable);
        }
    };
    std::unique_ptr<snapshot_view> snapshot() override {
        std::shared_lock lock(mutex_);
        return std::make_unique<view>(map_);
    }
};

// A resumed scan starts at the last key of the previous call instead of after it (C2, W2).
class scan_repeats_key : public views_reference {
public:
    scan_cursor scan(const scan_cursor& from, std::size_t chunk, range_callback f, bool stoppable) override {
        const scan_cursor back = from.started ? cursor_at(cursor_key(from) - 1, false) : from;
        return views_reference::scan(back, chunk, f, stoppable);
    }
};

// A resumed scan skips the first key at its position (C2, W1).
class scan_drops_key : public views_reference {
public:
    scan_cursor scan(const scan_cursor& from, std::size_t chunk, range_callback f, bool stoppable) override {
        if (!from.started) return views_reference::scan(from, chunk, f, stoppable);
        std::optional<key_type> skip;
        {
            std::shared_lock lock(mutex_);
            auto it = map_.lower_bound(cursor_key(from));
            if (it != map_.end()) skip = it->first;
        }
        if (!skip) return cursor_at(0, true);
        return views_reference::scan(cursor_at(*skip + 1, false), chunk, f, stoppable);
    }
};

// Iteration walks a copy taken when the pass begins (G1: yields erased entries and old values).
class iterates_a_copy : public views_reference {
public:
    void iterate(iteration_callback f) override {
        ordered copy;
        {
            std::shared_lock lock(mutex_);
            copy = map_;
        }
        for (const auto& [k, v] : copy) {
            const iteration_step step = f(k, v);
            if (step.assign_current != 0) store(k, step.assign_current);
            if (step.then == iteration_step::then_do::stop) return;
            if (step.then == iteration_step::then_do::erase_current) erase(k);
        }
    }
};

// A map whose snapshots copy lazily, as sync_map's leaves do: snapshot() only registers a
// view that reads the live map, and the first write after it copies the map into every
// registered view still without a copy, before changing anything. Writers serialise on
// writer_mutex_ (what hold_writers_of holds, as sync_map's leaf lock) and change the map
// under data_mutex_. With `decides_early` a write decides whether a snapshot lives before
// taking writer_mutex_ and, if it decided none did, preserves nothing: a snapshot taken
// while the write waits for the lock then changes under its reader (S2). The stalled
// writers of snapshot-race exist to catch this.
template <bool decides_early>
class lazy_snapshot_map : public map_adapter {
public:
    [[nodiscard]] std::string name() const override { return "lazy_snapshot_map"; }
    [[nodiscard]] capabilities caps() const override {
        capabilities c;
        for (op_kind k : {op_kind::load, op_kind::contains, op_kind::store, op_kind::erase}) c.ops[static_cast<std::size_t>(k)] = true;
        c.snapshot = true;
        c.hold_writers = true;
        return c;
    }
    [[nodiscard]] promise promises(clause) const override { return promise::promised; }

    std::optional<value_type> load(key_type k) override {
        std::shared_lock lock(data_mutex_);
        return find(map_, k);
    }
    void store(key_type k, value_type v) override {
        write([&](ordered& m) { m[k] = v; });
    }
    bool erase(key_type k) override {
        return write([&](ordered& m) { return m.erase(k) != 0; });
    }
    void hold_writers_of(key_type, function_ref<void()> while_held) override {
        std::lock_guard writer(writer_mutex_);
        while_held();
    }
    std::unique_ptr<snapshot_view> snapshot() override {
        std::unique_lock lock(data_mutex_);
        auto f = std::make_shared<frozen>();
        live_.push_back(f);
        return std::make_unique<view>(*this, std::move(f));
    }

private:
    struct frozen {  // guarded by data_mutex_
        ordered copy;
        bool copied = false;
    };

    class view : public snapshot_view {
    public:
        view(lazy_snapshot_map& m, std::shared_ptr<frozen> f) : m_(m), f_(std::move(f)) {}
        ~view() override {
            std::unique_lock lock(m_.data_mutex_);
            std::erase(m_.live_, f_);
        }
        [[nodiscard]] std::optional<value_type> load(key_type k) const override { return find(contents(), k); }
        [[nodiscard]] bool contains(key_type k) const override { return load(k).has_value(); }
        [[nodiscard]] std::size_t size() const override { return contents().size(); }
        void iterate(range_callback f) const override {
            for (const auto& [k, v] : contents())
                if (!f(k, v)) return;
        }
        void range(range_callback f) const override { iterate(f); }

    private:
        // What the view shows now: its copy once a write made one, the live map until then.
        ordered contents() const {
            std::shared_lock lock(m_.data_mutex_);
            return f_->copied ? f_->copy : m_.map_;
        }
        lazy_snapshot_map& m_;
        std::shared_ptr<frozen> f_;
    };

    static std::optional<value_type> find(const ordered& m, key_type k) {
        auto it = m.find(k);
        if (it == m.end()) return std::nullopt;
        return it->second;
    }

    template <class Change>
    auto write(Change change) {
        bool snapshot_lives = true;
        if constexpr (decides_early) {
            std::shared_lock lock(data_mutex_);
            snapshot_lives = !live_.empty();
        }
        std::lock_guard writer(writer_mutex_);
        std::unique_lock lock(data_mutex_);
        if (snapshot_lives) {
            for (const auto& f : live_) {
                if (!f->copied) {
                    f->copy = map_;
                    f->copied = true;
                }
            }
            live_.clear();  // copied: later writes need not preserve for them again
        }
        return change(map_);
    }

    std::mutex writer_mutex_;
    mutable std::shared_mutex data_mutex_;
    ordered map_;
    std::vector<std::shared_ptr<frozen>> live_;  // views without a copy yet
};

TEST(LabViewsSelfTest, ReferencePassesEveryViewScenario) {
    const auto e = entry<views_reference>();
    for (unsigned threads : {1u, 2u}) {
        std::vector<scenario_result> all;
        for (auto run : {run_snapshot_under_churn, run_scan_pass, run_go_map_iteration})
            for (auto& r : run(e, config(threads))) all.push_back(std::move(r));
        for (const auto& r : all) EXPECT_TRUE(r.supported) << r.scenario << ": " << r.note;
        for (clause c : {clause::S1, clause::S2, clause::C2, clause::C4, clause::G1}) {
            const clause_tally t = total(all, c);
            EXPECT_GT(t.checks, 0u) << to_string(c);
            EXPECT_EQ(t.violations, 0u) << to_string(c) << ": " << first_example(t);
        }
    }
}

TEST(LabViewsSelfTest, StaleSnapshotIsCaughtByS1) {
    const auto results = run_snapshot_under_churn(entry<stale_snapshot>(), config(2));
    const clause_tally s1 = total(results, clause::S1);
    EXPECT_GT(s1.violations, 0u);
    EXPECT_EQ(total(results, clause::S2).violations, 0u) << "a stale copy is still a consistent view";
    EXPECT_EQ(total(results, clause::C4).violations, 0u);
}

TEST(LabViewsSelfTest, SnapshotOfTwoInstantsIsCaughtByS1) {
    const auto results = run_snapshot_under_churn(entry<torn_snapshot>(), config(2));
    EXPECT_GT(total(results, clause::S1).violations, 0u);
    EXPECT_EQ(total(results, clause::S2).violations, 0u);
}

TEST(LabViewsSelfTest, SnapshotLoadReadingTheLiveMapIsCaughtByS2) {
    const auto results = run_snapshot_under_churn(entry<snapshot_load_reads_live>(), config(2));
    EXPECT_GT(total(results, clause::S2).violations, 0u);
    EXPECT_EQ(total(results, clause::S1).violations, 0u) << first_example(total(results, clause::S1));
    EXPECT_EQ(total(results, clause::C4).violations, 0u);
}

TEST(LabViewsSelfTest, SnapshotScanDroppingKeysIsCaughtByC4) {
    const auto results = run_snapshot_under_churn(entry<snapshot_scan_drops_key>(), config(1));
    const clause_tally c4 = total(results, clause::C4);
    EXPECT_GT(c4.violations, 0u);
    // The scan disagrees with the snapshot's other answers: S2 fires on the same checks.
    EXPECT_EQ(total(results, clause::S2).violations, c4.violations);
    EXPECT_EQ(total(results, clause::S1).violations, 0u);
}

TEST(LabViewsSelfTest, ScanRepeatingAKeyIsCaughtByC2) {
    const auto results = run_scan_pass(entry<scan_repeats_key>(), config(2));
    const clause_tally c2 = total(results, clause::C2);
    EXPECT_GT(c2.violations, 0u);
    for (const auto& e : c2.examples) EXPECT_EQ(e.find("W2 repeated 0,"), std::string::npos) << e;
}

TEST(LabViewsSelfTest, ScanDroppingAKeyIsCaughtByC2) {
    const auto results = run_scan_pass(entry<scan_drops_key>(), config(2));
    const clause_tally c2 = total(results, clause::C2);
    EXPECT_GT(c2.violations, 0u);
    for (const auto& e : c2.examples) EXPECT_EQ(e.find("W1 missed 0,"), std::string::npos) << e;
}

TEST(LabViewsSelfTest, IteratingACopyIsCaughtByG1) {
    const auto results = run_go_map_iteration(entry<iterates_a_copy>(), config(1));
    const clause_tally g1 = total(results, clause::G1);
    EXPECT_GT(g1.violations, 0u);
    EXPECT_EQ(g1.checks, traversals);
}

TEST(LabViewsSelfTest, LazySnapshotPassesSnapshotRace) {
    for (unsigned threads : {1u, 2u}) {
        const auto results = run_snapshot_race(entry<lazy_snapshot_map<false>>(), config(threads));
        for (clause c : {clause::S1, clause::S2, clause::L1}) {
            const clause_tally t = total(results, c);
            EXPECT_GT(t.checks, 0u) << to_string(c);
            EXPECT_EQ(t.violations, 0u) << to_string(c) << ": " << first_example(t);
        }
        double trials = 0;
        for (const auto& r : results)
            for (const auto& [name, value] : r.metrics)
                if (name == "stalled-writer trials") trials += value;
        EXPECT_GT(trials, 0) << "the stalled-writer phase did not run";
    }
}

// A write that decides "no snapshot lives" before its lock: the stalled writers catch it.
TEST(LabViewsSelfTest, WriteDecidingBeforeItsLockIsCaughtByS2) {
    for (unsigned threads : {1u, 2u}) {
        const auto results = run_snapshot_race(entry<lazy_snapshot_map<true>>(), config(threads));
        const clause_tally s2 = total(results, clause::S2);
        EXPECT_GT(s2.violations, 0u) << threads << " threads";
        EXPECT_EQ(total(results, clause::L1).violations, 0u) << "point operations stay linearizable";
    }
}

}  // namespace
}  // namespace syncmap::lab
