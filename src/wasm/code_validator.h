// Validation of function bodies: the operand and control stack algorithm of the spec's
// appendix, on explicit vectors (never the C++ stack), reused across functions.
// Spec: https://webassembly.github.io/spec/core/appendix/algorithm.html
// Internal to the validator; validator.h is the room's door.
#pragma once

#include <span>
#include <vector>

#include "base/result.h"
#include "wasm/instruction.h"
#include "wasm/limits.h"
#include "wasm/module.h"

namespace esta::wasm {

// The module-level facts a function body is checked against (the spec's context C),
// flattened into index-addressable vectors once per module.
struct ValidationContext {
    const Module* module = nullptr;
    const ModuleLimits* limits = nullptr;
    std::vector<TypeIndex> function_types;  // Every function, imports first.
    std::vector<TableType> tables;
    std::vector<MemoryType> memories;
    std::vector<GlobalType> globals;
    std::vector<ValType> element_types;    // Of each element segment.
    std::vector<bool> declared_functions;  // C.refs: functions ref.func may name.
};

// Decodes defined function `index`'s body without typing it: the block structure (every
// block, loop and if closed by its end, else only inside an if, nothing after the final end)
// and the data count section memory.init and data.drop need. The spec decodes the whole
// binary before validating any of it, so a module that is both malformed and invalid must be
// reported as malformed; the single-pass CodeValidator meets the invalid part first, and this
// scan (run only on that error path) finds the malformed part.
Result<void> check_body_encoding(const Module& module, const ModuleLimits& limits, u32 index,
                                 const Function& function);

class CodeValidator {
  public:
    explicit CodeValidator(const ValidationContext& context) : m_context(context) {}

    // Validates defined function `index` (in the function index space).
    Result<void> validate(u32 index, const Function& function);

  private:
    struct ControlFrame {
        Op opcode = Op::block;
        BlockType type;
        u32 height = 0;
        bool unreachable = false;
        u64 br_table_stamp = 0;  // The last br_table that checked this label.
    };

    Result<void> check(const Instruction& instruction);
    Result<void> check_control(const Instruction& instruction);
    Result<void> check_variable(const Instruction& instruction);
    Result<void> check_table(const Instruction& instruction);
    Result<void> check_memory(const Instruction& instruction);
    Result<void> check_lanes(const Instruction& instruction);  // SIMD lane immediates.
    Result<void> check_reference(const Instruction& instruction);
    Result<void> apply_signature(const Signature& signature);

    // The operand stack; kUnknown stands for the bottom type of unreachable code.
    void push(ValType type) { m_values.push_back(type); }
    void push(std::span<const ValType> types);
    Result<ValType> pop();
    Result<ValType> pop(ValType expected);
    Result<void> pop(std::span<const ValType> expected);
    // Pops `expected` and pushes back what was there (br_table checks each label this way).
    Result<void> check_and_keep(std::span<const ValType> expected);
    // Compares the top expected.size() values (which must exist) with `expected`.
    Result<void> match_top(std::span<const ValType> expected);

    // The control stack.
    Result<void> push_frame(Op opcode, BlockType type);
    Result<ControlFrame> pop_frame();
    void mark_unreachable();
    Result<const ControlFrame*> label(u32 depth);
    std::span<const ValType> params(const BlockType& type) const;
    std::span<const ValType> results(const BlockType& type) const;
    std::span<const ValType> label_types(const ControlFrame& frame) const;
    Result<void> check_block_type(const BlockType& type);

    void add_local_run(u32 count, ValType type);
    ValType local_type(u32 index) const;  // `index` is below m_local_count.

    Error fail(const char* context) const;
    Error malformed(const char* context) const;

    const ValidationContext& m_context;
    std::vector<ValType> m_values;
    std::vector<ControlFrame> m_frames;
    // Parameters and locals as runs of one type: locals [previous end, end) have `type`.
    struct LocalRunEnd {
        u32 end = 0;
        ValType type = ValType::I32;
    };
    std::vector<LocalRunEnd> m_local_runs;
    u32 m_local_count = 0;
    u32 m_function = 0;
    u32 m_offset = 0;  // Of the instruction being checked.
    u64 m_br_table_stamp = 0;
};

}  // namespace esta::wasm
