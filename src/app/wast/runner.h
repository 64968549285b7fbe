// Running one converted spec script against the engine: every command in order, in a
// fresh store, with the `spectest` module available. Produces a report, never throws, and
// never stops at the first failure (later commands still run, as far as they can).
#pragma once

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "app/wast/counts.h"
#include "app/wast/script.h"
#include "wasm/wasm.h"

namespace esta::app::wast {

struct Failure {
    u32 line = 0;
    CommandType type = CommandType::Module;
    std::string message;  // What differed: "got i32:5 (0x5), expected i32:6 (0x6)".
};

struct FileReport {
    std::string file;  // "address.wast"
    // Assertions (assert_*) by outcome. `failed` also counts module, register and action
    // commands that failed, since a script whose module does not load has failed.
    u32 passed = 0;
    u32 failed = 0;
    u32 skipped = 0;
    CommandCounts ran{};  // Every command seen, by type (for the counts.tsv check).
    std::vector<Failure> failures;
};

struct RunOptions {
    // Per invocation (and per start function): ends runaway loops with trap 3003.
    u64 fuel = 2'000'000'000;
    // 1024 pages (64 MiB) per memory: more than any script grows to (memory_grow.wast
    // reaches 803 pages and expects -1 only far beyond), while each memory reserves far less
    // address space than the spec's 4 GiB would, which matters under ASan.
    wasm::InstanceLimits limits{1024, 1u << 24};
    std::FILE* print_sink = nullptr;  // Where spectest.print* writes; nullptr: silent.
};

// Runs `script`, whose module files are in `directory`, and reports the result under the
// name `file`.
FileReport run_script(const Script& script, const std::filesystem::path& directory,
                      std::string file, const RunOptions& options);

}  // namespace esta::app::wast
