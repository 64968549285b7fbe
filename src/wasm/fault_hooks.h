// Fault injection and integrity checks for redundant execution (REQUIREMENTS K-60). Nothing
// here runs while a guest runs: a flip is applied to a suspended execution (a fuel slice
// ended, FuelMode::Slice), and a checksum is taken between invocations, so the interpreter's
// path is untouched.
//
// Targets, and the bits a flip may land on:
//   Memory       every bit of the instance's memory 0.
//   ValueStack   the operand slots of the suspended function's frame (locals excluded).
//   Frame        the suspended function's parameters and locals.
//   LoweredCode  the value immediates of the instance's lowered code: constants, the right
//                operand of `<op>_imm` and fused compares, load/store offsets (low 32 bits).
//                Slot numbers, opcodes and code pointers are left alone: the interpreter
//                trusts them, so a flip there is a host memory fault, not a wrong answer —
//                the code checksum (lowered_code_digest) is what guards them.
// A code flip writes into the CompiledModule, so every instance of that module sees it.
#pragma once

#include <string_view>
#include <vector>

#include "base/result.h"
#include "observe/crypto.h"
#include "wasm/wasm.h"

namespace esta::wasm {

enum class FaultTarget : u8 { Memory, ValueStack, Frame, LoweredCode };
inline constexpr u32 kFaultTargetCount = 4;
std::string_view fault_target_name(FaultTarget target);

// How many bits a flip into `target` can choose from; 0 when there are none (no memory, no
// suspended wasm frame).
u64 fault_bits(const Execution& execution, const Instance& instance, FaultTarget target);

// Flips bit `bit` (< fault_bits) of `target`. Status::InvalidArgs when `bit` is out of range.
Result<void> flip_bit(Execution& execution, Instance& instance, FaultTarget target, u64 bit);

// SHA-256 over everything the interpreter reads of a compiled module's functions: each
// function's instructions, br_table entries, v128 constants and frame sizes. Equal for two
// compilations of the same bytes; any flipped bit changes it.
observe::Digest lowered_code_digest(const CompiledModule& module);

// An instance's globals in index order (imported and defined), for snapshotting its mutable
// state; pointers are owned by the store.
std::vector<GlobalInstance*> instance_globals(const Instance& instance);

}  // namespace esta::wasm
