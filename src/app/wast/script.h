// The spec-test script model: what wabt's `wast2json` writes for one .wast file, read into
// plain structs so the runner never touches JSON. Values keep their exact bit patterns
// (floats as bits, so NaN payloads and signed zeros survive).
// Format: https://github.com/WebAssembly/wabt/blob/main/docs/wast2json.md
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/diagnostic.h"
#include "base/result.h"
#include "base/types.h"
#include "wasm/types.h"

namespace esta::app::wast {

// A value in a script: an argument, or an expected result with an optional pattern.
struct ScriptValue {
    enum class Pattern : u8 {
        Exact,          // Compare bits (numbers) or identity (references).
        CanonicalNan,   // "nan:canonical": the canonical NaN of either sign.
        ArithmeticNan,  // "nan:arithmetic": any NaN with the quiet bit set.
        AnyReference,   // A non-null reference whose identity the script does not name.
    };

    // A v128 is written as lanes of one type; each lane of an expected value may carry its
    // own NaN pattern.
    enum class LaneType : u8 { I8, I16, I32, I64, F32, F64 };

    wasm::ValType type = wasm::ValType::I32;
    Pattern pattern = Pattern::Exact;
    // Numbers: the bits (i32/f32 in the low half). References: the host value N of
    // `ref.extern N`, meaningful only when `is_null` is false.
    u64 bits = 0;
    bool is_null = false;
    // v128 only: the 16 bytes (little-endian lanes), their lane type and per-lane patterns.
    std::array<u8, 16> v128{};
    LaneType lane_type = LaneType::I32;
    std::array<Pattern, 16> lane_patterns{};

    static ScriptValue number(wasm::ValType type, u64 bits) {
        return {type, Pattern::Exact, bits, false};
    }
    static ScriptValue null_ref(wasm::ValType type) { return {type, Pattern::Exact, 0, true}; }
    static ScriptValue extern_ref(u64 host) {
        return {wasm::ValType::ExternRef, Pattern::Exact, host, false};
    }
};

// Lanes in a v128 of `lane_type`, and the width of one in bytes.
int lane_count(ScriptValue::LaneType lane_type);
int lane_width(ScriptValue::LaneType lane_type);

// "i32:42", "f32:nan:canonical", "externref:null", "v128:i32x4:1,2,3,4" (for failure messages).
std::string to_string(const ScriptValue& value);

struct Action {
    enum class Kind : u8 { Invoke, Get };
    Kind kind = Kind::Invoke;
    std::string module;  // Empty: the most recently defined module.
    std::string field;
    std::vector<ScriptValue> args;
};

enum class CommandType : u8 {
    Module,
    Register,
    Action,
    AssertReturn,
    AssertTrap,
    AssertExhaustion,
    AssertInvalid,
    AssertMalformed,
    AssertUnlinkable,
    AssertUninstantiable,
};

inline constexpr int kCommandTypeCount = 10;

// The JSON spelling ("assert_return").
std::string_view command_type_name(CommandType type);
// True for the assert_* commands, the ones counts.tsv counts as assertions.
constexpr bool is_assertion(CommandType type) {
    return type != CommandType::Module && type != CommandType::Register &&
           type != CommandType::Action;
}

struct Command {
    CommandType type = CommandType::Module;
    u32 line = 0;
    std::string name;          // Module: its `$name`; Register: the module registered (or empty).
    std::string as;            // Register: the import name it becomes.
    std::string filename;      // Module and module assertions: the file beside the JSON.
    bool text_module = false;  // module_type "text": a .wat we cannot decode.
    std::optional<Action> action;
    std::vector<ScriptValue> expected;  // AssertReturn: results; AssertTrap: types only.
    std::string text;                   // The expected failure message, for reports.
};

struct Script {
    std::string source;  // The .wast name wast2json recorded.
    std::vector<Command> commands;
};

// Parses wast2json output. On failure `diagnostic` says what and where (command line).
Result<Script> parse_script(std::string_view json_text, Diagnostic& diagnostic);

}  // namespace esta::app::wast
