// Checks one full walk of a map or a snapshot (a range, a scan pass, snapshot iterators):
// every key in the key space, every value naming its key (value_codec.hpp), no key twice
// (W2, S4); then, on request, every pinned key seen (W1, S1) and an owner's keys exactly as
// its model says (S1, S2).
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "shared_state.hpp"
#include "value_codec.hpp"

namespace syncmap::soak {

enum class walk_method { range, iterators, text_cursor_scan };
inline constexpr walk_method walk_methods[] = {walk_method::range, walk_method::iterators,
                                               walk_method::text_cursor_scan};

inline const char* name_of(walk_method m) {
    switch (m) {
    case walk_method::range: return "range";
    case walk_method::iterators: return "iterators";
    case walk_method::text_cursor_scan: return "scan with text cursors";
    }
    return "?";
}

// Walks a snapshot. The scan passes its cursor through to_string()/from_string() between
// calls, as a client that saves its position would, with random chunk sizes.
template <class Snapshot, class F>
void walk_snapshot(const Snapshot& s, walk_method m, std::mt19937_64& rng, F&& f) {
    switch (m) {
    case walk_method::range:
        s.range([&](const std::uint64_t& k, const auto& v) { f(k, v); });
        break;
    case walk_method::iterators:
        for (const auto& kv : s) f(kv.first, kv.second);
        break;
    case walk_method::text_cursor_scan: {
        syncmap::cursor c;
        do {
            c = s.scan(c, 1 + rng() % 512, [&](const std::uint64_t& k, const auto& v) { f(k, v); });
            c = syncmap::cursor::from_string(c.to_string());
        } while (!c.done());
        break;
    }
    }
}

template <class Map>
class pass_audit {
public:
    using codec = value_codec<typename Map::mapped_type>;

    // `seqs` is the caller's scratch buffer (reused across passes to spare the allocator).
    pass_audit(soak_shared& sh, std::uint64_t keys, std::vector<std::uint64_t>& seqs, std::string what)
        : sh_(sh), keys_(keys), seqs_(seqs), what_(std::move(what)) {
        seqs_.assign(keys, 0);
    }

    void add(std::uint64_t key, const typename Map::mapped_type& value) {
        ++count_;
        if (key >= keys_) {
            fail("yielded key %llu, outside the key space [0, %llu)", ull(key), ull(keys_));
            return;
        }
        const std::uint64_t seq = codec::decode(key, value);
        if (seq == 0) {
            fail("yielded key %llu with value %s, which no writer stored for it", ull(key), codec::show(value).c_str());
            return;
        }
        if (seqs_[key] != 0) {
            fail("yielded key %llu twice in one pass (W2/S4)", ull(key));
            return;
        }
        seqs_[key] = seq;
    }

    std::size_t count() const noexcept { return count_; }
    std::uint64_t seq_of(std::uint64_t key) const noexcept { return seqs_[key]; }

    // Every pinned key was yielded: call only when no clear can have come between (W1, S1).
    void require_pinned() {
        for (std::uint64_t k = 0; k < keys_; ++k) {
            if (sh_.pinned(k) && seqs_[k] == 0) {
                fail("missed key %llu, which was present throughout (it is never erased between clears)", ull(k));
                return;
            }
        }
    }

    // The owner's keys hold exactly what its model says.
    void require_model(unsigned slot, const std::vector<std::uint64_t>& model) {
        const unsigned w = sh_.writers();
        for (std::size_t i = 0; i < model.size(); ++i) {
            const std::uint64_t k = slot + i * w;
            if (seqs_[k] != model[i]) {
                fail("key %llu (owner %u): seen with sequence %llu, the owner's model says %llu (0 = absent)", ull(k),
                     slot, ull(seqs_[k]), ull(model[i]));
                return;
            }
        }
    }

    template <class... Args>
    void fail(const char* fmt, Args... args) {
        if (failed_) return;  // one message per pass
        failed_ = true;
        char buf[512];
        std::snprintf(buf, sizeof buf, fmt, args...);
        sh_.failure.fail("%s: %s", what_.c_str(), buf);
    }

private:
    static unsigned long long ull(std::uint64_t v) { return v; }

    soak_shared& sh_;
    std::uint64_t keys_;
    std::vector<std::uint64_t>& seqs_;  // seqs_[k]: sequence number yielded for k, 0 if not yet
    std::string what_;
    std::size_t count_ = 0;
    bool failed_ = false;
};

}  // namespace syncmap::soak
