// The door of the application manifest (docs/MANIFEST.md): parse and validate an app.toml
// into the typed model (model.h), reporting every problem at once, each as
// "FILE:LINE:COLUMN: KEY.PATH: what is wrong; allowed: ..." (never only the first one).
//
// Nothing here crashes, hangs or allocates without bound on any input: the file is read up
// to kMaxManifestBytes, toml++ bounds nesting, and every list the model keeps is bounded by
// the file's size.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "app/manifest/model.h"
#include "base/diagnostic.h"

namespace esta::app::manifest {

inline constexpr std::size_t kMaxManifestBytes = 1u << 20;

struct ParseOptions {
    // Resolve relative module paths against this directory instead of the manifest's own
    // (a build tree that mirrors the source tree). Other relative paths are unaffected.
    std::string module_dir;
    // Read the files the manifest names: modules (existence, SHA-256), secret files
    // (permissions), TLS files. Off for the fuzzer and for pure syntax checks.
    bool check_files = true;
};

struct ParseOutcome {
    std::optional<AppManifest> manifest;  // Set exactly when `errors` is empty.
    Diagnostics errors;
    Diagnostics warnings;  // Worth knowing, not fatal (an unset environment variable).
};

// Reads and parses `path`. The messages name the file as `path` was given.
ParseOutcome parse_manifest_file(const std::string& path, const ParseOptions& options = {});

// Parses `text` as if read from `path` (relative paths resolve against its directory).
ParseOutcome parse_manifest_text(std::string_view text, const std::string& path,
                                 const ParseOptions& options = {});

}  // namespace esta::app::manifest
