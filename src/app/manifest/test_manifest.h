// Test helper: parse manifest text written in a scratch directory private to this test
// process, and check diagnostics by their exact location and text.
#pragma once

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "app/manifest/manifest.h"

namespace esta::app::manifest {

inline std::filesystem::path manifest_test_directory() {
    const auto dir = std::filesystem::path(::testing::TempDir()) /
                     ("esta_manifest_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    return dir;
}

inline std::string manifest_test_path() {
    return (manifest_test_directory() / "app.toml").string();
}

inline void write_test_file(const std::string& name, const std::string& content,
                            mode_t mode = 0600) {
    auto path = manifest_test_directory() / name;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary | std::ios::trunc) << content;
    ::chmod(path.c_str(), mode);
}

// Parses without reading any other file (modules, secrets), unless `files`.
inline ParseOutcome parse_test_manifest(const std::string& text, bool files = false) {
    ParseOptions options;
    options.check_files = files;
    return parse_manifest_text(text, manifest_test_path(), options);
}

// The smallest valid manifest; tests append to it.
inline const char* kMinimalManifest =
    "[modules.m]\n"        // 1
    "path = \"m.wasm\"\n"  // 2
    "[processes.p]\n"      // 3
    "module = \"m\"\n";    // 4

// "app.toml:LINE:COLUMN" for the test manifest.
inline std::string at(unsigned line, unsigned column) {
    return manifest_test_path() + ":" + std::to_string(line) + ":" + std::to_string(column);
}

// Exactly one error, at `where`, saying `message`.
inline void expect_one_error(const ParseOutcome& outcome, const std::string& where,
                             const std::string& message) {
    ASSERT_EQ(outcome.errors.size(), 1u) << to_string(outcome.errors);
    EXPECT_FALSE(outcome.manifest.has_value());
    EXPECT_EQ(outcome.errors[0].where, where) << outcome.errors[0].to_string();
    EXPECT_EQ(outcome.errors[0].message, message);
}

}  // namespace esta::app::manifest
