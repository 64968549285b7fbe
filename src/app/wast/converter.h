// Turning a .wast file into wast2json's JSON script plus .wasm files, in a temporary
// directory that is removed when its owner goes away.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "base/diagnostic.h"
#include "base/result.h"

namespace esta::app::wast {

// The full path of an executable found on $PATH, if any.
std::optional<std::filesystem::path> find_on_path(std::string_view name);

// A fresh directory under the system temporary directory, removed with its contents on
// destruction. Move-only.
class TempDir {
  public:
    static Result<TempDir> create(std::string_view prefix);
    TempDir(TempDir&& other) noexcept : m_path(std::move(other.m_path)) { other.m_path.clear(); }
    TempDir& operator=(TempDir&& other) noexcept;
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    ~TempDir();

    const std::filesystem::path& path() const { return m_path; }

  private:
    explicit TempDir(std::filesystem::path path) : m_path(std::move(path)) {}
    void remove();

    std::filesystem::path m_path;
};

// Runs `tool wast -o out_dir/<stem>.json` and returns the JSON file's path. On failure
// `diagnostic` carries the tool's own error output.
Result<std::filesystem::path> convert_wast(const std::filesystem::path& tool,
                                           const std::filesystem::path& wast,
                                           const std::filesystem::path& out_dir,
                                           Diagnostic& diagnostic);

// Reads a whole file; NotFound / IoError on failure.
Result<std::string> read_text_file(const std::filesystem::path& path);

}  // namespace esta::app::wast
