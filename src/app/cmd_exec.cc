// `estalogic exec MODULE.wasm [ARGS...]`: runs a WASI command module the way `wasmtime run`
// does (REQUIREMENTS E-9): arguments after the module go to the guest, its exit code is
// ours, and a trap is reported with its ABI code, function name and code offset.
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/exec/size.h"
#include "app/exec/system_host.h"
#include "app/exec/watchdog.h"
#include "app/wast/converter.h"
#include "wasm/parser.h"
#include "wasm/wasi.h"
#include "wasm/wasm.h"

namespace esta::app {
namespace {

namespace fs = std::filesystem;

// Exit codes besides the guest's own, documented in --help (sysexits.h where one fits).
constexpr int kExitUsage = 2;
constexpr int kExitBadModule = 65;  // EX_DATAERR: malformed, invalid or unlinkable.
constexpr int kExitNoInput = 66;    // EX_NOINPUT: the file cannot be read.
constexpr int kExitTrap = 70;       // EX_SOFTWARE: the guest trapped (any trap code).

struct ExecOptions {
    std::string module;
    std::vector<std::string> args;
    std::vector<std::string> env;
    std::optional<u64> fuel;
    std::string max_memory;
    u64 timeout_ms = 0;
    bool stats = false;
};

// "trap 4001: unreachable in `main` (function 12) at offset 0x1a2". Names come from the
// module's name section, decoded again here because this is the cold path.
void print_trap(const wasm::Trap& trap, ByteSpan bytes) {
    std::string reason = trap.reason != nullptr && *trap.reason != '\0'
                             ? std::string(trap.reason)
                             : std::string(wasm::trap_kind_text(trap.kind));
    std::string where = "function " + std::to_string(trap.function);
    if (auto module = wasm::parse_module(bytes)) {
        auto name = module->function_names.find(trap.function);
        if (name != module->function_names.end()) where = "`" + name->second + "` (" + where + ")";
    }
    std::fprintf(stderr, "trap %u: %s in %s at offset 0x%x\n", unsigned(wasm::trap_code(trap.kind)),
                 reason.c_str(), where.c_str(), unsigned(trap.code_offset));
}

struct Stats {
    u64 fuel_used = 0;
    std::chrono::steady_clock::duration wall{};
    u64 guest_memory = 0;
};

void print_stats(const Stats& stats) {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(stats.wall).count();
    std::fprintf(stderr,
                 "fuel used: %llu\nwall time: %lld.%03lld ms\nguest memory: %llu bytes\n"
                 "peak resident memory: %ld KiB\n",
                 (unsigned long long)stats.fuel_used, (long long)(micros / 1000),
                 (long long)(micros % 1000), (unsigned long long)stats.guest_memory,
                 usage.ru_maxrss);
}

int run_exec(const ExecOptions& options) {
    wasm::InstanceLimits limits;
    limits.max_memory_pages = 65536;  // Like wasmtime: the whole 4 GiB unless told otherwise.
    if (!options.max_memory.empty()) {
        auto bytes = parse_size(options.max_memory);
        if (!bytes) {
            std::fprintf(stderr, "estalogic exec: --max-memory: not a size: %s\n",
                         options.max_memory.c_str());
            return kExitUsage;
        }
        limits.max_memory_pages = u32(std::min<u64>(*bytes / wasm::kPageSize, 65536));
    }

    auto file = wast::read_text_file(options.module);
    if (!file) {
        std::fprintf(stderr, "estalogic exec: cannot read %s\n", options.module.c_str());
        return kExitNoInput;
    }
    ByteSpan bytes(reinterpret_cast<const u8*>(file->data()), file->size());
    Diagnostic diagnostic;
    auto module = wasm::compile(bytes, {}, &diagnostic);
    if (!module) {
        std::string why =
            diagnostic.message.empty() ? module.error().to_string() : diagnostic.to_string();
        std::fprintf(stderr, "estalogic exec: %s: %s\n", options.module.c_str(), why.c_str());
        return kExitBadModule;
    }

    // args[0] is the program name as the guest's argv sees it.
    wasm::WasiConfig config;
    config.args.push_back(fs::path(options.module).filename().string());
    config.args.insert(config.args.end(), options.args.begin(), options.args.end());
    config.env = options.env;
    SystemWasiHost host;
    wasm::Wasi wasi(std::move(config), host);

    wasm::Store store;
    wasm::Linker linker;
    wasi.define(store, linker);

    std::atomic<bool> interrupt{false};
    wasm::ExecutionConfig execution;
    execution.fuel = options.fuel.value_or(wasm::kUnlimitedFuel);
    execution.interrupt = &interrupt;
    std::optional<Watchdog> watchdog;
    if (options.timeout_ms > 0)
        watchdog.emplace(std::chrono::milliseconds(options.timeout_ms), interrupt);

    Stats stats;
    auto started = std::chrono::steady_clock::now();
    auto finish = [&](int code, wasm::Instance* instance) {
        stats.wall = std::chrono::steady_clock::now() - started;
        if (instance != nullptr && instance->memory() != nullptr)
            stats.guest_memory = instance->memory()->size();
        if (options.stats) print_stats(stats);
        return code;
    };

    auto instantiated = wasm::instantiate(store, *module, linker, limits, execution);
    if (!instantiated) {
        std::fprintf(stderr, "estalogic exec: %s: %s\n", options.module.c_str(),
                     instantiated.error().to_string().c_str());
        return finish(kExitBadModule, nullptr);
    }
    wasm::Instance* instance = instantiated->instance;
    if (instantiated->trap) {
        print_trap(*instantiated->trap, bytes);
        return finish(kExitTrap, nullptr);
    }
    wasm::FuncRef entry = instance->function("_start");
    if (entry == nullptr) {
        std::fprintf(stderr, "estalogic exec: %s exports no _start function (not a WASI command)\n",
                     options.module.c_str());
        return finish(kExitBadModule, instance);
    }

    wasm::Execution thread(store);
    auto outcome = thread.invoke(entry, {}, execution);
    if (!outcome) {
        std::fprintf(stderr, "estalogic exec: %s\n", outcome.error().to_string().c_str());
        return finish(kExitBadModule, instance);
    }
    stats.fuel_used = outcome->fuel_used;
    switch (outcome->kind) {
        case wasm::Outcome::Kind::Completed:
            return finish(0, instance);
        case wasm::Outcome::Kind::Exited:
            return finish(int(outcome->exit_code & 0xFF), instance);
        case wasm::Outcome::Kind::Trapped:
            print_trap(outcome->trap, bytes);
            return finish(kExitTrap, instance);
        case wasm::Outcome::Kind::Suspended:
            break;
    }
    // Budget fuel and no preemption flag: nothing can suspend this call.
    std::fprintf(stderr, "estalogic exec: the guest suspended unexpectedly\n");
    return finish(kExitTrap, instance);
}

}  // namespace

void register_exec_command(CLI::App& root, CommandContext& context) {
    auto options = std::make_shared<ExecOptions>();
    CLI::App* command =
        root.add_subcommand("exec", "Run a WASI command module (wasm32-wasi) like `wasmtime run`.");
    command->footer(
        "Usage: estalogic exec [OPTIONS] MODULE [ARGS...]. Give OPTIONS before MODULE;\n"
        "ARGS go to the program unparsed (argv[0] is the module's file name).\n"
        "The program sees stdin, stdout, stderr, its arguments, the --env variables, real\n"
        "clocks and randomness; no files.\n"
        "Exit codes: the program's own (proc_exit, or 0 when _start returns); 2 usage error;\n"
        "65 the module is malformed, invalid or does not link; 66 the file cannot be read;\n"
        "70 the program trapped (`trap NNNN: ...` on stderr: 3001 timeout, 3003 fuel\n"
        "exhausted, 4001-4006 wasm traps).");
    command->add_option("module", options->module, "The .wasm file to run")->required();
    command->add_option("--env", options->env,
                        "An environment variable NAME=VALUE for the program (repeatable)");
    command->add_option("--fuel", options->fuel,
                        "Stop the program with trap 3003 after N wasm instructions");
    command->add_option(
        "--max-memory", options->max_memory,
        "Largest linear memory, in bytes or with a KiB/MiB/GiB suffix (default 4GiB); "
        "memory.grow beyond it fails");
    command->add_option("--timeout-ms", options->timeout_ms,
                        "Stop the program with trap 3001 after N milliseconds of wall time");
    command->add_flag("--stats", options->stats,
                      "Print fuel used, wall time and peak memory to stderr at the end");
    // From the first argument after MODULE on, everything belongs to the program, even
    // what looks like an option; CLI11 leaves it in remaining().
    command->prefix_command();
    command->callback([options, command, &context] {
        for (const auto& extra : command->remaining())
            options->args.push_back(extra);
        context.exit_code = run_exec(*options);
    });
}

}  // namespace esta::app
