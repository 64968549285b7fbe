// `estalogic exec MODULE.wasm [ARGS...]`: runs a WASI command module the way `wasmtime run`
// does (REQUIREMENTS E-9): arguments after the module go to the guest, its exit code is
// ours, and a trap is reported with its ABI code, function name and code offset.
#include <sys/resource.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/exec/host_decorators.h"
#include "app/exec/size.h"
#include "app/exec/system_host.h"
#include "app/exec/watchdog.h"
#include "app/wast/converter.h"
#include "observe/json.h"
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
    bool deterministic = false;
    std::string digest_file;
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

// The golden digest of a run (REQUIREMENTS T-6): how it ended, the fuel it used, and
// SHA-256 of its stdout and of its final memory 0. Written as `key value` lines so a
// golden file diffs readably.
bool write_digest(const std::string& path, const std::string& ending, u64 fuel,
                  StdoutDigestHost& output, const wasm::Instance* instance) {
    auto stdout_hash = output.finish();
    std::string text = ending + "\nfuel " + std::to_string(fuel) + "\nstdout " +
                       std::to_string(output.stdout_bytes()) +
                       " sha256:" + observe::to_hex(stdout_hash) + "\n";
    const wasm::LinearMemory* memory = instance != nullptr ? instance->memory() : nullptr;
    if (memory != nullptr) {
        auto bytes = memory->span(0, memory->size());
        if (!bytes) return false;
        text += "memory " + std::to_string(memory->size()) +
                " sha256:" + observe::to_hex(observe::sha256(*bytes)) + "\n";
    } else {
        text += "memory none\n";
    }
    std::FILE* file = std::fopen(path.c_str(), "wb");
    if (file == nullptr) return false;
    bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
    return std::fclose(file) == 0 && written;
}

// One "Name:   123 kB" line of /proc/self/status, in KiB; -1 when it is not there.
long status_kib(const char* name) {
    std::FILE* file = std::fopen("/proc/self/status", "r");
    if (file == nullptr) return -1;
    char line[256];
    long value = -1;
    const std::size_t length = std::strlen(name);
    while (std::fgets(line, sizeof line, file) != nullptr) {
        if (std::strncmp(line, name, length) == 0 && line[length] == ':') {
            value = std::strtol(line + length + 1, nullptr, 10);
            break;
        }
    }
    std::fclose(file);
    return value;
}

// The peak resident set counts the pages of the binary and its shared libraries (drivers'
// OpenSSL, libpq, librdkafka...), which are clean and shared with other processes. What
// the run itself costs is the anonymous memory: the guest's linear memory plus the
// engine's. Linear memory never shrinks, so its value at exit is the run's peak.
void print_stats(const Stats& stats) {
    rusage usage{};
    ::getrusage(RUSAGE_SELF, &usage);
    auto micros = std::chrono::duration_cast<std::chrono::microseconds>(stats.wall).count();
    std::fprintf(stderr,
                 "fuel used: %llu\nwall time: %lld.%03lld ms\nguest memory: %llu bytes\n"
                 "peak resident memory: %ld KiB\n"
                 "anonymous memory at exit: %ld KiB (guest memory and the engine's own)\n"
                 "file-backed memory at exit: %ld KiB (the binary and its shared libraries)\n",
                 (unsigned long long)stats.fuel_used, (long long)(micros / 1000),
                 (long long)(micros % 1000), (unsigned long long)stats.guest_memory,
                 usage.ru_maxrss, status_kib("RssAnon"), status_kib("RssFile"));
}

// How a run ended: the exit code, the digest's first line ("exit 0", "trap 4002"), the
// fuel `_start` used, and the instance when there is one.
struct RunEnd {
    int exit_code = 0;
    std::string ending;
    u64 fuel_used = 0;
    wasm::Instance* instance = nullptr;
};

RunEnd ended_by_trap(const wasm::Trap& trap, ByteSpan bytes, wasm::Instance* instance) {
    print_trap(trap, bytes);
    return {kExitTrap, "trap " + std::to_string(wasm::trap_code(trap.kind)), 0, instance};
}

// Instantiates the module and calls its `_start`, reporting problems on stderr.
RunEnd run_module(const ExecOptions& options, std::shared_ptr<const wasm::CompiledModule> module,
                  ByteSpan bytes, wasm::Store& store, const wasm::Linker& linker,
                  const wasm::InstanceLimits& limits, const wasm::ExecutionConfig& execution) {
    auto instantiated = wasm::instantiate(store, std::move(module), linker, limits, execution);
    if (!instantiated) {
        std::fprintf(stderr, "estalogic exec: %s: %s\n", options.module.c_str(),
                     instantiated.error().to_string().c_str());
        return {kExitBadModule, "unlinkable", 0, nullptr};
    }
    wasm::Instance* instance = instantiated->instance;
    // An instance whose initialization trapped must not be used, not even for a digest.
    if (instantiated->trap) return ended_by_trap(*instantiated->trap, bytes, nullptr);
    wasm::FuncRef entry = instance->function("_start");
    if (entry == nullptr) {
        std::fprintf(stderr, "estalogic exec: %s exports no _start function (not a WASI command)\n",
                     options.module.c_str());
        return {kExitBadModule, "no _start", 0, instance};
    }

    wasm::Execution thread(store);
    auto outcome = thread.invoke(entry, {}, execution);
    if (!outcome) {
        std::fprintf(stderr, "estalogic exec: %s\n", outcome.error().to_string().c_str());
        return {kExitBadModule, "not callable", 0, instance};
    }
    RunEnd end;
    switch (outcome->kind) {
        case wasm::Outcome::Kind::Completed:
            end = {0, "exit 0", 0, instance};
            break;
        case wasm::Outcome::Kind::Exited: {
            int code = int(outcome->exit_code & 0xFF);
            end = {code, "exit " + std::to_string(code), 0, instance};
            break;
        }
        case wasm::Outcome::Kind::Trapped:
            end = ended_by_trap(outcome->trap, bytes, instance);
            break;
        case wasm::Outcome::Kind::Suspended:
            // Budget fuel and no preemption flag: nothing should suspend this call.
            std::fprintf(stderr, "estalogic exec: the guest suspended unexpectedly\n");
            end = {kExitTrap, "suspended", 0, instance};
            break;
    }
    end.fuel_used = outcome->fuel_used;
    return end;
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
    // The host chain: the real system, optionally with fixed clocks and randomness, then
    // the stdout hasher that --digest reads.
    SystemWasiHost system;
    DeterministicWasiHost fixed(system);
    wasm::WasiHost& source = options.deterministic ? static_cast<wasm::WasiHost&>(fixed) : system;
    StdoutDigestHost host(source);
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

    auto started = std::chrono::steady_clock::now();
    RunEnd end = run_module(options, std::move(*module), bytes, store, linker, limits, execution);
    watchdog.reset();

    if (options.stats) {
        Stats stats;
        stats.wall = std::chrono::steady_clock::now() - started;
        stats.fuel_used = end.fuel_used;
        if (end.instance != nullptr && end.instance->memory() != nullptr)
            stats.guest_memory = end.instance->memory()->size();
        print_stats(stats);
    }
    if (!options.digest_file.empty() &&
        !write_digest(options.digest_file, end.ending, end.fuel_used, host, end.instance)) {
        std::fprintf(stderr, "estalogic exec: cannot write %s\n", options.digest_file.c_str());
        return kExitUsage;
    }
    return end.exit_code;
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
    command->add_flag("--deterministic", options->deterministic,
                      "Serve fixed clocks (1 ms per reading) and a fixed random stream, so the run "
                      "depends only on the module, ARGS and stdin");
    command->add_option("--digest", options->digest_file,
                        "Write the run's golden digest (ending, fuel, SHA-256 of stdout and of the "
                        "final memory) to FILE");
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
