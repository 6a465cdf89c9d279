// syncmap/detail/control_bytes.hpp - Swiss-table control bytes, eight per 64-bit word.
//
// Each slot of an open-addressing group has one control byte:
//   0b0hhhhhhh  full: the low 7 bits are h2, seven bits of the key's hash
//   0b10000000  empty: never used since the table was built (ends a probe sequence)
//   0b11111110  deleted: a tombstone (does not end a probe sequence)
// Eight control bytes form one 64-bit word, matched with SWAR bit tricks (as Go 1.24's
// internal/runtime/maps does) rather than SSE: the concurrent containers keep each word
// in a std::atomic<std::uint64_t>, and an 8-byte atomic load is exactly one instruction.
#pragma once

#include <bit>
#include <cstdint>

namespace syncmap::detail {

inline constexpr std::uint8_t ctrl_empty = 0x80;
inline constexpr std::uint8_t ctrl_deleted = 0xFE;
inline constexpr std::uint64_t ctrl_lsbs = 0x0101010101010101ULL;
inline constexpr std::uint64_t ctrl_msbs = 0x8080808080808080ULL;
inline constexpr std::uint64_t ctrl_all_empty = ctrl_lsbs * ctrl_empty;
inline constexpr unsigned group_width = 8;

// h2: the seven hash bits kept in a full control byte. Taken from bits the directory and
// the probe start do not use, so that keys in one group still differ in h2.
constexpr std::uint8_t h2_of(std::uint64_t hash) noexcept {
    return static_cast<std::uint8_t>((hash >> 7) & 0x7F);
}

// A set of slot indices within a group: bit 8*i+7 set for slot i.
class slot_mask {
public:
    constexpr explicit slot_mask(std::uint64_t bits) noexcept : bits_(bits) {}
    constexpr explicit operator bool() const noexcept { return bits_ != 0; }
    constexpr unsigned lowest() const noexcept {
        return static_cast<unsigned>(std::countr_zero(bits_)) >> 3;
    }
    constexpr void remove_lowest() noexcept { bits_ &= bits_ - 1; }
    constexpr std::uint64_t bits() const noexcept { return bits_; }

private:
    std::uint64_t bits_;
};

// Slots whose byte equals h2. May report a false positive next to a true match (the
// classic SWAR carry); callers compare keys anyway, so false positives cost one compare.
constexpr slot_mask match_h2(std::uint64_t word, std::uint8_t h2) noexcept {
    const std::uint64_t x = word ^ (ctrl_lsbs * h2);
    return slot_mask((x - ctrl_lsbs) & ~x & ctrl_msbs);
}

// Slots that are empty (0x80): high bit set and bit 1 clear (deleted is 0xFE).
constexpr slot_mask match_empty(std::uint64_t word) noexcept {
    return slot_mask(word & ~(word << 6) & ctrl_msbs);
}

// Slots that are empty or deleted.
constexpr slot_mask match_empty_or_deleted(std::uint64_t word) noexcept {
    return slot_mask(word & ctrl_msbs);
}

// Slots that hold an entry.
constexpr slot_mask match_full(std::uint64_t word) noexcept {
    return slot_mask(~word & ctrl_msbs);
}

constexpr std::uint64_t with_ctrl(std::uint64_t word, unsigned slot, std::uint8_t ctrl) noexcept {
    const unsigned shift = slot * 8;
    return (word & ~(std::uint64_t{0xFF} << shift)) | (std::uint64_t{ctrl} << shift);
}

constexpr std::uint8_t ctrl_at(std::uint64_t word, unsigned slot) noexcept {
    return static_cast<std::uint8_t>(word >> (slot * 8));
}

}  // namespace syncmap::detail
