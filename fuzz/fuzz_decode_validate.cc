// Decodes and validates arbitrary bytes as a WebAssembly module with small limits: no input
// may crash, hang, or allocate without bound, and every rejection must be a Malformed,
// Invalid or Limit error. A module that validates is decoded a second time instruction by
// instruction, as the lowering pass will, and must decode cleanly.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "wasm/instruction.h"
#include "wasm/parser.h"
#include "wasm/validator.h"

namespace {

esta::wasm::ModuleLimits fuzz_limits() {
    esta::wasm::ModuleLimits limits;
    limits.module_size = 1u << 20;
    limits.locals = 10'000;
    limits.nesting_depth = 512;
    limits.br_table_targets = 10'000;
    return limits;
}

bool expected_rejection(esta::Status status) {
    return status == esta::Status::Malformed || status == esta::Status::Invalid ||
           status == esta::Status::Limit;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const esta::wasm::ModuleLimits kLimits = fuzz_limits();
    auto module = esta::wasm::parse_module(esta::ByteSpan(data, size), kLimits);
    if (!module) {
        if (!expected_rejection(module.error().code)) std::abort();
        return 0;
    }
    auto valid = esta::wasm::validate_module(*module, kLimits);
    if (!valid) {
        if (!expected_rejection(valid.error().code)) std::abort();
        return 0;
    }
    for (const esta::wasm::Function& function : module->functions) {
        esta::wasm::InstructionReader reader(module->range(function.body), function.body.offset,
                                             kLimits.br_table_targets);
        esta::wasm::Instruction instruction;
        while (!reader.at_end()) {
            if (!reader.read(instruction)) std::abort();
        }
    }
    return 0;
}
