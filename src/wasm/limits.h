// ModuleLimits: every guest-controlled size or count the decoder and validator accept
// (REQUIREMENTS E-2, E-5). Each is checked before anything is allocated for it, so a
// hostile binary is rejected with Status::Limit long before memory use grows with it.
//
// The defaults are far above what real compilers emit (they follow the limits browsers
// agree on where one exists). Counts whose entries decode into much more memory than their
// bytes of input (functions, types, globals, element items, function names) are capped
// separately, so the worst accepted module decodes into a few hundred MiB at most instead
// of growing with the module size times a large factor.
//
// Validation time is linear in the body size times the largest block or function arity
// (the spec's algorithm pushes and pops each label's types), so `params` and `results`
// also bound the worst case: about a second of CPU per 8 MiB body at the defaults.
#pragma once

#include "base/types.h"

namespace esta::wasm {

struct ModuleLimits {
    u64 module_size = 64u << 20;       // Bytes of the whole binary (64 MiB).
    u32 types = 1'000'000;             // Entries in the type section.
    u32 params = 1'000;                // Parameters of one function type.
    u32 results = 1'000;               // Results of one function type.
    u32 imports = 100'000;             // Entries in the import section.
    u32 exports = 100'000;             // Entries in the export section.
    u32 functions = 1'000'000;         // Functions, imported and defined together.
    u32 tables = 100'000;              // Tables, imported and defined together.
    u32 memories = 100;                // The spec allows one; more is a validation error.
    u32 globals = 1'000'000;           // Globals, imported and defined together.
    u32 element_segments = 100'000;    // Entries in the element section.
    u32 element_items = 1'000'000;     // Items of all element segments (~70 bytes each).
    u32 data_segments = 100'000;       // Entries in the data section.
    u32 locals = 50'000;               // Parameters plus declared locals of one function.
    u32 body_size = 8u << 20;          // Bytes of one function body (8 MiB).
    u32 operand_stack = 1'000'000;     // Operand stack height while validating a function.
    u32 nesting_depth = 1'024;         // Nested block/loop/if of one function.
    u32 br_table_targets = 1'000'000;  // Labels of one br_table.
    u32 name_length = 100'000;         // Bytes of one import/export/custom name.
    u32 custom_sections = 10'000;      // Custom sections kept in the module.
    u32 function_names = 1'000'000;    // Entries of the name section's function map.
};

}  // namespace esta::wasm
