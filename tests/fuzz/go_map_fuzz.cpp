// libFuzzer target: go_map against std::unordered_map, with passes that run while the
// map is mutated (G1).
//
// Each input is a program: one byte selects an operation, the next bytes its operands.
// Point operations are compared with the reference. Up to two passes run interleaved with
// the operations; each step of a pass checks G1 exactly: the yielded key is present, with
// its latest value, and its entry (a fresh id per insertion, kept by assignment) was not
// yielded before by that pass; at the end, every entry present at the start and still
// present was yielded. Bulk insertions let short inputs reach leaf splits (896 entries in
// a 1024-slot leaf) while a pass is in flight. Any mismatch aborts.
//
// Build: clang++ -std=c++20 -fsanitize=fuzzer,address,undefined -I include \
//          tests/fuzz/go_map_fuzz.cpp
#include <syncmap/go_map.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <unordered_map>
#include <unordered_set>

namespace {

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "go_map_fuzz: %s\n", what);
    std::abort();
}

void check(bool ok, const char* what) {
    if (!ok) {
        fail(what);
    }
}

class input {
public:
    input(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}
    bool empty() const { return pos_ >= size_; }
    std::uint8_t byte() { return pos_ < size_ ? data_[pos_++] : 0; }
    std::uint16_t u16() {
        const std::uint16_t lo = byte();
        return static_cast<std::uint16_t>(lo | (byte() << 8));
    }

private:
    const std::uint8_t* data_;
    std::size_t size_;
    std::size_t pos_ = 0;
};

struct ref_entry {
    std::uint64_t value;
    std::uint64_t id;
};

using map_type = syncmap::go_map<std::uint64_t, std::uint64_t>;
using reference_map = std::unordered_map<std::uint64_t, ref_entry>;

struct pass {
    map_type::iterator it;
    std::unordered_set<std::uint64_t> start_ids;
    std::unordered_set<std::uint64_t> yielded;
    std::uint64_t current_id = 0;  // the entry it is at; dereferenceable while that is live
};

struct harness {
    map_type m{0x5eed};
    reference_map ref;
    std::unordered_set<std::uint64_t> live_ids;
    std::uint64_t next_id = 1;
    std::optional<pass> passes[2];

    void ref_put(std::uint64_t k, std::uint64_t v) {
        auto [it, inserted] = ref.try_emplace(k, ref_entry{v, 0});
        if (inserted) {
            it->second.id = next_id++;
            live_ids.insert(it->second.id);
        } else {
            it->second.value = v;
        }
    }
    bool ref_erase(std::uint64_t k) {
        auto it = ref.find(k);
        if (it == ref.end()) {
            return false;
        }
        live_ids.erase(it->second.id);
        ref.erase(it);
        return true;
    }

    void start(int p) {
        passes[p].emplace(pass{m.begin(), live_ids, {}});
        arrive(p);
    }

    // Checks the step the pass has just arrived at; ends the pass at the end.
    void arrive(int p) {
        pass& ps = *passes[p];
        if (ps.it == m.end()) {
            for (std::uint64_t id : ps.start_ids) {
                check(!live_ids.contains(id) || ps.yielded.contains(id), "an entry present throughout was skipped");
            }
            passes[p].reset();
            return;
        }
        const auto it = ref.find(ps.it->first);
        check(it != ref.end(), "yielded an absent key");
        check(ps.it->second == it->second.value, "yielded a stale value");
        check(ps.yielded.insert(it->second.id).second, "yielded an entry twice");
        ps.current_id = it->second.id;
    }

    // A pass whose current entry still exists (it may be dereferenced).
    pass* at_live_entry(int p) {
        return passes[p] && live_ids.contains(passes[p]->current_id) ? &*passes[p] : nullptr;
    }

    void step(int p) {
        if (passes[p]) {
            ++passes[p]->it;
            arrive(p);
        }
    }

    void compare_all() {
        check(m.size() == ref.size(), "size differs");
        std::size_t n = 0;
        for (const auto& [k, v] : m) {
            const auto it = ref.find(k);
            check(it != ref.end() && it->second.value == v, "contents differ");
            ++n;
        }
        check(n == ref.size(), "a pass over an unchanging map is not exact");
    }

    void run(input& in) {
        std::size_t budget = 6000;  // bulk insertions per input, to keep each run fast
        while (!in.empty()) {
            const std::uint8_t op = in.byte();
            // Keys: mostly a small range (hits, erasures), sometimes a wide one (growth).
            const std::uint64_t key = (op & 0x80) ? in.u16() : in.byte() % 64;
            switch (op % 16) {
                case 0:
                case 1: {
                    const std::uint64_t v = in.byte();
                    m[key] = v;
                    ref_put(key, v);
                    break;
                }
                case 2: {
                    const std::uint64_t v = in.byte();
                    const bool inserted = m.try_emplace(key, v).second;
                    check(inserted == !ref.contains(key), "try_emplace disagrees");
                    if (inserted) {
                        ref_put(key, v);
                    }
                    break;
                }
                case 3: {
                    const std::uint64_t v = in.byte();
                    check(m.insert_or_assign(key, v).second == !ref.contains(key), "insert_or_assign disagrees");
                    ref_put(key, v);
                    break;
                }
                case 4:
                    check(m.erase(key) == (ref_erase(key) ? 1u : 0u), "erase disagrees");
                    break;
                case 5: {
                    const auto it = m.find(key);
                    const auto rit = ref.find(key);
                    check((it == m.end()) == (rit == ref.end()), "find disagrees");
                    check(rit == ref.end() || it->second == rit->second.value, "find value disagrees");
                    check(m.contains(key) == (rit != ref.end()), "contains disagrees");
                    break;
                }
                case 6: {
                    // Bulk insert from `key`: reaches leaf growth and splits quickly.
                    const std::size_t n = std::min<std::size_t>(budget, 50 + in.byte() * 8u);
                    budget -= n;
                    for (std::size_t i = 0; i < n; ++i) {
                        const std::uint64_t k = 0x10000 + key * 4096 + i;
                        m[k] = i;
                        ref_put(k, i);
                    }
                    break;
                }
                case 7:
                case 8:
                    if (!passes[op & 1]) {
                        start(op & 1);
                    } else {
                        step(op & 1);
                    }
                    break;
                case 9:
                    // Several steps at once.
                    for (int i = 0, n = in.byte() % 32; i < n; ++i) {
                        step(0);
                    }
                    break;
                case 10: {
                    // Erase the current entry of a pass, by key or through the iterator.
                    const int p = op & 1;
                    if (pass* ps = at_live_entry(p)) {
                        const std::uint64_t k = ps->it->first;
                        ref_erase(k);
                        if (op & 0x40) {
                            ps->it = m.erase(ps->it);
                            arrive(p);
                        } else {
                            check(m.erase(k) == 1, "erase of the current entry failed");
                        }
                    }
                    break;
                }
                case 11: {
                    // Assign through a pass.
                    const int p = op & 1;
                    if (pass* ps = at_live_entry(p)) {
                        const std::uint64_t v = in.byte();
                        ps->it->second = v;
                        ref_put(ps->it->first, v);
                    }
                    break;
                }
                case 12:
                    if (op & 0x40) {
                        m.clear();
                        ref.clear();
                        live_ids.clear();
                    }
                    break;
                case 13:
                    m.reserve(m.size() + in.u16() % 4096);
                    break;
                case 14:
                    compare_all();
                    break;
                default: {
                    const std::uint64_t v = in.byte();
                    const auto [it, inserted] = m.emplace(key, v);
                    check(inserted == !ref.contains(key), "emplace disagrees");
                    if (inserted) {
                        ref_put(key, v);
                    }
                    check(it->first == key, "emplace returned another entry");
                    break;
                }
            }
            check(m.size() == ref.size(), "size differs");
        }
        // Run the passes out, then compare everything.
        for (int p = 0; p < 2; ++p) {
            while (passes[p]) {
                step(p);
            }
        }
        compare_all();
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    input in(data, size);
    harness h;
    h.run(in);
    return 0;
}
