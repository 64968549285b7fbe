// Test helper: a scratch directory private to this test process. /tmp is shared by every
// build directory on the machine, and ctest runs tests in parallel processes, so fixed names
// there would race.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace esta::observe {

inline std::filesystem::path test_directory() {
    const auto dir = std::filesystem::path(::testing::TempDir()) /
                     ("esta_observe_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return dir;
}

}  // namespace esta::observe
