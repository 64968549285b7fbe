// `estalogic replay JOURNAL [--process NAME|PID] [--module PATH] [--modules DIR] [--list]`
// (REQUIREMENTS T-1, V-2): re-runs processes from the node journal's streams and checks that
// every request they make (messages, replies, driver calls, audit records) is the journaled
// one, or names the first difference. By default every process of the run, each with the
// module its start records name, found by SHA-256 in the node's module store; --module
// replays one process with the given file instead; --list only lists.
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

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
    std::string modules;  // The module store; "": beside the journal (DATA_DIR/modules).
    bool list = false;
};

namespace fs = std::filesystem;

// The journal under `path`: a node's state dir (STATE/data/journal), its data dir
// (DATA/journal), or the journal itself.
std::string journal_directory(const std::string& path) {
    std::error_code error;
    for (const fs::path& candidate :
         {fs::path(path) / "data" / "journal", fs::path(path) / "journal"}) {
        if (fs::is_directory(candidate, error)) return candidate.string();
    }
    return path;
}

int fail(int code, const std::string& message) {
    std::fprintf(stderr, "estalogic replay: %s\n", message.c_str());
    return code;
}

// Journal retention ([journal] retain_bytes, P-8) retires the oldest segments: each life
// replays from its start, so only the lives that started within what is left can be
// replayed. Says so when the journal no longer starts at record 1.
void note_retired_prefix(const protocol::Journal& journal) {
    if (journal.first_sequence() <= 1) return;
    std::printf("note: records 1 to %" PRIu64
                " of the journal were retired (journal retention); lives that started "
                "before record %" PRIu64 " are not replayed\n",
                journal.first_sequence() - 1, journal.first_sequence());
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

std::optional<std::vector<u8>> read_module(const std::string& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) return std::nullopt;
    return std::vector<u8>((std::istreambuf_iterator<char>(file)),
                           std::istreambuf_iterator<char>());
}

std::string process_label(const kernel::JournaledProcess& entry) {
    return (entry.name.empty() ? std::string("process") : entry.name) + " (pid " +
           std::to_string(entry.pid.value()) + ")";
}

// Every process (or the one --process names) with the module its starts record, from the
// store: the run proven output for output, or the first difference.
int replay_from_store(protocol::Journal& journal,
                      const std::vector<kernel::JournaledProcess>& processes,
                      const ReplayOptions& options, const std::string& journal_dir) {
    fs::path journal_path = fs::path(journal_dir).lexically_normal();
    if (journal_path.filename().empty()) journal_path = journal_path.parent_path();  // "dir/"
    const std::string store = options.modules.empty()
                                  ? (journal_path.parent_path() / "modules").string()
                                  : options.modules;
    std::vector<kernel::JournaledProcess> chosen;
    for (const auto& entry : processes) {
        if (options.process.empty() || entry.name == options.process ||
            std::to_string(entry.pid.value()) == options.process)
            chosen.push_back(entry);
    }
    if (chosen.empty())
        return fail(kExitNoInput, options.process.empty()
                                      ? "no process in the journal " + journal_dir
                                      : "no process " + options.process + " in the journal");
    u64 inputs = 0, answers = 0, outputs = 0;
    for (const auto& entry : chosen) {
        if (entry.module_sha256 == kernel::ModuleDigest{})
            return fail(kExitNoInput, process_label(entry) +
                                          " has no module SHA-256 in the journal; replay it "
                                          "with --process and --module");
        const std::string hex = kernel::digest_hex(entry.module_sha256);
        const std::string path = (fs::path(store) / (hex + ".wasm")).string();
        auto bytes = read_module(path);
        if (!bytes)
            return fail(kExitNoInput, "the module " + hex + " of " + process_label(entry) +
                                          " is not in the module store " + store);
        auto report = kernel::replay_process(journal, entry.pid, ByteSpan(*bytes));
        if (!report) {
            if (std::string_view(report.error().context) == "replay.bad_module")
                return fail(kExitDataError, path + " is not a valid module");
            return journal_error(report.error());
        }
        std::printf("%s, module %s: ", process_label(entry).c_str(), hex.c_str());
        print_report(entry.pid, *report);
        if (!report->identical()) {
            std::fprintf(stderr,
                         "estalogic replay: %s differs from the journal (record %" PRIu64 ")\n",
                         process_label(entry).c_str(), report->difference->record);
            return kExitDifferent;
        }
        inputs += report->inputs;
        answers += report->answers;
        outputs += report->outputs;
    }
    std::printf("OK: %zu processes replayed, %" PRIu64 " inputs, %" PRIu64
                " syscalls answered, %" PRIu64 " outputs identical\n",
                chosen.size(), inputs, answers, outputs);
    return 0;
}

int run_replay(const ReplayOptions& options) {
    // Reading must not create a journal where none exists.
    std::error_code error;
    const std::string directory = journal_directory(options.directory);
    if (!fs::is_directory(directory, error))
        return fail(kExitNoInput, "no journal at " + options.directory);
    protocol::PosixFileSystem files;
    protocol::SystemClock clock;
    auto journal = protocol::Journal::open(files, directory, clock);
    if (!journal) return journal_error(journal.error());
    auto processes = kernel::list_journaled_processes(**journal);
    if (!processes) return journal_error(processes.error());
    note_retired_prefix(**journal);
    if (processes->empty() && (*journal)->first_sequence() > 1)
        return fail(kExitNoInput,
                    "no process start is left in the journal " + directory + ": records 1 to " +
                        std::to_string((*journal)->first_sequence() - 1) +
                        " were retired (journal retention) and a life replays only from its "
                        "start; restart the node to begin new lives, or raise [journal] "
                        "retain_bytes");
    if (options.list) {
        print_processes(*processes);
        return 0;
    }
    if (options.module.empty()) return replay_from_store(**journal, *processes, options, directory);
    auto bytes = read_module(options.module);
    if (!bytes) return fail(kExitNoInput, "cannot read the module " + options.module);

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
    auto report = kernel::replay_process(**journal, *pid, ByteSpan(*bytes));
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
    replay
        ->add_option("journal", options->directory,
                     "The node journal's directory (DATA_DIR/journal), or the --state-dir "
                     "of an `estalogic run`")
        ->required();
    replay->add_option("--process", options->process,
                       "Only this process, by name or pid (needed with --module when the "
                       "journal has several)");
    replay->add_option("--module", options->module,
                       "Replay with this module file (.wasm) instead of the store's; checked "
                       "against the journal's SHA-256");
    replay->add_option("--modules", options->modules,
                       "The module store (SHA256.wasm files); default: the modules folder "
                       "beside the journal");
    replay->add_flag("--list", options->list, "List the journal's processes; replay nothing");
    replay->footer(
        "Every process of the run is re-executed with the module its start records name\n"
        "(found by SHA-256 in the module store): every message it was delivered and every\n"
        "syscall answer it got is handed back from the journal, and each request it makes\n"
        "must equal the journaled one. The first difference is printed (process, journal\n"
        "record, expected against got).\n"
        "Exit codes: 0 identical (or listed); 1 a difference, or a different module;\n"
        "65 the journal or the module is corrupt or of a newer version; 66 no journal,\n"
        "module or process (also: every process start retired by journal retention);\n"
        "a usage error prints the problem and exits non-zero.\n"
        "Examples:\n"
        "  estalogic replay /var/lib/estalogic/state\n"
        "  estalogic replay /var/lib/estalogic/data/journal --list\n"
        "  estalogic replay /var/lib/estalogic/data/journal --process accrual --module "
        "accrual.wasm");
    replay->callback([options, &context] { context.exit_code = run_replay(*options); });
}

}  // namespace esta::app
