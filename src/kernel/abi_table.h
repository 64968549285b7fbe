// ABI v1 as data: the one machine-readable statement of the contract between guest modules
// and the kernel (REQUIREMENTS K-20, ABI.md). docs/ABI.md and sdk/c/estalogic.h are
// generated from it (abi_render.h, tool estalogic-abi), the syscall layer registers its
// imports from it, and tests fail when any of them drifts.
//
// Decisions ABI.md leaves open, made once here: every pointer is an i32 offset in the
// caller's memory `memory` (a C pointer on wasm32); lengths are unsigned 32-bit; the info
// record has no padding (offsets below); cap_derive's restrictions are a value-encoded map
// with the keys in restriction_keys(); C names carry the prefix `esta_`.
#pragma once

#include <span>
#include <string_view>

#include "base/status.h"
#include "base/types.h"

namespace esta::kernel::abi {

inline constexpr std::string_view kImportModule = "estalogic";
inline constexpr u32 kVersionMajor = 1;
inline constexpr u32 kVersionMinor = 0;
inline constexpr std::string_view kMemoryExport = "memory";

// The wasm value types ABI functions use.
enum class ValType : u8 { I32, I64, F64 };
std::string_view val_type_name(ValType type);  // "i32"

// How the C header presents a parameter; the wasm type is what counts for the ABI.
enum class CType : u8 {
    Int,        // A plain integer or float of the wasm type.
    Handle,     // A handle value (i32).
    InBytes,    // A pointer to bytes the kernel reads (i32 offset).
    OutBytes,   // A pointer to bytes the kernel writes (i32 offset).
    InText,     // A pointer to UTF-8 the kernel reads, not NUL-terminated.
    Length,     // A byte or element count (u32).
    InHandles,  // A pointer to handle values the kernel reads.
    OutInfo,    // A pointer to the 72-byte info record the kernel writes.
};

struct Param {
    std::string_view name;
    ValType type;
    CType c_type;
};

enum class ResultKind : u8 { Value, NoReturn };

struct Function {
    std::string_view name;  // The import name under kImportModule.
    std::span<const Param> params;
    ValType result;  // I32 or I64; ignored for NoReturn.
    ResultKind result_kind;
    std::string_view returns;  // What a success (>= 0) means.
    std::string_view summary;  // What it does, errors included.
    std::string_view needs;    // Rights or conditions, "" when none.
    std::string_view example;  // A line of C using the generated header.
};

// Every v1 function, in ABI.md's order.
std::span<const Function> functions();
const Function* find_function(std::string_view name);
// "(i32, i64, i32, i32) -> i32": the wasm signature, for tests and the docs.
std::string signature(const Function& function);

// The status codes guests can see (ABI.md "Status codes"): those of ESTA_STATUS_LIST in
// 0..21, reused, never restated.
struct StatusEntry {
    Status status;
    i32 code;
    std::string_view name;  // "BAD_HANDLE"
    std::string_view meaning;
};
std::span<const StatusEntry> statuses();
// "BAD_HANDLE" for an ABI status.
std::string_view status_abi_name(Status status);
// The order of checks for any handle operation (K-14).
std::span<const Status> check_order();

// The info record written by recv (version 1).
struct InfoField {
    std::string_view name;
    std::string_view c_type;  // "esta_u32"
    u32 offset;
    u32 size;   // Bytes of the whole field.
    u32 count;  // Array length, 1 for scalars.
    std::string_view meaning;
};
inline constexpr u32 kInfoRecordSize = 72;
inline constexpr u32 kInfoRecordVersion = 1;
std::span<const InfoField> info_record();

// Named constants of a group: send flags, rights bits, object kinds, log levels, ...
struct Constant {
    std::string_view name;  // Upper snake case, without the ESTA_ prefix.
    i64 value;
    std::string_view meaning;
};
struct ConstantGroup {
    std::string_view title;
    std::string_view prefix;  // C macro prefix after ESTA_, e.g. "SEND_".
    std::string_view intro;
    std::span<const Constant> constants;
    bool hex = false;
};
std::span<const ConstantGroup> constant_groups();

// Driver call op codes per handle kind (`call` on a driver handle).
struct OpCode {
    std::string_view name;  // "GET"
    i32 code;
    std::string_view request;
    std::string_view reply;
};
struct HandleKindOps {
    std::string_view kind;     // "key-value"
    std::string_view prefix;   // C macro prefix after ESTA_, e.g. "KV_".
    std::string_view objects;  // Which object kinds speak it.
    std::span<const OpCode> ops;
};
std::span<const HandleKindOps> op_codes();

// The value encoding: a tag byte, then the value.
struct ValueTag {
    std::string_view name;  // "I64"
    u8 tag;
    std::string_view encoding;
};
std::span<const ValueTag> value_tags();

// Keys of the map cap_derive reads as restrictions.
struct RestrictionKey {
    std::string_view key;
    std::string_view value_type;
    std::string_view meaning;
};
std::span<const RestrictionKey> restriction_keys();

// Custom sections of a module the kernel reads.
struct CustomSection {
    std::string_view name;
    std::string_view macro;
    std::string_view meaning;
};
std::span<const CustomSection> custom_sections();

// Exports the kernel looks for (the two module styles).
struct ModuleExport {
    std::string_view name;
    std::string_view signature;
    std::string_view meaning;
};
std::span<const ModuleExport> module_exports();

}  // namespace esta::kernel::abi
