// syncmap/equal_to.hpp - the default key equality of every syncmap container.
//
// std::equal_to<K>, except for string keys: there it is transparent, like the default hash
// (hash.hpp), so that a map keyed by std::string is looked up by std::string_view or
// const char* without building a std::string (as Abseil's and Boost's flat maps do). An
// alias, so that for every other K the default is std::equal_to<K> itself.
#pragma once

#include "detail/config.hpp"

#include <functional>
#include <string>
#include <string_view>

namespace syncmap {

// Strings: compares any two things that convert to std::string_view.
struct string_equal {
    using is_transparent = void;
    bool operator()(std::string_view a, std::string_view b) const noexcept { return a == b; }
};

namespace detail {
template <class K>
struct default_key_equal {
    using type = std::equal_to<K>;
};
template <>
struct default_key_equal<std::string> {
    using type = string_equal;
};
template <>
struct default_key_equal<std::string_view> {
    using type = string_equal;
};
}  // namespace detail

template <class K>
using equal_to = typename detail::default_key_equal<K>::type;

}  // namespace syncmap
