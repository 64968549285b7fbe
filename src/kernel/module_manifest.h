// The module's own declaration (ABI.md "The module's own declaration", REQUIREMENTS K-22):
// the custom section `estalogic.manifest`, a value-encoded map
//
//   abi      i64   the ABI major version the module was built for (1)
//   name     text  the module's name (1..128 bytes)
//   version  text  its version, free-form (1..64 bytes)
//   needs    map   grant name -> map {kind: text, rights: list of text}   (optional)
//   exports  text  "reactive" or "actor"
//
// Decoding is strict: an unknown key, a duplicate key, a missing key or a value of the wrong
// type is a Diagnostic naming the key (`needs.kv.rights[1]`), and every problem is reported,
// not just the first. Before the application starts a module, check_grants() compares its
// needs with what the application grants and lists every missing grant, wrong kind and
// missing right at once; the kernel refuses to start the module otherwise.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/diagnostic.h"
#include "base/result.h"
#include "kernel/module_sections.h"
#include "kernel/module_style.h"
#include "kernel/object_type.h"
#include "kernel/rights.h"

namespace esta::kernel {

// The highest manifest `abi` this kernel reads (V-1: older ones are accepted, newer refused).
inline constexpr i64 kManifestAbiVersion = 1;
// Bounds on what a (possibly hostile) manifest may hold.
inline constexpr u32 kMaxManifestBytes = 64 * 1024;
inline constexpr u32 kMaxModuleNameBytes = 128;
inline constexpr u32 kMaxModuleVersionBytes = 64;
inline constexpr u32 kMaxNeeds = 256;
inline constexpr u32 kMaxGrantNameBytes = 128;

// The declared style is the process's own ModuleStyle (module_style.h), so what a module
// declares and how the kernel runs it compare directly.
std::string_view module_style_name(ModuleStyle style);  // "reactive"

// One capability the module expects to find under `name` (cap_lookup's name).
struct ModuleNeed {
    std::string name;
    ObjectType kind = ObjectType::Custom;
    Rights rights;                           // Kernel rights (read, write, ...).
    std::vector<std::string> custom_rights;  // Names the application defines (approve, ...).
};

struct ModuleManifest {
    i64 abi = kManifestAbiVersion;
    std::string name;
    std::string version;
    std::vector<ModuleNeed> needs;  // Sorted by name; names are unique.
    ModuleStyle style = ModuleStyle::Reactive;
};

// Decodes a manifest section's payload. On failure returns Status::Invalid and appends one
// Diagnostic per problem (where = "estalogic.manifest" plus the key) to `problems`.
Result<ModuleManifest> decode_module_manifest(ByteSpan payload, Diagnostics& problems);

// The section payload for `manifest` (what `estalogic embed` writes); decodes back equal.
std::vector<u8> encode_module_manifest(const ModuleManifest& manifest);

// The manifest of a module whose sections were listed: nullopt when it has none;
// Status::Invalid (with Diagnostics) when it has more than one or the one it has is bad.
Result<std::optional<ModuleManifest>> read_module_manifest(ByteSpan module,
                                                           const std::vector<RawSection>& sections,
                                                           Diagnostics& problems);

// What the application grants a process: a capability under `name`.
struct OfferedGrant {
    std::string name;
    ObjectType kind = ObjectType::Custom;
    Rights rights;
};

// K-22: every need must be granted under its name, with its kind and at least its rights.
// `custom` resolves custom right names (nullptr: the application defines none). On failure
// returns Status::AccessDenied and appends one Diagnostic per missing grant, wrong kind or
// missing right set (where = "needs.<name>") to `problems`.
Result<void> check_grants(const ModuleManifest& manifest, std::span<const OfferedGrant> grants,
                          const CustomRights* custom, Diagnostics& problems);

}  // namespace esta::kernel
