// `estalogic dlq list|inspect|replay|drop DIR ...`: the operator's view of a dead-letter
// queue (REQUIREMENTS P-4). Replay writes the original message frame to a file for
// re-injection and marks the entry replayed, so it is never replayed twice.
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string>

#include "app/commands.h"
#include "protocol/protocol.h"

namespace esta::app {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitDataError = 65;   // EX_DATAERR: the queue is corrupt or newer.
constexpr int kExitNoInput = 66;     // EX_NOINPUT: no queue at DIR, or no such entry.
constexpr int kExitCantCreate = 73;  // EX_CANTCREAT: the replay output cannot be written.

struct DlqOptions {
    std::string directory;
    u64 id = 0;
    bool all = false;
    std::string out;
};

enum class DlqOperation { List, Inspect, Replay, Drop };

std::string format_time(protocol::Nanos nanos) {
    const std::time_t seconds = static_cast<std::time_t>(nanos / protocol::kNanosPerSecond);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char buffer[64];
    std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return buffer;
}

int exit_code_for(const Error& error) {
    switch (error.code) {
        case Status::NotFound:
            return kExitNoInput;
        case Status::Corrupt:
        case Status::Malformed:
        case Status::NotSupported:
            return kExitDataError;
        default:
            return kExitFailure;
    }
}

int report(const Error& error) {
    if (std::string_view(error.context) == "dlq.already_settled") {
        const auto state = static_cast<protocol::DeadLetterState>(error.detail.actual);
        std::fprintf(stderr, "estalogic dlq: entry %" PRIu64 " was already %s\n",
                     error.detail.index,
                     std::string(protocol::dead_letter_state_name(state)).c_str());
        return kExitFailure;
    }
    if (std::string_view(error.context) == "dlq.no_such_entry") {
        std::fprintf(stderr, "estalogic dlq: no entry %" PRIu64 "\n", error.detail.index);
        return kExitNoInput;
    }
    std::fprintf(stderr, "estalogic dlq: %s\n", protocol::describe_decode_error(error).c_str());
    return exit_code_for(error);
}

void print_summary_header() {
    std::printf("%-8s %-9s %-18s %-6s %-8s %-20s %-32s %s\n", "ID", "STATE", "REASON", "CODE",
                "ATTEMPTS", "TIME", "MESSAGE", "TYPE");
}

void print_summary(const protocol::DeadLetterSummary& entry) {
    std::printf("%-8" PRIu64 " %-9s %-18s %-6u %-8u %-20s %-32s %s\n", entry.id,
                std::string(protocol::dead_letter_state_name(entry.state)).c_str(),
                std::string(protocol::dead_letter_reason_name(entry.reason)).c_str(), entry.code,
                entry.attempts, format_time(entry.time).c_str(), entry.message_id.to_hex().c_str(),
                entry.message_type.c_str());
}

void print_letter(const protocol::DeadLetter& letter) {
    const auto& summary = letter.summary;
    const auto& message = letter.message;
    std::printf("id:            %" PRIu64 "\n", summary.id);
    std::printf("state:         %s\n",
                std::string(protocol::dead_letter_state_name(summary.state)).c_str());
    std::printf("reason:        %s (code %u)\n",
                std::string(protocol::dead_letter_reason_name(summary.reason)).c_str(),
                summary.code);
    std::printf("attempts:      %u\n", summary.attempts);
    std::printf("time:          %s (%" PRId64 " ns)\n", format_time(summary.time).c_str(),
                summary.time);
    std::printf("note:          %s\n", letter.note.c_str());
    std::printf("message id:    %s\n", message.id.to_hex().c_str());
    std::printf("kind/type:     %s %s\n", std::string(protocol::kind_name(message.kind)).c_str(),
                message.type.c_str());
    std::printf("timestamp:     %" PRId64 " ns, logical %u, node %u\n", message.timestamp.wall_ns,
                message.timestamp.logical, message.timestamp.node);
    std::printf("priority:      %s\n",
                std::string(protocol::priority_name(message.priority)).c_str());
    std::printf("tenant:        %s\n", message.tenant.c_str());
    std::printf("sender:        badge %" PRIu64 ", %s\n", message.sender.badge,
                message.sender.principal.c_str());
    if (message.idempotency_key)
        std::printf("idempotency:   %s\n", message.idempotency_key->c_str());
    for (const auto& header : message.headers) {
        std::printf("header:        %s: %s\n", header.key.c_str(), header.value.c_str());
    }
    const auto& bytes = message.payload.bytes;
    std::printf("payload:       %zu bytes", bytes.size());
    // Show text payloads (JSON) directly; binary ones as the first bytes in hex.
    if (message.payload.format == protocol::PayloadFormat::Json) {
        std::printf(": %.*s\n", static_cast<int>(std::min<std::size_t>(bytes.size(), 512)),
                    reinterpret_cast<const char*>(bytes.data()));
    } else {
        std::printf(":");
        for (std::size_t i = 0; i < bytes.size() && i < 32; ++i)
            std::printf(" %02x", bytes[i]);
        std::printf("%s\n", bytes.size() > 32 ? " ..." : "");
    }
}

int write_file(const std::string& path, const std::vector<u8>& bytes) {
    std::FILE* file = path == "-" ? stdout : std::fopen(path.c_str(), "wb");
    if (file == nullptr) {
        std::fprintf(stderr, "estalogic dlq: cannot create %s\n", path.c_str());
        return kExitCantCreate;
    }
    const bool ok = std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size();
    const bool closed = file == stdout ? std::fflush(stdout) == 0 : std::fclose(file) == 0;
    if (!ok || !closed) {
        std::fprintf(stderr, "estalogic dlq: cannot write %s\n", path.c_str());
        return kExitCantCreate;
    }
    return 0;
}

int run_dlq(DlqOperation operation, const DlqOptions& options) {
    // Reading must not create a queue where none exists.
    std::error_code error;
    if (!std::filesystem::is_directory(options.directory, error)) {
        std::fprintf(stderr, "estalogic dlq: no dead-letter queue at %s\n",
                     options.directory.c_str());
        return kExitNoInput;
    }
    protocol::PosixFileSystem fs;
    protocol::SystemClock clock;
    auto queue = protocol::DeadLetterQueue::open(fs, options.directory, clock);
    if (!queue) return report(queue.error());
    switch (operation) {
        case DlqOperation::List: {
            print_summary_header();
            for (const auto& entry : (*queue)->list(options.all))
                print_summary(entry);
            return 0;
        }
        case DlqOperation::Inspect: {
            auto letter = (*queue)->inspect(options.id);
            if (!letter) return report(letter.error());
            print_letter(*letter);
            return 0;
        }
        case DlqOperation::Replay: {
            // Check the output can be created before the entry is marked replayed; append
            // mode, so an existing file is not cut when the replay is then refused.
            if (options.out != "-") {
                std::FILE* probe = std::fopen(options.out.c_str(), "ab");
                if (probe == nullptr) {
                    std::fprintf(stderr, "estalogic dlq: cannot create %s\n", options.out.c_str());
                    return kExitCantCreate;
                }
                std::fclose(probe);
            }
            auto message = (*queue)->replay(options.id);
            if (!message) return report(message.error());
            return write_file(options.out, protocol::encode_envelope(*message));
        }
        case DlqOperation::Drop: {
            if (auto dropped = (*queue)->drop(options.id); !dropped) return report(dropped.error());
            return 0;
        }
    }
    return kExitFailure;
}

}  // namespace

void register_dlq_command(CLI::App& root, CommandContext& context) {
    auto options = std::make_shared<DlqOptions>();
    CLI::App* dlq = root.add_subcommand("dlq", "List, inspect, replay or drop dead letters.");
    dlq->require_subcommand(1);
    dlq->footer(
        "A dead letter is a message that could not be delivered (a trap, retries exhausted,\n"
        "TTL expired, rejected), kept with its reason until an operator replays or drops it.\n"
        "Exit codes: 0 done; 1 failed; 2 usage error; 65 the queue is corrupt or of a newer\n"
        "version; 66 no queue at DIR or no such entry; 73 the replay output cannot be written.");

    auto add_directory = [&](CLI::App* command) {
        command->add_option("dir", options->directory, "The dead-letter queue's directory")
            ->required();
    };
    auto add_id = [&](CLI::App* command) {
        command->add_option("id", options->id, "The entry's id (from `dlq list`)")->required();
    };

    CLI::App* list = dlq->add_subcommand("list", "One line per pending entry, oldest first.");
    add_directory(list);
    list->add_flag("--all", options->all, "Include replayed and dropped entries");
    list->footer("Example:\n  estalogic dlq list /var/lib/estalogic/dlq --all");
    list->callback(
        [options, &context] { context.exit_code = run_dlq(DlqOperation::List, *options); });

    CLI::App* inspect = dlq->add_subcommand("inspect", "Every field of one entry and its message.");
    add_directory(inspect);
    add_id(inspect);
    inspect->footer("Example:\n  estalogic dlq inspect /var/lib/estalogic/dlq 17");
    inspect->callback(
        [options, &context] { context.exit_code = run_dlq(DlqOperation::Inspect, *options); });

    CLI::App* replay = dlq->add_subcommand(
        "replay", "Write the original message frame to a file and mark the entry replayed.");
    add_directory(replay);
    add_id(replay);
    replay->add_option("--out", options->out, "Where to write the frame ('-' for stdout)")
        ->required();
    replay->footer(
        "The entry is marked replayed before the frame is handed out, so it is replayed at\n"
        "most once. Example:\n"
        "  estalogic dlq replay /var/lib/estalogic/dlq 17 --out msg-17.frame");
    replay->callback(
        [options, &context] { context.exit_code = run_dlq(DlqOperation::Replay, *options); });

    CLI::App* drop = dlq->add_subcommand("drop", "Mark an entry dropped; it is never delivered.");
    add_directory(drop);
    add_id(drop);
    drop->footer("Example:\n  estalogic dlq drop /var/lib/estalogic/dlq 17");
    drop->callback(
        [options, &context] { context.exit_code = run_dlq(DlqOperation::Drop, *options); });
}

}  // namespace esta::app
