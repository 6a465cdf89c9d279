// syncmap/cursor.hpp - the resumable position of a chunked traversal (clauses C1-C5, B1).
//
// Every syncmap traversal walks keys in ascending order of their 64-bit seeded hash, so
// "how far a pass got" is one hash value: every key with a smaller hash has been offered.
// That value stays meaningful however the map changes between calls (growth, splits,
// shrink, clear), which is what makes resuming O(1) and exact: no re-sort, no re-scan,
// and, unlike Redis SCAN, no key is ever offered twice in one pass.
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
    // Every key whose hash is below position() has been offered in this pass.
    constexpr std::uint64_t position() const noexcept { return position_; }

    // Text form: "smc1-TTTTTTTT-PPPPPPPPPPPPPPPP-FF-CC" (tag, position, flags, check).
    std::string to_string() const {
        char buf[48];
        std::snprintf(buf, sizeof buf, "smc1-%08x-%016llx-%02x-%02x", static_cast<unsigned>(tag_),
                      static_cast<unsigned long long>(position_), static_cast<unsigned>(flags_),
                      static_cast<unsigned>(check_byte(tag_, position_, flags_)));
        return buf;
    }

    static cursor from_string(std::string_view text) {
        auto fail = [&](const char* why) -> cursor {
            throw invalid_cursor("syncmap::cursor::from_string: " + std::string(why) + ": \"" +
                                 std::string(text.substr(0, 64)) + "\"");
        };
        if (text.size() != 36 || text.substr(0, 5) != "smc1-" || text[13] != '-' || text[30] != '-' ||
            text[33] != '-') {
            return fail("not a syncmap cursor (expected smc1-TTTTTTTT-PPPPPPPPPPPPPPPP-FF-CC)");
        }
        std::uint64_t tag = 0, position = 0, flags = 0, check = 0;
        if (!parse_hex(text.substr(5, 8), tag) || !parse_hex(text.substr(14, 16), position) ||
            !parse_hex(text.substr(31, 2), flags) || !parse_hex(text.substr(34, 2), check)) {
            return fail("malformed hexadecimal field");
        }
        if ((flags & ~std::uint64_t{bound_flag | done_flag}) != 0) return fail("unknown flags");
        const auto c = cursor(static_cast<std::uint32_t>(tag), position, static_cast<std::uint8_t>(flags));
        if (check != check_byte(c.tag_, c.position_, c.flags_)) return fail("check byte mismatch (corrupted)");
        if (!c.bound() && (c.position_ != 0 || c.tag_ != 0)) return fail("unbound cursor with a position");
        // Only make() sets the done flag, always with the bound flag, the map's tag and
        // position 0: any other done cursor was crafted, not produced by a map or snapshot.
        if (const char* why = c.forged()) return fail(why);
        return c;
    }

    friend constexpr bool operator==(const cursor&, const cursor&) = default;

    // ---- For containers (not part of the stable API) ---------------------------------
    static constexpr cursor make(std::uint32_t tag, std::uint64_t position, bool done) noexcept {
        return cursor(tag, done ? 0 : position, static_cast<std::uint8_t>(bound_flag | (done ? done_flag : 0)));
    }
    constexpr std::uint32_t tag() const noexcept { return tag_; }
    constexpr bool bound() const noexcept { return (flags_ & bound_flag) != 0; }

    // Checks that this cursor may continue a pass over the container tagged `tag`: it is
    // the start cursor, or it carries that tag and is in a state make() produces. This is
    // the whole check (C5, B1), so a scan() only has to call it before looking at done()
    // or position(): a cursor that did not come from to_string()/from_string() (copied
    // bytes, say) is held to the same rules as a parsed one.
    void require_tag(std::uint32_t tag, const char* who) const {
        char buf[200];
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
            if (position_ != 0 || tag_ != 0) return "unbound cursor with a position";
            return nullptr;
        }
        if (done() && position_ != 0) return "done cursor with a position";
        return nullptr;
    }

    static constexpr std::uint8_t bound_flag = 1;
    static constexpr std::uint8_t done_flag = 2;

    constexpr cursor(std::uint32_t tag, std::uint64_t position, std::uint8_t flags) noexcept
        : position_(position), tag_(tag), flags_(flags) {}

    // CRC-8 (polynomial 0x07) over the 13 payload bytes. A CRC-8 detects every error burst
    // of up to 8 bits, so every change of one hexadecimal digit (4 bits of one byte) is
    // rejected, not just 255 in 256 of them.
    static std::uint8_t check_byte(std::uint32_t tag, std::uint64_t position, std::uint8_t flags) noexcept {
        std::uint8_t crc = 0;
        auto feed = [&](std::uint8_t byte) {
            crc ^= byte;
            for (int bit = 0; bit < 8; ++bit) {
                crc = static_cast<std::uint8_t>((crc & 0x80) != 0 ? (crc << 1) ^ 0x07 : crc << 1);
            }
        };
        for (int i = 3; i >= 0; --i) feed(static_cast<std::uint8_t>(tag >> (8 * i)));
        for (int i = 7; i >= 0; --i) feed(static_cast<std::uint8_t>(position >> (8 * i)));
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
    std::uint32_t tag_ = 0;
    std::uint8_t flags_ = 0;
};

static_assert(std::is_trivially_copyable_v<cursor>, "C1: a cursor is a small trivially copyable value");
static_assert(sizeof(cursor) <= 16, "C1: a cursor fits in 16 bytes");

}  // namespace syncmap
