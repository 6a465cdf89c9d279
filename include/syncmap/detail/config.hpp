// syncmap/detail/config.hpp - what every public header needs before anything else: the
// language level. Each public header includes this file first, so compiling any of them
// as C++17 or older stops on one clear message instead of a page of errors about concepts
// (the public_headers_require_cxx20 test checks every public header).
#pragma once

// _MSVC_LANG: MSVC keeps __cplusplus at 199711L unless /Zc:__cplusplus is given. Anything
// newer than C++17 passes, so compilers that report a provisional C++20 value (201709L
// from GCC 10's -std=c++20) are accepted.
#if defined(_MSVC_LANG) && _MSVC_LANG > __cplusplus
#if _MSVC_LANG <= 201703L
#error "syncmap requires C++20"
#endif
#elif !defined(__cplusplus) || __cplusplus <= 201703L
#error "syncmap requires C++20"
#endif
