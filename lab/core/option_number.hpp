// lab/core/option_number.hpp - a number given to a command-line option (syncmap-lab's and
// syncmap-soak's): the whole text must parse, or std::invalid_argument names the option
// and the text.
#pragma once

#include <charconv>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace syncmap::lab {

[[noreturn]] inline void reject_option_number(std::string_view opt, std::string_view text) {
    throw std::invalid_argument(std::string(opt) + ": '" + std::string(text) + "' is not a valid number");
}

// An integer (from_chars: no sign for unsigned types, no spaces, no trailing text).
template <class T>
T parse_option_number(std::string_view opt, std::string_view text) {
    T value{};
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (ec != std::errc() || ptr != end || text.empty()) reject_option_number(opt, text);
    return value;
}

// A floating-point number, as std::stod reads it (so also "1e6"), with no trailing text.
inline double parse_option_double(std::string_view opt, std::string_view text) {
    try {
        std::size_t used = 0;
        const double v = std::stod(std::string(text), &used);
        if (used == text.size()) return v;
    } catch (const std::exception&) {
    }
    reject_option_number(opt, text);
}

}  // namespace syncmap::lab
