// `estalogic verify-log PATH [--key PUB] [--checkpoints FILE | --checkpoints-postgres DB]`: checks
// an audit log's hash chain, signed checkpoints and Merkle roots (REQUIREMENTS O-2) and prints OK
// with counts, or the first bad record and why.
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "app/commands.h"
#include "app/run/pg_checkpoints.h"
#include "observe/audit_verify.h"
#include "protocol/clock.h"

namespace esta::app {
namespace {

constexpr int kExitBad = 1;
constexpr int kExitDataError = 65;  // EX_DATAERR: a key or export file is not usable.
constexpr int kExitNoInput = 66;    // EX_NOINPUT

struct VerifyLogOptions {
    std::string path;
    std::string key;
    std::string checkpoints;
    std::string postgres;  // libpq conninfo of the checkpoint export table's database.
    std::string checkpoints_table = "audit_checkpoints";
    bool allow_open_tail = false;
};

// What to do next, per finding: the summary says what is wrong, this says what to check.
const char* advice(observe::AuditFinding finding) {
    using observe::AuditFinding;
    switch (finding) {
        case AuditFinding::Truncated:
            return "If the node is still running or crashed, records after the last checkpoint "
                   "are expected: rerun with --allow-open-tail. Otherwise restore the log from "
                   "a backup and compare with the exported checkpoints.";
        case AuditFinding::UnsupportedVersion:
            return "Verify it with the estalogic version that wrote it, or a newer one.";
        case AuditFinding::WrongKey:
        case AuditFinding::BadSignature:
            return "Check that --key is the node's public key (keygen wrote it as KEY.pub). If "
                   "it is, the log was signed by someone else: treat it as tampered.";
        case AuditFinding::Rewritten:
            return "The node's copy was rewritten by someone holding its key; trust the "
                   "exported checkpoints and investigate the node.";
        default:
            return "Treat the log as tampered from this record on; restore it from a backup or "
                   "the replica and compare.";
    }
}

// The checkpoints the log's key signed, from the node's PostgreSQL export table: the key is
// --key's, or the log's own (a first pass over the log finds it).
Result<std::vector<observe::SignedCheckpoint>> checkpoints_in_postgres(
    const VerifyLogOptions& options, const observe::AuditVerifyOptions& verify_options) {
    const std::string& table = options.checkpoints_table;
    bool named = !table.empty() && table.size() <= 63 && !(table[0] >= '0' && table[0] <= '9');
    for (char c : table)
        named = named && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_');
    if (!named) return Err(Status::Invalid, "verify.checkpoints_table_not_a_name");
    observe::PublicKeyBytes key{};
    if (verify_options.trusted_key) {
        key = verify_options.trusted_key->bytes();
    } else {
        observe::AuditVerifyOptions first = verify_options;
        first.allow_open_tail = true;
        auto report = ESTA_TRY(observe::verify_audit_log(options.path, first));
        if (!report.state.key) return Err(Status::NotFound, "verify.log_names_no_key");
        key = *report.state.key;
    }
    drivers::PgConfig config;
    config.conninfo = options.postgres;
    config.pool_max = 1;
    protocol::SystemClock clock;
    return run::read_pg_checkpoints(config, table, key, clock);
}

int run_verify_log(const VerifyLogOptions& options) {
    observe::AuditVerifyOptions verify_options;
    verify_options.allow_open_tail = options.allow_open_tail;
    if (!options.key.empty()) {
        auto key = observe::Ed25519PublicKey::load_pem(options.key);
        if (!key) {
            std::fprintf(stderr,
                         "error: cannot use %s as the trusted key (%s).\nPass the public key "
                         "file `estalogic keygen` wrote (KEY.pub, PEM).\n",
                         options.key.c_str(),
                         key.error().code == Status::NotFound ? "cannot open it"
                                                              : "not an Ed25519 public key");
            return key.error().code == Status::NotFound ? kExitNoInput : kExitDataError;
        }
        verify_options.trusted_key = std::move(*key);
    }
    if (!options.checkpoints.empty() || !options.postgres.empty()) {
        auto exported = options.postgres.empty()
                            ? observe::read_exported_checkpoints(options.checkpoints)
                            : checkpoints_in_postgres(options, verify_options);
        if (!exported) {
            std::fprintf(
                stderr,
                "error: cannot read exported checkpoints from %s (%s).\nPass the file "
                "the node's checkpoint exporter writes, or the PostgreSQL database "
                "it exports to (--checkpoints-postgres CONNINFO).\n",
                options.postgres.empty() ? options.checkpoints.c_str() : options.postgres.c_str(),
                exported.error().to_string().c_str());
            return exported.error().code == Status::NotFound ? kExitNoInput : kExitDataError;
        }
        verify_options.exported = std::move(*exported);
    }
    auto report = observe::verify_audit_log(options.path, verify_options);
    if (!report) {
        std::fprintf(stderr,
                     "error: no audit log at %s.\nPass the log directory (with audit-*.seg "
                     "files) or one segment file.\n",
                     options.path.c_str());
        return kExitNoInput;
    }
    if (report->ok()) {
        std::printf("%s\n", report->summary().c_str());
        return 0;
    }
    std::printf("%s\n", report->summary().c_str());
    std::fprintf(stderr, "%s\n", advice(report->finding));
    return kExitBad;
}

}  // namespace

void register_verify_log_command(CLI::App& root, CommandContext& context) {
    auto options = std::make_shared<VerifyLogOptions>();
    CLI::App* command = root.add_subcommand(
        "verify-log", "Verify an audit log: hash chain, signed checkpoints, Merkle roots.");
    command->footer(
        "Prints `OK: N records ...` or `BAD (kind): record N, file offset: why` for the first\n"
        "problem: edited, deleted, inserted, reordered, truncated, timestamp regression, bad\n"
        "signature, wrong key, rewritten (differs from the exported checkpoints).\n"
        "Examples:\n"
        "  estalogic verify-log /var/lib/estalogic/audit --key audit.key.pub\n"
        "  estalogic verify-log /var/lib/estalogic/audit --key audit.key.pub \\\n"
        "      --checkpoints /mnt/offsite/checkpoints.exp\n"
        "  estalogic verify-log var/audit --checkpoints-postgres \"host=db.internal dbname=esta\"\n"
        "  estalogic verify-log audit/audit-00000000000000010000.seg --allow-open-tail\n"
        "Exit codes: 0 OK; 1 the log is bad; 2 usage error; 65 a key or export file is not\n"
        "usable; 66 a file cannot be read.\n");
    command->add_option("path", options->path, "The audit log directory, or one segment file")
        ->required();
    command->add_option("--key", options->key,
                        "The node's public key (PEM); without it the log's own key is trusted");
    command->add_option("--checkpoints", options->checkpoints,
                        "Checkpoints exported off the node: detects truncation and re-signing");
    auto* postgres = command->add_option(
        "--checkpoints-postgres", options->postgres,
        "Instead, the PostgreSQL database the node exports them to (libpq conninfo)");
    postgres->excludes("--checkpoints");
    command->add_option("--checkpoints-table", options->checkpoints_table,
                        "Its table (default audit_checkpoints)");
    command->add_flag("--allow-open-tail", options->allow_open_tail,
                      "Accept records after the last checkpoint (a running or crashed node)");
    command->callback([options, &context] { context.exit_code = run_verify_log(*options); });
}

}  // namespace esta::app
