// The manifest parser's sections, one function per top-level table, sharing a context that
// collects diagnostics and the references to resolve once every section is read.
// Internal to src/app/manifest.
#pragma once

#include <string>
#include <vector>

#include "app/manifest/manifest.h"
#include "app/manifest/table_reader.h"

namespace esta::app::manifest {

enum class ReferenceKind : u8 { Module, Process, Topic, Statement, Script };

// A name used before we know whether it exists ("processes.accrual.module = \"acrual\"").
struct Reference {
    ReferenceKind kind;
    std::string name;
    std::string key_path;
    SourcePosition at;
};

struct ParseContext {
    Reporter& reporter;
    const ParseOptions& options;
    AppManifest& manifest;
    std::vector<Reference> references;
    // Supervisor children are checked in supervision.cc, with their positions.
    std::vector<std::pair<std::string, SourcePosition>> supervisor_positions;

    void refer(ReferenceKind kind, std::string name, std::string key_path, SourcePosition at) {
        references.push_back(Reference{kind, std::move(name), std::move(key_path), at});
    }
};

// A name of a module, process, grant, topic, statement or route: 1..64 of [A-Za-z0-9_.-].
// Reports and returns false otherwise.
bool check_name(ParseContext& context, std::string_view name, std::string_view key_path,
                SourcePosition at);

// Absolute path: `path` itself when absolute, else joined to `base` and normalized.
std::string resolve_path(const std::string& base, const std::string& path);

// The sections, in the order the parser runs them.
void parse_app_section(ParseContext& context, TableReader& root);
void parse_modules(ParseContext& context, TableReader& root);
void parse_processes(ParseContext& context, TableReader& root);
void parse_topics_and_statements(ParseContext& context, TableReader& root);
// [scripts.NAME]: Redis Lua scripts a kv grant may run (parse_scripts.cc).
void parse_scripts(ParseContext& context, TableReader& root);
void parse_drivers(ParseContext& context, TableReader& root);
void parse_supervision(ParseContext& context, TableReader& root);
void parse_redundancy(ParseContext& context, TableReader& root);
void parse_observability(ParseContext& context, TableReader& root);
void parse_ingress(ParseContext& context, TableReader& root);
// [journal]: segment size and retention (parse_journal.cc).
void parse_journal(ParseContext& context, TableReader& root);
// [observability.tracing.otlp_headers] (parse_tracing.cc).
void parse_otlp_headers(ParseContext& context, TableReader& tracing, Observability& observability);

// [observability] checkpoint_export, checkpoint_file, checkpoint_table (parse_checkpoints.cc);
// after [drivers], whose sql backend sets the default.
void parse_checkpoint_export(ParseContext& context, TableReader& observability);

// A topic, group or table name (a key ending in "_table": no '-'): 1 to 63 of a-z, 0-9, '_',
// '-', not starting with a digit, so it needs no quoting in SQL or in a Kafka request.
std::optional<std::string> read_identifier(TableReader& table, std::string_view key);

// A grant table under processes.NAME.grants.
void parse_grant(ParseContext& context, TableReader& grant, ProcessSpec& process,
                 GrantSpec& result);

// A secret reference: { env = "VAR" } or { file = "path" }. A plain string is refused as
// an inline secret (S-2). Checks the file's permissions when options.check_files.
std::optional<drivers::SecretRef> parse_secret(ParseContext& context, TableReader& table,
                                               std::string_view key);

// A file only its owner may read (a secret or a private key): reports a missing file, or a
// mode granting group or other access with the fix (chmod 600). True when usable or when
// files are not checked.
bool check_protected_file(ParseContext& context, TableReader& table, std::string_view key,
                          const std::string& path);

// host:port (port 0..65535); reports otherwise.
bool parse_listen(ParseContext& context, TableReader& table, std::string_view key,
                  std::string& host, int& port);

// After every section: references resolve, the supervision tree is a tree, production
// mode's demands hold, module files exist and match their SHA-256.
void cross_check(ParseContext& context);
void check_module_files(ParseContext& context);

}  // namespace esta::app::manifest
