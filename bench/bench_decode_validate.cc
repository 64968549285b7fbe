// The engine's front end on a synthetic module shaped like compiler output (locals,
// arithmetic, loads and stores, nested blocks, loops, br_if and br_table): instruction
// decoding alone, then parse, then parse + validate, in bytes per second.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <vector>

#include "wasm/instruction.h"
#include "wasm/parser.h"
#include "wasm/validator.h"

namespace {

using esta::u32;
using esta::u8;
using Bytes = std::vector<u8>;

void append_leb(Bytes& out, u32 value) {
    do {
        u8 byte = value & 0x7F;
        value >>= 7;
        if (value != 0) byte |= 0x80;
        out.push_back(byte);
    } while (value != 0);
}

void append_section(Bytes& out, u8 id, const Bytes& contents) {
    out.push_back(id);
    append_leb(out, static_cast<u32>(contents.size()));
    out.insert(out.end(), contents.begin(), contents.end());
}

// One function body of type (i32 i32) -> i32 with two i64 locals; `seed` varies constants
// so bodies differ. Deterministic: the same module every run.
Bytes function_body(u32 seed) {
    Bytes body = {0x01, 0x02, 0x7E};  // 2 x i64 locals
    for (u32 round = 0; round < 8; ++round) {
        const u8 constant = static_cast<u8>((seed + round) & 0x3F);
        const Bytes chunk = {
            0x02, 0x40,                                    // block
            0x03, 0x40,                                    // loop
            0x20, 0x00, 0x41, constant,                    // local.get 0, i32.const c
            0x6A, 0x21, 0x00,                              // i32.add, local.set 0
            0x20, 0x00, 0x28, 0x02,     0x10,              // local.get 0, i32.load offset=16
            0x20, 0x01, 0x6C, 0x22,     0x01,              // local.get 1, i32.mul, local.tee 1
            0x0D, 0x01,                                    // br_if 1 (out of the block)
            0x20, 0x02, 0x42, constant,                    // local.get 2, i64.const c
            0x7C, 0x21, 0x02,                              // i64.add, local.set 2
            0x20, 0x00, 0x0E, 0x02,     0x00, 0x01, 0x01,  // local.get 0, br_table 0 1 1
            0x0B, 0x0B,                                    // end loop, end block
            0x20, 0x00, 0x20, 0x01,     0x36, 0x02, 0x00,  // i32.store
        };
        body.insert(body.end(), chunk.begin(), chunk.end());
    }
    body.insert(body.end(), {0x20, 0x00, 0x0B});
    return body;
}

Bytes synthetic_module(u32 functions) {
    Bytes module = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};
    append_section(module, 1, {0x01, 0x60, 0x02, 0x7F, 0x7F, 0x01, 0x7F});
    Bytes function_section;
    append_leb(function_section, functions);
    function_section.insert(function_section.end(), functions, 0x00);
    append_section(module, 3, function_section);
    append_section(module, 5, {0x01, 0x00, 0x01});
    Bytes code;
    append_leb(code, functions);
    for (u32 i = 0; i < functions; ++i) {
        const Bytes body = function_body(i);
        append_leb(code, static_cast<u32>(body.size()));
        code.insert(code.end(), body.begin(), body.end());
    }
    append_section(module, 10, code);
    return module;
}

const Bytes& module_bytes() {
    static const Bytes kModule = synthetic_module(2000);
    return kModule;
}

void BM_DecodeInstructions(benchmark::State& state) {
    auto module = esta::wasm::parse_module(module_bytes());
    if (!module) {
        state.SkipWithError(module.error().context);
        return;
    }
    std::size_t bytes = 0;
    for (auto _ : state) {
        for (const esta::wasm::Function& function : module->functions) {
            esta::wasm::InstructionReader reader(module->range(function.body),
                                                 function.body.offset);
            esta::wasm::Instruction instruction;
            while (!reader.at_end()) {
                if (!reader.read(instruction)) std::abort();
                benchmark::DoNotOptimize(instruction.index);
            }
            bytes += function.body.size;
        }
    }
    state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_DecodeInstructions);

void BM_Parse(benchmark::State& state) {
    for (auto _ : state) {
        auto module = esta::wasm::parse_module(module_bytes());
        if (!module) std::abort();
        benchmark::DoNotOptimize(module->functions.size());
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * module_bytes().size()));
}
BENCHMARK(BM_Parse);

void BM_ParseAndValidate(benchmark::State& state) {
    for (auto _ : state) {
        auto module = esta::wasm::parse_module(module_bytes());
        if (!module || !esta::wasm::validate_module(*module)) std::abort();
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * module_bytes().size()));
}
BENCHMARK(BM_ParseAndValidate);

}  // namespace
