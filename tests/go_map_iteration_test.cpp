// go_map G1: mutation while iterating, checked exactly after every step.
//
// A model records, for every key, its value and an entry id (fresh on each insertion,
// kept by assignment, gone with erasure). Each pass records the ids present when it began.
// After every step of a pass:
//   - the yielded key is present and its value is the latest one (modified entries yield
//     their latest value; erased entries not yet reached are never yielded);
//   - its entry id has not been yielded before by this pass (never twice);
// and at the end of the pass every id present at the start and still present (the entry
// was present throughout) has been yielded exactly once. Between steps the test inserts
// (in bursts that split the leaf being scanned), erases the current entry by key or
// through erase(iterator), erases others, assigns, erases and re-inserts, reserves and
// clears. Two passes run at once over the same map.
#include <syncmap/go_map.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || defined(SYNCMAP_TSAN)
constexpr int scale = 5;
#else
constexpr int scale = 1;
#endif

template <class K>
class model {
public:
    struct entry {
        std::uint64_t value;
        std::uint64_t id;
    };

    const entry* find(const K& k) const {
        auto it = entries_.find(k);
        return it == entries_.end() ? nullptr : &it->second;
    }
    bool live(std::uint64_t id) const { return live_ids_.contains(id); }
    std::size_t size() const { return entries_.size(); }

    // A new entry (the key must be absent).
    void insert(const K& k, std::uint64_t value) {
        const std::uint64_t id = next_id_++;
        entries_.emplace(k, entry{value, id});
        live_ids_.insert(id);
        index_.emplace(k, keys_.size());
        keys_.push_back(k);
    }
    void assign(const K& k, std::uint64_t value) { entries_.at(k).value = value; }
    void erase(const K& k) {
        auto it = entries_.find(k);
        live_ids_.erase(it->second.id);
        entries_.erase(it);
        const std::size_t i = index_.at(k);
        index_[keys_.back()] = i;
        keys_[i] = keys_.back();
        keys_.pop_back();
        index_.erase(k);
    }
    void clear() {
        entries_.clear();
        live_ids_.clear();
        keys_.clear();
        index_.clear();
    }
    template <class Rng>
    const K& random_key(Rng& rng) const {
        return keys_[rng() % keys_.size()];
    }
    std::unordered_set<std::uint64_t> live_ids() const { return live_ids_; }

private:
    std::unordered_map<K, entry> entries_;
    std::unordered_set<std::uint64_t> live_ids_;
    std::vector<K> keys_;
    std::unordered_map<K, std::size_t> index_;
    std::uint64_t next_id_ = 1;
};

struct coverage {
    std::size_t passes = 0;
    std::size_t yields = 0;
    std::size_t following_yields = 0;  // yields while scanning a leaf retired under the pass
    std::size_t passes_followed = 0;   // passes that followed at least one retired leaf
    std::size_t passes_cleared = 0;
};

template <class Map, class It>
class pass_check {
public:
    pass_check(It it, const model<typename Map::key_type>& m) : it_(std::move(it)), start_ids_(m.live_ids()) {}

    It& it() { return it_; }
    bool done() const { return done_; }

    // Checks the iterator's current step; returns false once the pass is over.
    bool check_step(const Map& map, const model<typename Map::key_type>& ref, coverage& cov) {
        if (done_) {
            return false;
        }
        if (it_ == map.end()) {
            done_ = true;
            for (std::uint64_t id : start_ids_) {
                if (ref.live(id)) {
                    EXPECT_TRUE(yielded_.contains(id)) << "entry " << id << " was present throughout but never yielded";
                }
            }
            ++cov.passes;
            cov.passes_followed += followed_ ? 1 : 0;
            return false;
        }
        const auto& [key, value] = *it_;
        const auto* e = ref.find(key);
        EXPECT_NE(e, nullptr) << "yielded a key that is not in the map";
        if (e != nullptr) {
            EXPECT_EQ(value, e->value) << "yielded a stale value";
            EXPECT_TRUE(yielded_.insert(e->id).second) << "entry " << e->id << " yielded twice";
        }
        const auto state = it_.debug_state();
        EXPECT_FALSE(state.at_end);
        EXPECT_FALSE(state.pending);
        EXPECT_TRUE(state.pinned);
        ++cov.yields;
        if (state.following) {
            ++cov.following_yields;
            followed_ = true;
        }
        return !::testing::Test::HasFailure();
    }

private:
    It it_;
    std::unordered_set<std::uint64_t> start_ids_;
    std::unordered_set<std::uint64_t> yielded_;
    bool done_ = false;
    bool followed_ = false;
};

template <class K, class MakeKey>
void run_g1(std::uint64_t seed, MakeKey make_key, coverage& cov) {
    using map_type = syncmap::go_map<K, std::uint64_t>;
    std::mt19937_64 rng(seed);
    map_type m(seed);
    model<K> ref;
    std::uint64_t next_key = 0;
    auto insert_new = [&] {
        const K k = make_key(next_key++);
        const std::uint64_t v = rng();
        ASSERT_TRUE(m.try_emplace(k, v).second);
        ref.insert(k, v);
    };
    // Mostly just below the first split (896 entries in one 1024-slot leaf) or the second.
    const unsigned shape = static_cast<unsigned>(rng() % 4);
    const std::size_t initial = shape == 0   ? rng() % 64
                                : shape == 1 ? 700 + rng() % 196
                                : shape == 2 ? 1500 + rng() % 300
                                             : rng() % 6000;
    for (std::size_t i = 0; i < initial; ++i) {
        insert_new();
    }

    pass_check<map_type, typename map_type::iterator> primary(m.begin(), ref);
    pass_check<map_type, typename map_type::const_iterator> secondary(std::as_const(m).begin(), ref);
    int bursts_left = 3;
    std::size_t mutations_left = 4 * initial + 200;  // then the passes just run out
    bool cleared = seed % 5 != 0;  // one run in five may clear; the others run their passes out
    for (std::size_t step = 0;; ++step) {
        const bool p_live = primary.check_step(m, ref, cov);
        const bool s_live = (step % 2 == 0) ? secondary.check_step(m, ref, cov) : !secondary.done();
        if (::testing::Test::HasFailure()) {
            return;
        }
        if (!p_live && !s_live) {
            break;
        }
        bool advanced = false;
        if (mutations_left > 0) {
            --mutations_left;
            const unsigned op = static_cast<unsigned>(rng() % 1000);
            if (op < 200) {
                insert_new();
            } else if (op < 230 && bursts_left > 0) {
                --bursts_left;
                const std::size_t n = 100 + rng() % 900;
                for (std::size_t i = 0; i < n; ++i) {
                    insert_new();
                }
            } else if (op < 380 && p_live) {
                // Erase the current entry by key; the pass must carry on.
                const K k = primary.it()->first;
                ASSERT_EQ(m.erase(k), 1u);
                ref.erase(k);
            } else if (op < 480 && p_live) {
                // Erase it through the iterator, which returns the next step.
                const K k = primary.it()->first;
                primary.it() = m.erase(primary.it());
                ref.erase(k);
                advanced = true;
            } else if (op < 580 && ref.size() > 0) {
                const K k = ref.random_key(rng);
                ASSERT_EQ(m.erase(k), 1u);
                ref.erase(k);
            } else if (op < 700 && ref.size() > 0) {
                const K k = ref.random_key(rng);
                const std::uint64_t v = rng();
                if (rng() % 2) {
                    m[k] = v;
                } else {
                    ASSERT_FALSE(m.insert_or_assign(k, v).second);
                }
                ref.assign(k, v);
            } else if (op < 750 && p_live) {
                const K k = primary.it()->first;
                const std::uint64_t v = rng();
                primary.it()->second = v;
                ref.assign(k, v);
            } else if (op < 800 && ref.size() > 0) {
                // Erase and re-insert: a new entry, which may be yielded once more.
                const K k = ref.random_key(rng);
                ASSERT_EQ(m.erase(k), 1u);
                ref.erase(k);
                const std::uint64_t v = rng();
                m[k] = v;
                ref.insert(k, v);
            } else if (op < 810) {
                m.reserve(m.size() + 500 + rng() % 3000);
            } else if (op < 812 && !cleared) {
                cleared = true;
                ++cov.passes_cleared;
                m.clear();
                ref.clear();
            }
        }
        if (p_live && !advanced) {
            ++primary.it();
        }
        if (s_live && step % 2 == 1) {
            ++secondary.it();
        }
        ASSERT_EQ(m.size(), ref.size());
    }
    ASSERT_EQ(m.size(), ref.size());
}

TEST(GoMapG1, MutationWhileIteratingUint64Keys) {
    coverage cov;
    for (std::uint64_t seed = 1; seed <= static_cast<std::uint64_t>(160 / scale); ++seed) {
        run_g1<std::uint64_t>(seed, [](std::uint64_t n) { return n * 0x9e3779b97f4a7c15ULL; }, cov);
        if (HasFailure()) {
            FAIL() << "seed " << seed;
        }
    }
    // The test must really exercise what G1 is about: passes that follow retired leaves
    // and passes ended by clear().
    EXPECT_GT(cov.passes_followed, 0u);
    EXPECT_GT(cov.following_yields, 100u);
    EXPECT_GT(cov.passes_cleared, 0u);
}

TEST(GoMapG1, MutationWhileIteratingStringKeys) {
    coverage cov;
    for (std::uint64_t seed = 1000; seed < 1000 + static_cast<std::uint64_t>(40 / scale); ++seed) {
        // Longer than the small-string buffer: retired leaves hold heap-allocated key copies.
        run_g1<std::string>(seed, [](std::uint64_t n) { return "a-key-longer-than-sso-" + std::to_string(n); }, cov);
        if (HasFailure()) {
            FAIL() << "seed " << seed;
        }
    }
    EXPECT_GT(cov.passes_followed, 0u);
}

// Go's idiom: delete every key while ranging over the map.
TEST(GoMapG1, EraseEverythingWhileIterating) {
    syncmap::go_map<std::uint64_t, std::uint64_t> m;
    for (std::uint64_t i = 0; i < 20000; ++i) {
        m[i] = i;
    }
    std::unordered_set<std::uint64_t> seen;
    for (auto it = m.begin(); it != m.end(); ++it) {
        ASSERT_TRUE(seen.insert(it->first).second);
        m.erase(it->first);
    }
    EXPECT_EQ(seen.size(), 20000u);
    EXPECT_TRUE(m.empty());
}

// The leaf being scanned splits under the pass: the pass follows the retired leaf and
// still yields each old entry exactly once with its current value.
TEST(GoMapG1, FollowsTheLeafItWasScanningThroughASplit) {
    syncmap::go_map<std::uint64_t, std::uint64_t> m(77);
    for (std::uint64_t k = 0; k < 890; ++k) {
        m[k] = k;  // one leaf of 1024 slots, just below its load limit of 896
    }
    ASSERT_EQ(m.debug_structure().leaves, 1u);
    const std::size_t old_size = m.size();
    auto it = m.begin();
    ASSERT_NE(it, m.end());
    const auto before = it.debug_state();
    EXPECT_FALSE(before.following);
    EXPECT_EQ(before.local_depth, 0u);
    std::unordered_set<std::uint64_t> seen{it->first};
    for (std::uint64_t i = 0; i < 2000; ++i) {
        m[1'000'000 + i] = i;  // splits the only leaf (and more)
    }
    for (std::uint64_t i = 0; i < old_size; i += 2) {
        m[i] = i + 1;  // modified entries yield their latest value
    }
    const auto during = it.debug_state();
    EXPECT_TRUE(during.following);
    EXPECT_EQ(during.leaf, before.leaf) << "the pass keeps scanning the leaf it started";
    EXPECT_GT(m.debug_structure().leaves, 1u);
    for (++it; it != m.end(); ++it) {
        ASSERT_TRUE(seen.insert(it->first).second) << it->first << " yielded twice";
        if (it->first < old_size) {
            ASSERT_EQ(it->second, it->first % 2 == 0 ? it->first + 1 : it->first);
        }
    }
    for (std::uint64_t i = 0; i < old_size; ++i) {
        ASSERT_TRUE(seen.contains(i)) << i << " was present throughout but not yielded";
    }
}

TEST(GoMapG1, ClearEndsThePass) {
    syncmap::go_map<std::uint64_t, std::uint64_t> m;
    for (std::uint64_t i = 0; i < 5000; ++i) {
        m[i] = i;
    }
    auto it = m.begin();
    ASSERT_NE(it, m.end());
    m.clear();
    m[1] = 1;  // inserted after clear: may or may not be yielded; here the pass just ends
    ++it;
    EXPECT_EQ(it, m.end());
    EXPECT_TRUE(it.debug_state().at_end);
}

TEST(GoMapG1, DereferenceAfterGrowthSeesTheCurrentEntry) {
    syncmap::go_map<std::uint64_t, std::uint64_t> m(5);
    for (std::uint64_t i = 0; i < 800; ++i) {
        m[i] = i;
    }
    auto it = m.begin();
    const std::uint64_t key = it->first;
    for (std::uint64_t i = 0; i < 5000; ++i) {
        m[10000 + i] = i;  // the entry under the iterator moves to another leaf
    }
    m[key] = 4242;
    EXPECT_TRUE(it.debug_state().following);
    EXPECT_EQ(it->first, key);
    EXPECT_EQ(it->second, 4242u);
    EXPECT_EQ(&*it, &*m.find(key)) << "a following pass refers to the live entry";
}


// G1 for keys not equal to themselves (NaN): no lookup finds them, so a pass following a
// rebuilt leaf lost every one it had not reached (100 NaN entries, growth at the first step:
// 1 yielded). Go yields them all (grownKeyElem). The entries yielded are the live ones: a
// value written through the pass is the map's, and erase(it) erases them.
TEST(GoMapG1, KeysNotEqualToThemselvesSurviveARebuildDuringThePass) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (std::uint64_t seed = 1; seed <= 20; ++seed) {
        SCOPED_TRACE("seed " + std::to_string(seed));
        syncmap::go_map<double, int> m(seed);
        for (int i = 0; i < 100; ++i) {
            m[nan] = i;  // a new entry each time, as in Go
        }
        ASSERT_EQ(m.size(), 100u);
        // Growth at the first step; every NaN entry yielded once, and marked through the pass.
        std::vector<int> seen(100, 0);
        bool grown = false;
        for (auto it = m.begin(); it != m.end(); ++it) {
            if (!grown) {
                grown = true;
                for (int k = 1; k <= 3000; ++k) {
                    m[static_cast<double>(k)] = -k;  // the leaf being scanned is rebuilt (and split)
                }
                ASSERT_TRUE(it.debug_state().following);
            }
            if (std::isnan(it->first)) {
                ASSERT_GE(it->second, 0);
                ASSERT_LT(it->second, 100);
                ++seen[it->second];
                it->second += 1000;
            }
        }
        for (int i = 0; i < 100; ++i) {
            EXPECT_EQ(seen[i], 1) << "NaN entry with value " << i;
        }
        std::size_t marked = 0;
        for (const auto& [k, v] : m) {
            marked += std::isnan(k) && v >= 1000 ? 1 : 0;
        }
        EXPECT_EQ(marked, 100u) << "the pass yielded the live entries";
        // Rebuilt twice while the pass follows the first leaf; erase each NaN entry through it.
        int round = 0;
        std::size_t erased = 0;
        for (auto it = m.begin(); it != m.end();) {
            if (round < 2) {
                for (int k = 0; k < 20000; ++k) {
                    m[static_cast<double>(100000 * (round + 1) + k)] = k;
                }
                ++round;
            }
            if (std::isnan(it->first)) {
                it = m.erase(it);
                ++erased;
            } else {
                ++it;
            }
        }
        EXPECT_EQ(erased, 100u);
        for (const auto& [k, v] : m) {
            ASSERT_FALSE(std::isnan(k));
        }
    }
}

}  // namespace
