// lab/core/temporary_dir.hpp - a directory made for one run of a service the lab starts
// (Redis, etcd) and removed with everything in it when the owner is destroyed.
#pragma once

#include <stdlib.h>  // mkdtemp

#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

namespace syncmap::lab {

class temporary_dir {
public:
    // Creates `parent`/`prefix`XXXXXX with a unique suffix. Throws std::runtime_error.
    temporary_dir(const std::string& parent, const std::string& prefix) : path_(parent + "/" + prefix + "XXXXXX") {
        if (::mkdtemp(path_.data()) == nullptr)
            throw std::runtime_error("cannot create a temporary directory in " + parent);
    }
    ~temporary_dir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    temporary_dir(const temporary_dir&) = delete;
    temporary_dir& operator=(const temporary_dir&) = delete;

    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    std::string path_;
};

}  // namespace syncmap::lab
