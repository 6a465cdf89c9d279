// bench/matrix/record.hpp - the result line format that every runtime of the matrix writes
// and bench/report/matrix_report.py reads.
//
// One record per line: the record kind, then fields `name=value`, all separated by tabs
// (values may hold spaces, never tabs or newlines). Kinds and their fields are listed in
// docs/BENCHMARKS.md ("Result lines"). Lines starting with '#' are comments.
#pragma once

#include <cstdio>
#include <sstream>
#include <string>

namespace syncmap_matrix {

class record {
public:
    explicit record(const char* kind) { line_ << kind; }
    record& operator()(const char* name, const std::string& value) {
        line_ << '\t' << name << '=' << value;
        return *this;
    }
    record& operator()(const char* name, const char* value) { return (*this)(name, std::string(value)); }
    record& operator()(const char* name, double value) {
        char text[64];
        std::snprintf(text, sizeof text, "%.6g", value);
        return (*this)(name, std::string(text));
    }
    record& operator()(const char* name, unsigned long long value) { return (*this)(name, std::to_string(value)); }
    record& operator()(const char* name, unsigned long value) { return (*this)(name, std::to_string(value)); }
    record& operator()(const char* name, unsigned value) { return (*this)(name, std::to_string(value)); }
    record& operator()(const char* name, int value) { return (*this)(name, std::to_string(value)); }

    // Appends the line to `out` and flushes, so a run cut short keeps what it measured.
    void write(std::FILE* out) const {
        const std::string text = line_.str() + "\n";
        std::fputs(text.c_str(), out);
        std::fflush(out);
    }

private:
    std::ostringstream line_;
};

}  // namespace syncmap_matrix
