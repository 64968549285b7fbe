// The application manifest as a typed model (docs/MANIFEST.md): what `manifest check` and
// `manifest show` print and what `estalogic run` starts. Every value here has been checked
// by the parser (parse.h): names are unique, references resolve, numbers are in range, paths
// are absolute, and no secret is held, only where to read it (REQUIREMENTS S-2).
//
// It reuses the kernel's and the drivers' own types (priorities, budgets, mailbox
// configuration, rights and restrictions, scopes, driver configurations), so the runtime
// hands them on without translating.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/types.h"
#include "drivers/kafka/kafka_topics.h"
#include "drivers/postgres/pg_pool.h"
#include "drivers/redis/redis_kv.h"
#include "drivers/scope.h"
#include "drivers/secrets.h"
#include "drivers/sql_driver.h"
#include "kernel/guardrails/limits.h"
#include "kernel/mailbox.h"
#include "kernel/priority.h"
#include "kernel/process.h"
#include "kernel/restrictions.h"
#include "kernel/supervisor.h"
#include "kernel/templates.h"
#include "observe/crypto.h"

namespace esta::app::manifest {

using protocol::kNanosPerMilli;
using protocol::Nanos;

// The manifest format this build reads (REQUIREMENTS V-1); older ones are accepted.
inline constexpr i64 kManifestVersion = 1;

// Where a value came from, so the runtime can point at the manifest too (K-22's "missing
// capability" messages).
struct SourcePosition {
    u32 line = 0;
    u32 column = 0;
};

enum class Mode : u8 {
    Development,  // Hashes and signatures checked when given.
    Production,   // Every module pinned by SHA-256 and signed; HTTP endpoints need TLS.
};

struct ModuleSpec {
    std::string name;
    std::string path;  // Absolute.
    std::optional<observe::Digest> sha256;
    bool sha256_verified = false;  // The file's digest was computed and matched.
    std::string signature_key;     // Absolute path of an Ed25519 public key (PEM), or "".
    std::optional<observe::Digest> actual_sha256;  // What the file hashed to, when read.
    SourcePosition where;
};

// One capability a process starts with, under `name` (what cap_lookup finds it by).
struct KvGrant {
    drivers::KvScope scope;
};
struct SqlGrant {
    drivers::SqlScope scope;
};
struct TopicGrant {
    drivers::TopicScope scope;
};
struct EndpointGrant {
    std::string process;  // Whose mailbox the handle sends to.
};
struct AuditGrant {};
// An endpoint the node itself reads: each message sent to it is one line of the sink
// `name` (`estalogic run` writes it as JSON lines; docs/MANIFEST.md "Sinks").
struct SinkGrant {
    std::string name;
};

using GrantResource =
    std::variant<KvGrant, SqlGrant, TopicGrant, EndpointGrant, AuditGrant, SinkGrant>;
std::string_view grant_kind_name(const GrantResource& resource);  // "kv", "sql", ...

struct GrantSpec {
    std::string name;
    GrantResource resource;
    kernel::RightsTemplate rights;  // Rights and K-13 restrictions.
    SourcePosition where;
};

struct ProcessSpec {
    std::string name;
    std::string module;
    std::string entry = "_start";
    kernel::Priority priority = kernel::Priority::Normal;
    bool critical = false;  // Lockstep dual execution (K-60).
    // Copies of the process run side by side (scale-out over scheduler threads); a message
    // goes to the copy FNV-1a(value of the JSON field `partition_key`) mod instances, so
    // messages of one key stay in order on one copy.
    u32 instances = 1;
    std::string partition_key;
    kernel::MemoryClass memory_class = kernel::MemoryClass::User;
    kernel::ProcessBudgets budgets{};  // memory.max_memory_pages follows memory_class.
    kernel::MailboxConfig mailbox{};
    std::vector<GrantSpec> grants;
    SourcePosition where;
};

struct TopicSpec {
    std::string name;
    u32 partitions = 1;
};

struct SupervisorSpec {
    std::string name;
    kernel::RestartStrategy strategy = kernel::RestartStrategy::OneForOne;
    std::vector<std::string> children;  // Processes or supervisors, in start order.
};

struct Supervision {
    std::string root;  // The supervisor no other names as a child.
    std::vector<SupervisorSpec> supervisors;
};

enum class DriverBackend : u8 { Embedded, External };

struct KvDriverSpec {
    DriverBackend backend = DriverBackend::Embedded;
    drivers::RedisConfig redis{};  // When External.
};
struct SqlDriverSpec {
    DriverBackend backend = DriverBackend::Embedded;
    drivers::PgConfig postgres{};  // When External.
    // Where `estalogic run` writes the decisions of consumed events (idempotency key unique).
    std::string decisions_table = "decisions";
};
struct TopicDriverSpec {
    DriverBackend backend = DriverBackend::Embedded;
    drivers::KafkaConfig kafka{};  // When External.
    // The topic `estalogic run` consumes its events from ("": none), in consumer group
    // `group` ("": the application's name).
    std::string input;
    std::string group;
    // A primary/standby pair produces each decision to this topic ("": none), in one Kafka
    // transaction with the consumed offsets, fenced by the pair's transactional.id.
    std::string decisions;
};

struct Drivers {
    std::string data_dir;  // Absolute: the embedded drivers' files (SQLite, journal).
    KvDriverSpec kv;
    SqlDriverSpec sql;
    TopicDriverSpec topics;
};

enum class RedundancyRole : u8 { Single, Primary, Standby };

struct Redundancy {
    RedundancyRole role = RedundancyRole::Single;
    std::string listen;     // host:port the journal is shipped from (primary) or to (standby).
    std::string peer;       // host:port of the other node.
    std::string lock_file;  // Absolute: the one-host leadership witness (K-61).
    u32 heartbeat_ms = 100;
    u32 timeout_ms = 500;
    bool synchronous = true;
    u64 checkpoint_every = 10'000;  // K-62: journal entries between checkpoints.
    // A synchronous primary whose standby has not acknowledged for this long proceeds
    // alone (audited); 0: it waits for its standby however long.
    u32 standby_timeout_ms = 0;
};

// An HTTP listener (S-3): TLS when both files are given; bearer tokens read from secrets.
struct HttpEndpoint {
    std::string host = "127.0.0.1";
    int port = 0;
    std::string tls_certificate;  // Absolute, or "".
    std::string tls_private_key;  // Absolute, or "".
    bool tls() const { return !tls_certificate.empty(); }

    static HttpEndpoint local(int port) {
        HttpEndpoint endpoint;
        endpoint.port = port;
        return endpoint;
    }
};

struct IngressRoute {
    std::string name;     // POST /v1/invoke/{name}
    std::string process;  // Receives the body as a message.
    u32 message_type = 0x0010;
    drivers::SecretRef token{};  // Source::None: no token for this route.
    SourcePosition where;
};

struct Ingress {
    bool enabled = false;
    HttpEndpoint http = HttpEndpoint::local(8080);
    std::vector<IngressRoute> routes;
};

enum class CheckpointExport : u8 { None, File, Postgres };

struct Observability {
    bool http_enabled = true;
    HttpEndpoint http = HttpEndpoint::local(9464);
    drivers::SecretRef metrics_token{};
    bool public_metrics = false;
    std::string log_level = "info";
    std::string audit_dir;                   // Absolute.
    drivers::SecretRef audit_signing_key{};  // Source::File only (a PEM private key).
    u32 checkpoint_every = 10'000;
    // Where each signed checkpoint is copied off the node (O-2): PostgreSQL by default when
    // [drivers.sql] is, otherwise nowhere unless chosen.
    CheckpointExport checkpoint_export = CheckpointExport::None;
    std::string checkpoint_file;  // Absolute; "": DATA_DIR/audit-checkpoints.exp.
    std::string checkpoint_table = "audit_checkpoints";
    std::string trace_sampler = "parent-based";
    double trace_ratio = 1.0;
    std::string otlp_endpoint;
    // Headers each export carries (name, value); the values are secrets (S-2).
    std::vector<std::pair<std::string, drivers::SecretRef>> otlp_headers;
};

// [journal]: the node journal's segments and their retention (P-8).
struct JournalSpec {
    u64 segment_bytes = 64ull << 20;  // A segment is sealed and a new one started beyond this.
    u64 retain_bytes = 0;             // 0: keep every segment; else the newest ones within this.
};

struct AppManifest {
    std::string path;      // Absolute path of the manifest file.
    std::string base_dir;  // Its directory: relative paths were resolved against it.
    i64 version = kManifestVersion;
    std::string name;
    Mode mode = Mode::Development;
    kernel::TimeZone time_zone = kernel::TimeZone::utc();
    std::vector<ModuleSpec> modules;
    std::vector<ProcessSpec> processes;
    std::vector<TopicSpec> topics;
    std::vector<drivers::SqlStatement> statements;
    std::vector<drivers::KvScript> scripts;  // [scripts]: registered by SHA-1 (D-5).
    Drivers drivers;
    Supervision supervision;
    Redundancy redundancy;
    Observability observability;
    Ingress ingress;
    JournalSpec journal;

    const ModuleSpec* find_module(std::string_view name) const;
    const ProcessSpec* find_process(std::string_view name) const;
};

}  // namespace esta::app::manifest
