// `estalogic replay JOURNAL_DIR [--process NAME|PID] [--module PATH]` (REQUIREMENTS T-1):
// re-runs a process from the node journal's stream and checks that every request it makes
// (messages, replies, driver calls, audit records) is the journaled one, or names the first
// difference. Without --module it lists the journal's processes.
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "app/commands.h"
#include "kernel/persistence/replay.h"
#include "protocol/protocol.h"

namespace esta::app {
namespace {

constexpr int kExitDifferent = 1;   // The replay differs from the journal (or the module does).
constexpr int kExitDataError = 65;  // EX_DATAERR: the journal is corrupt or newer.
constexpr int kExitNoInput = 66;    // EX_NOINPUT: no journal, module or process.

struct ReplayOptions {
    std::string directory;
    std::string process;
    std::string module;
};

int fail(int code, const std::string& message) {
    std::fprintf(stderr, "estalogic replay: %s\n", message.c_str());
    return code;
}

int journal_error(const Error& error) {
    const int code = error.code == Status::NotFound ? kExitNoInput : kExitDataError;
    return fail(code, "cannot read the journal: " + protocol::describe_decode_error(error));
}

// The pid of `wanted` (a number, or a name from the processes' starts).
std::optional<kernel::ProcessId> find_process(
    const std::vector<kernel::JournaledProcess>& processes, const std::string& wanted) {
    for (const auto& entry : processes) {
        if (entry.name == wanted || std::to_string(entry.pid.value()) == wanted) return entry.pid;
    }
    return std::nullopt;
}

void print_processes(const std::vector<kernel::JournaledProcess>& processes) {
    std::printf("%-6s %-20s %-5s %-8s %-8s %s\n", "PID", "NAME", "LIVES", "INPUTS", "ANSWERS",
                "MODULE SHA-256");
    for (const auto& entry : processes) {
        std::printf("%-6u %-20s %-5u %-8" PRIu64 " %-8" PRIu64 " %s\n", entry.pid.value(),
                    entry.name.empty() ? "-" : entry.name.c_str(), entry.lives, entry.inputs,
                    entry.answers,
                    entry.module_sha256 == kernel::ModuleDigest{}
                        ? "(not recorded)"
                        : kernel::digest_hex(entry.module_sha256).c_str());
    }
}

void print_report(kernel::ProcessId pid, const kernel::ReplayReport& report) {
    std::printf("process %u: %u lives, %" PRIu64 " inputs replayed, %" PRIu64
                " syscalls answered, %" PRIu64 " outputs compared\n",
                pid.value(), report.lives, report.inputs, report.answers, report.outputs);
    if (report.unverified_lives != 0)
        std::printf("warning: %u starts have no module hash; the module was not verified\n",
                    report.unverified_lives);
    if (report.identical()) {
        std::printf("OK: every output is identical to the journal's; the process ended: %s\n",
                    report.end.c_str());
        return;
    }
    const auto& difference = *report.difference;
    std::printf("DIFFERENT at life %u, after input %" PRIu64 ", syscall %" PRIu64
                " (journal record %" PRIu64 "):\n",
                difference.life, difference.input, difference.syscall, difference.record);
    std::printf("  %s\n  expected: %s\n  got:      %s\n", difference.what.c_str(),
                difference.expected.c_str(), difference.got.c_str());
}

int run_replay(const ReplayOptions& options) {
    // Reading must not create a journal where none exists.
    std::error_code error;
    if (!std::filesystem::is_directory(options.directory, error))
        return fail(kExitNoInput, "no journal at " + options.directory);
    protocol::PosixFileSystem fs;
    protocol::SystemClock clock;
    auto journal = protocol::Journal::open(fs, options.directory, clock);
    if (!journal) return journal_error(journal.error());
    auto processes = kernel::list_journaled_processes(**journal);
    if (!processes) return journal_error(processes.error());
    if (options.module.empty()) {
        print_processes(*processes);
        return 0;
    }
    std::ifstream file(options.module, std::ios::binary);
    if (!file) return fail(kExitNoInput, "cannot read the module " + options.module);
    const std::vector<u8> bytes((std::istreambuf_iterator<char>(file)),
                                std::istreambuf_iterator<char>());

    std::optional<kernel::ProcessId> pid;
    if (!options.process.empty()) {
        pid = find_process(*processes, options.process);
        if (!pid) return fail(kExitNoInput, "no process " + options.process + " in the journal");
    } else if (processes->size() == 1) {
        pid = processes->front().pid;
    } else {
        return fail(kExitNoInput, std::to_string(processes->size()) +
                                      " processes in the journal; name one with --process");
    }
    auto report = kernel::replay_process(**journal, *pid, ByteSpan(bytes));
    if (!report) {
        if (std::string_view(report.error().context) == "replay.bad_module")
            return fail(kExitDataError, options.module + " is not a valid module");
        return journal_error(report.error());
    }
    print_report(*pid, *report);
    return report->identical() ? 0 : kExitDifferent;
}

}  // namespace

void register_replay_command(CLI::App& root, CommandContext& context) {
    auto options = std::make_shared<ReplayOptions>();
    CLI::App* replay = root.add_subcommand(
        "replay", "Re-run a process from the journal and compare every output (T-1).");
    replay->add_option("journal", options->directory, "The node journal's directory")->required();
    replay->add_option("--process", options->process,
                       "The process, by name or pid (needed when the journal has several)");
    replay->add_option("--module", options->module,
                       "The module it ran (.wasm); checked against the journal's SHA-256. "
                       "Without it, the journal's processes are listed");
    replay->footer(
        "Every message the process was delivered and every syscall answer it got is handed\n"
        "back from the journal; each request it makes must equal the journaled one.\n"
        "Exit codes: 0 identical (or listed); 1 a difference, or a different module;\n"
        "65 the journal or the module is corrupt or of a newer version; 66 no journal,\n"
        "module or process; a usage error prints the problem and exits non-zero.\n"
        "Examples:\n"
        "  estalogic replay /var/lib/estalogic/journal\n"
        "  estalogic replay /var/lib/estalogic/journal --process accrual --module accrual.wasm");
    replay->callback([options, &context] { context.exit_code = run_replay(*options); });
}

}  // namespace esta::app
