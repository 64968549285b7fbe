// The module declaration `estalogic embed` reads: a TOML file with the same keys as the
// `estalogic.manifest` section (docs/MODULES.md), turned into a checked ModuleManifest.
//
//   name = "approvals"
//   version = "1.2.0"
//   exports = "reactive"          # or "actor"
//   [needs.kv]
//   kind = "keyspace"
//   rights = ["read", "write"]
//
// `abi` may be left out (it defaults to 1, the ABI this build speaks).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/diagnostic.h"
#include "kernel/module_manifest.h"

namespace esta::app {

// The manifest `text` declares, or nullopt with one Diagnostic per problem in `problems`,
// each naming `source` (the file), the line where it is known, and the key.
std::optional<kernel::ModuleManifest> parse_needs_toml(std::string_view text,
                                                       const std::string& source,
                                                       Diagnostics& problems);

}  // namespace esta::app
