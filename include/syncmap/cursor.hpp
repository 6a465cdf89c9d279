// syncmap/cursor.hpp - the resumable position of a chunked traversal (clauses C1-C5, B1).
//
// Every syncmap traversal walks keys in ascending order of their 64-bit seeded hash, ties
// broken by a second, independent key hash (tiebreak_hash.hpp), so "how far a pass got" is
// one pair of values: every key ordered below (position, tiebreak) has been offered. That
// pair stays meaningful however the map changes between calls (growth, splits, shrink,
// clear), which is what makes resuming O(1) and exact: no re-sort, no re-scan, and, unlike
// Redis SCAN, no key is ever offered twice in one pass. The tiebreak is what lets a cursor
// stand inside a run of keys whose 64-bit hashes are equal (a weak or constant user hash);
// it is 0 everywhere else.
//
// A cursor also carries a 32-bit tag of the map (or snapshot) that produced it, so a
// cursor handed to another map is rejected instead of silently walking the wrong keys,
// and a check byte, so a corrupted text form is rejected too. The tag derives from the
// map's seed: two maps built with the same explicit seed have the same hash order and
// accept each other's cursors, which is what lets a saved cursor resume a pass over a map
// rebuilt with that seed (after a restart, say). Maps with random seeds never do.
#pragma once

#include "detail/config.hpp"

#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include "hash.hpp"

namespace syncmap {

// Thrown for a cursor of another map, a malformed or corrupted text form, or a chunk
// size of 0 (clauses C5, B1). what() names the offending value.
class invalid_cursor : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

class cursor {
public:
    // A cursor at the start of a pass, valid for any map: the first scan() adopts the map.
    constexpr cursor() noexcept = default;

    // True once a pass is complete: scan() with it returns it unchanged and calls nothing.
    constexpr bool done() const noexcept { return (flags_ & done_flag) != 0; }
    // True for a cursor that has not been used yet.
    constexpr bool at_start() const noexcept { return (flags_ & bound_flag) == 0; }
    // Every key whose hash is below position() has been offered in this pass, and so has
    // every key whose hash equals position() and whose tiebreak hash is below tiebreak().
    constexpr std::uint64_t position() const noexcept { return position_; }
    // 0 unless the pass stopped inside a run of keys sharing all 64 bits of their hash.
    constexpr std::uint64_t tiebreak() const noexcept { return tiebreak_; }

    // Text form: "smc2-TTTTTTTT-PPPPPPPPPPPPPPPP-SSSSSSSSSSSSSSSS-FF-CC" (tag, position,
    // tiebreak, flags, check). from_string also accepts the older form
    // "smc1-TTTTTTTT-PPPPPPPPPPPPPPPP-FF-CC", which has no tiebreak (0).
    std::string to_string() const {
        char buf[64];
        std::snprintf(buf, sizeof buf, "smc2-%08x-%016llx-%016llx-%02x-%02x", static_cast<unsigned>(tag_),
                      static_cast<unsigned long long>(position_), static_cast<unsigned long long>(tiebreak_),
                      static_cast<unsigned>(flags_),
                      static_cast<unsigned>(check_byte(tag_, position_, tiebreak_, flags_, true)));
        return buf;
    }

    static cursor from_string(std::string_view text) {
        auto fail = [&](const char* why) -> cursor {
            throw invalid_cursor("syncmap::cursor::from_string: " + std::string(why) + ": \"" +
                                 std::string(text.substr(0, 64)) + "\"");
        };
        // smc2: 5 + 8 + 1 + 16 + 1 + 16 + 1 + 2 + 1 + 2 = 53 characters; smc1 lacks the
        // tiebreak field (36 characters).
        const bool v2 = text.size() == 53 && text.substr(0, 5) == "smc2-";
        const bool v1 = text.size() == 36 && text.substr(0, 5) == "smc1-";
        const std::size_t tb = v2 ? 17 : 0;  // the tiebreak field's width and its dash
        if ((!v2 && !v1) || text[13] != '-' || text[30] != '-' || text[30 + tb] != '-' ||
            text[33 + tb] != '-') {
            return fail("not a syncmap cursor (expected smc2-TTTTTTTT-PPPPPPPPPPPPPPPP-SSSSSSSSSSSSSSSS-FF-CC)");
        }
        std::uint64_t tag = 0, position = 0, tiebreak = 0, flags = 0, check = 0;
        if (!parse_hex(text.substr(5, 8), tag) || !parse_hex(text.substr(14, 16), position) ||
            (v2 && !parse_hex(text.substr(31, 16), tiebreak)) || !parse_hex(text.substr(31 + tb, 2), flags) ||
            !parse_hex(text.substr(34 + tb, 2), check)) {
            return fail("malformed hexadecimal field");
        }
        if ((flags & ~std::uint64_t{bound_flag | done_flag}) != 0) return fail("unknown flags");
        const auto c = cursor(static_cast<std::uint32_t>(tag), position, tiebreak, static_cast<std::uint8_t>(flags));
        if (check != check_byte(c.tag_, c.position_, c.tiebreak_, c.flags_, v2)) {
            return fail("check byte mismatch (corrupted)");
        }
        // Only make() sets the done flag, always with the bound flag, the map's tag and
        // position 0: any other done cursor was crafted, not produced by a map or snapshot.
        if (const char* why = c.forged()) return fail(why);
        return c;
    }

    friend constexpr bool operator==(const cursor&, const cursor&) = default;

    // ---- For containers (not part of the stable API) ---------------------------------
    static constexpr cursor make(std::uint32_t tag, std::uint64_t position, std::uint64_t tiebreak,
                                 bool done) noexcept {
        return cursor(tag, done ? 0 : position, done ? 0 : tiebreak,
                      static_cast<std::uint8_t>(bound_flag | (done ? done_flag : 0)));
    }
    constexpr std::uint32_t tag() const noexcept { return tag_; }
    constexpr bool bound() const noexcept { return (flags_ & bound_flag) != 0; }

    // Checks that this cursor may continue a pass over the container tagged `tag`: it is
    // the start cursor, or it carries that tag and is in a state make() produces. This is
    // the whole check (C5, B1), so a scan() only has to call it before looking at done()
    // or position(): a cursor that did not come from to_string()/from_string() (copied
    // bytes, say) is held to the same rules as a parsed one.
    void require_tag(std::uint32_t tag, const char* who) const {
        char buf[256];
        if (const char* why = forged()) {
            std::snprintf(buf, sizeof buf, "%s: cursor %s was not produced by any map or snapshot (%s)", who,
                          to_string().c_str(), why);
            throw invalid_cursor(buf);
        }
        if (bound() && tag_ != tag) {
            std::snprintf(buf, sizeof buf, "%s: cursor %s belongs to another map or snapshot (tag %08x, expected %08x)",
                          who, to_string().c_str(), static_cast<unsigned>(tag_), static_cast<unsigned>(tag));
            throw invalid_cursor(buf);
        }
    }

private:
    // Why this cursor cannot have come from make() or the default constructor, or null.
    // Without this, a done flag without the bound flag (tag 0, "smc1-00000000-
    // 0000000000000000-02-0e") passed the tag check, which only looks at bound cursors,
    // and every scan() then reported the pass complete with nothing offered.
    constexpr const char* forged() const noexcept {
        if ((flags_ & ~(bound_flag | done_flag)) != 0) return "unknown flags";
        if (!bound()) {
            if (done()) return "done cursor without a map tag";
            if (position_ != 0 || tiebreak_ != 0 || tag_ != 0) return "unbound cursor with a position";
            return nullptr;
        }
        if (done() && (position_ != 0 || tiebreak_ != 0)) return "done cursor with a position";
        return nullptr;
    }

    static constexpr std::uint8_t bound_flag = 1;
    static constexpr std::uint8_t done_flag = 2;

    constexpr cursor(std::uint32_t tag, std::uint64_t position, std::uint64_t tiebreak, std::uint8_t flags) noexcept
        : position_(position), tiebreak_(tiebreak), tag_(tag), flags_(flags) {}

    // CRC-8 (polynomial 0x07) over the payload bytes (21 in the smc2 form, 13 in smc1,
    // which has no tiebreak). A CRC-8 detects every error burst of up to 8 bits, so every
    // change of one hexadecimal digit (4 bits of one byte) is rejected, not just 255 in 256
    // of them.
    static std::uint8_t check_byte(std::uint32_t tag, std::uint64_t position, std::uint64_t tiebreak,
                                   std::uint8_t flags, bool with_tiebreak) noexcept {
        std::uint8_t crc = 0;
        auto feed = [&](std::uint8_t byte) {
            crc ^= byte;
            for (int bit = 0; bit < 8; ++bit) {
                crc = static_cast<std::uint8_t>((crc & 0x80) != 0 ? (crc << 1) ^ 0x07 : crc << 1);
            }
        };
        for (int i = 3; i >= 0; --i) feed(static_cast<std::uint8_t>(tag >> (8 * i)));
        for (int i = 7; i >= 0; --i) feed(static_cast<std::uint8_t>(position >> (8 * i)));
        if (with_tiebreak) {
            for (int i = 7; i >= 0; --i) feed(static_cast<std::uint8_t>(tiebreak >> (8 * i)));
        }
        feed(flags);
        return crc;
    }

    static bool parse_hex(std::string_view s, std::uint64_t& out) noexcept {
        out = 0;
        for (char ch : s) {
            unsigned d;
            if (ch >= '0' && ch <= '9') {
                d = static_cast<unsigned>(ch - '0');
            } else if (ch >= 'a' && ch <= 'f') {
                d = static_cast<unsigned>(ch - 'a' + 10);
            } else {
                return false;
            }
            out = (out << 4) | d;
        }
        return true;
    }

    std::uint64_t position_ = 0;
    std::uint64_t tiebreak_ = 0;
    std::uint32_t tag_ = 0;
    std::uint8_t flags_ = 0;
};

static_assert(std::is_trivially_copyable_v<cursor>, "C1: a cursor is a small trivially copyable value");
static_assert(sizeof(cursor) <= 24, "C1: a cursor fits in 24 bytes");

}  // namespace syncmap
