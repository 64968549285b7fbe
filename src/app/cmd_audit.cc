// `estalogic audit show|proof DIR ...`: reads audit records and proves them against signed
// checkpoints. The audit log holds employee data, so reading needs its own token
// (REQUIREMENTS S-3), and every read — allowed or denied — is appended to the log itself.
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "app/commands.h"
#include "observe/audit_log.h"
#include "observe/audit_query.h"
#include "observe/json.h"

namespace esta::app {
namespace {

constexpr int kExitFailure = 1;
constexpr int kExitDataError = 65;   // EX_DATAERR
constexpr int kExitNoInput = 66;     // EX_NOINPUT
constexpr int kExitTempFail = 75;    // EX_TEMPFAIL: the log is in use.
constexpr int kExitPermission = 77;  // EX_NOPERM
constexpr u64 kDefaultLimit = 1000;

// The CLI runs outside the kernel, so the host's clock stamps its audit records.
class SystemClock final : public observe::Clock {
  public:
    i64 now_ns() const override {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
            .count();
    }
};

struct AuditOptions {
    std::string directory;
    std::string token_file;
    std::string auth_file;
    std::string key;
    u64 from = 0;
    u64 to = ~u64{0};
    u64 limit = kDefaultLimit;
    u64 seq = 0;
};

enum class AuditOperation { Show, Proof };

std::optional<std::string> read_text_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) return std::nullopt;
    std::stringstream buffer;
    buffer << in.rdbuf();
    return buffer.str();
}

std::string trim(std::string text) {
    const auto begin = text.find_first_not_of(" \t\r\n");
    if (begin == std::string::npos) return {};
    const auto end = text.find_last_not_of(" \t\r\n");
    return text.substr(begin, end - begin + 1);
}

ByteSpan bytes_of(const std::string& text) {
    return ByteSpan(reinterpret_cast<const u8*>(text.data()), text.size());
}

// True when `token` is one of the lines of the configured token file. Compares digests in
// constant time, so timing says nothing about how much of a token matched.
bool token_allowed(const std::string& token, const std::string& allowed_lines) {
    const observe::Digest wanted = observe::sha256(bytes_of(token));
    std::istringstream lines(allowed_lines);
    bool allowed = false;
    for (std::string line; std::getline(lines, line);) {
        line = trim(line);
        if (line.empty() || line[0] == '#') continue;
        allowed |= observe::equal_constant_time(observe::sha256(bytes_of(line)), wanted);
    }
    return allowed;
}

// Who read: a short digest of the token, never the token itself.
std::string reader_id(const std::string& token) {
    return observe::to_hex(ByteSpan(observe::sha256(bytes_of(token))).first(8));
}

int fail(int code, const char* format, const std::string& a, const std::string& b = {}) {
    std::fprintf(stderr, format, a.c_str(), b.c_str());
    return code;
}

int print_records(const AuditOptions& options) {
    auto records =
        observe::read_audit_records(options.directory, options.from, options.to, options.limit);
    if (!records) {
        return fail(kExitFailure, "error: cannot read records: %s\n", records.error().to_string());
    }
    for (const auto& record : *records)
        std::printf("%s\n", observe::record_to_json(record).c_str());
    return 0;
}

int print_proof(const AuditOptions& options, const observe::Ed25519PublicKey& key) {
    auto proof = observe::prove_audit_record(options.directory, options.seq);
    if (!proof) {
        return fail(kExitFailure, "error: no proof for record %s: %s\n",
                    std::to_string(options.seq),
                    std::string(proof.error().context) == "audit.proof_not_checkpointed"
                        ? "no checkpoint covers it yet (try again after the next checkpoint)"
                        : "the log has no such record");
    }
    const bool path_ok = proof->verify();
    const bool signature_ok = proof->checkpoint.verify(key);
    std::printf("%s\n", proof->to_json().c_str());
    std::fprintf(stderr, "inclusion path: %s; checkpoint signature: %s\n",
                 path_ok ? "verified" : "FAILED", signature_ok ? "verified" : "FAILED");
    return path_ok && signature_ok ? 0 : kExitFailure;
}

int run_audit(AuditOperation operation, const AuditOptions& options) {
    // (1) Who asks, and what is allowed: both files must exist before anything is opened.
    auto token_text = read_text_file(options.token_file);
    if (!token_text || trim(*token_text).empty()) {
        return fail(kExitNoInput, "error: cannot read a token from %s.\n%s", options.token_file,
                    "Pass --token-file with the audit-reader token you were given.\n");
    }
    const std::string token = trim(*token_text);
    struct stat info {};
    if (::stat(options.auth_file.c_str(), &info) != 0) {
        return fail(kExitNoInput, "error: cannot read the configured token file %s.\n%s",
                    options.auth_file, "Pass --auth-file with the node's audit-reader tokens.\n");
    }
    if ((info.st_mode & 077) != 0) {
        return fail(kExitPermission,
                    "error: %s is readable by other users; tokens must stay secret.\n"
                    "Run `chmod 600 %s` and try again.\n",
                    options.auth_file, options.auth_file);
    }
    const auto allowed_lines = read_text_file(options.auth_file).value_or("");

    // (2) Open the log for appending: this verifies it, and every read is recorded in it.
    // An empty directory would get a fresh genesis record: refuse instead.
    auto segments = observe::list_segments(options.directory);
    if (!segments || segments->empty()) {
        return fail(kExitNoInput, "error: no audit log in %s.\n%s", options.directory,
                    "Pass the log directory that holds the audit-*.seg files.\n");
    }
    auto key = observe::Ed25519PrivateKey::load_pem(options.key);
    if (!key) {
        return fail(key.error().code == Status::NotFound ? kExitNoInput : kExitDataError,
                    "error: cannot use %s as the node's signing key (%s).\n", options.key,
                    key.error().code == Status::AccessDenied
                        ? "it is readable by other users; run chmod 600 on it"
                        : "not an Ed25519 private key file from `estalogic keygen`");
    }
    const observe::Ed25519PublicKey public_key = key->public_key();
    SystemClock clock;
    observe::AuditLogOptions log_options;
    log_options.directory = options.directory;
    auto log = observe::AuditLog::open(log_options, std::move(*key), clock, nullptr);
    if (!log && log.error().code == Status::Unavailable) {
        return fail(kExitTempFail,
                    "error: the audit log %s is open by a running node (%s holds its lock).\n"
                    "A read is itself recorded in the log, and only the node may append while "
                    "it runs: stop the node and try again.\n",
                    options.directory, observe::kAuditLockFile);
    }
    if (!log) {
        return fail(kExitDataError, "error: cannot open the audit log %s (%s).\n%s",
                    options.directory,
                    log.error().code == Status::Corrupt
                        ? "it fails verification; run `estalogic verify-log " + options.directory +
                              " --allow-open-tail` to see why"
                        : log.error().to_string());
    }

    // (3) Record the attempt before answering it.
    const bool allowed = token_allowed(token, allowed_lines);
    observe::Value::Map data;
    data["operation"] = observe::Value::text(operation == AuditOperation::Show ? "show" : "proof");
    data["reader"] = observe::Value::text(reader_id(token));
    if (operation == AuditOperation::Show) {
        data["from"] = observe::Value::integer(static_cast<i64>(options.from));
        data["to"] =
            observe::Value::integer(static_cast<i64>(std::min<u64>(options.to, INT64_MAX)));
    } else {
        data["seq"] = observe::Value::integer(static_cast<i64>(options.seq));
    }
    auto recorded = (*log)->append(allowed ? "audit.read" : "audit.read_denied", data);
    if (!recorded) {
        return fail(kExitFailure, "error: cannot record this read in the audit log (%s); %s",
                    recorded.error().to_string(), "nothing was read.\n");
    }
    if (!allowed) {
        (void)(*log)->close();
        return fail(kExitPermission, "error: the token in %s may not read the audit log.%s\n",
                    options.token_file, " The attempt was recorded.");
    }
    // (4) Answer.
    const int result = operation == AuditOperation::Show ? print_records(options)
                                                         : print_proof(options, public_key);
    if (auto closed = (*log)->close(); !closed) {
        return fail(kExitFailure, "error: cannot close the audit log: %s\n",
                    closed.error().to_string());
    }
    return result;
}

void add_access_options(CLI::App* command, AuditOptions& options) {
    command->add_option("directory", options.directory, "The audit log directory")->required();
    command->add_option("--token-file", options.token_file, "File holding your audit-reader token")
        ->required();
    command
        ->add_option("--auth-file", options.auth_file,
                     "The node's configured audit-reader tokens, one per line (mode 0600)")
        ->required();
    command
        ->add_option("--key", options.key,
                     "The node's private signing key: the read is appended to the log")
        ->required();
}

}  // namespace

void register_audit_command(CLI::App& root, CommandContext& context) {
    auto options = std::make_shared<AuditOptions>();
    CLI::App* audit =
        root.add_subcommand("audit", "Read audit records and prove them (needs an audit token).");
    audit->require_subcommand(1);
    audit->footer(
        "Every read, allowed or denied, is appended to the log as an audit.read or\n"
        "audit.read_denied record naming a digest of the token.\n"
        "Exit codes: 0 done; 1 failed; 2 usage error; 65 key or log unusable; 66 a file cannot\n"
        "be read; 75 a running node holds the log; 77 the token is not allowed (or a secret\n"
        "file is readable by others).\n");

    CLI::App* show = audit->add_subcommand("show", "Print records as JSON lines.");
    add_access_options(show, *options);
    show->add_option("--from", options->from, "First sequence number (default 0)");
    show->add_option("--to", options->to, "Last sequence number (default: the end)");
    show->add_option("--limit", options->limit, "At most this many records (default 1000)");
    show->footer(
        "Example:\n"
        "  estalogic audit show /var/lib/estalogic/audit --from 100 --to 120 \\\n"
        "      --token-file ~/.estalogic/audit.token --auth-file /etc/estalogic/audit.tokens \\\n"
        "      --key /etc/estalogic/audit.key\n");
    show->callback(
        [options, &context] { context.exit_code = run_audit(AuditOperation::Show, *options); });

    CLI::App* proof =
        audit->add_subcommand("proof", "Print a Merkle inclusion proof for one record as JSON.");
    add_access_options(proof, *options);
    proof->add_option("--seq", options->seq, "The record's sequence number")->required();
    proof->footer(
        "The proof ties the record to a signed checkpoint (RFC 6962 audit path); both the path\n"
        "and the checkpoint signature are checked before printing.\n"
        "Example:\n"
        "  estalogic audit proof /var/lib/estalogic/audit --seq 4711 \\\n"
        "      --token-file ~/.estalogic/audit.token --auth-file /etc/estalogic/audit.tokens \\\n"
        "      --key /etc/estalogic/audit.key\n");
    proof->callback(
        [options, &context] { context.exit_code = run_audit(AuditOperation::Proof, *options); });
}

}  // namespace esta::app
