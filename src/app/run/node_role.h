// `estalogic run --role primary|standby` (REQUIREMENTS K-61; docs/OPERATIONS.md, "Run
// primary/standby"): the node as one of a pair. It plays the role the witness allows (a
// lock file on one host: src/replication/witness.h). As primary it admits each event of
// its source into the replicated journal (executing it on its kernel), ships the journal to
// the standby, and writes an event's decision to the sinks only once the standby
// acknowledged the event (synchronous, the default) — the sink write is the event's
// acknowledgement. As standby it re-executes every shipped event on its own kernel and
// compares the decisions' digests (a difference is counted and audited as a divergence).
// When the primary dies, the standby takes the lease (a higher epoch), writes what its old
// primary had not, and continues the source from where the journal ends; the old primary,
// restarted, finds the lease taken and rejoins as a standby.
//
// The sinks are fenced where they land (replication/fenced_file.h): each line carries the
// epoch and the event's sequence, a new primary announces its epoch first, a write from an
// older epoch is refused, and a sequence already written is not written again.
// With a Kafka input (role_kafka.h) the source is not a numbered stream: the leader admits
// each consumed record (try_admit()) with its position, and the decisions of consumed
// records land in PostgreSQL under the epoch (RoleEffects) before the sinks are written.
//
// Single-threaded: feed() and idle() run on the thread that feeds the node; the status
// fields are published for other threads (RoleBoard).
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "app/manifest/model.h"
#include "app/run/node.h"
#include "app/run/role_machine.h"
#include "replication/replica_log.h"

namespace esta::app::run {

struct RoleOptions {
    manifest::RedundancyRole role = manifest::RedundancyRole::Primary;
    std::string listen;      // "HOST:PORT" (or "unix:PATH") the standby connects to.
    std::string peer;        // Where the other node listens.
    std::string lock_file;   // The witness on one host ...
    std::string witness_pg;  // ... or a PostgreSQL advisory lock (libpq conninfo).
    std::string pair_name;   // Names the pair's lock in PostgreSQL (the app's name).
    replication::ReplicationConfig config;
    std::string process;  // The events' process and message type.
    u32 message_type = 0x0010;
    u32 window = 1024;  // Events admitted and not yet acknowledged, at most.
    // Synchronous: how long the primary waits for an acknowledgement before it writes
    // decisions alone (0: it waits however long; docs/OPERATIONS.md).
    u64 standby_timeout_ms = 0;
    u64 decide_timeout_ms = 60'000;
};

// What `estalogic run` was told on its command line (each beats the manifest's
// [redundancy] table).
struct RoleFlags {
    std::string role;  // "primary", "standby", "single", or "" (the manifest's).
    std::string peer;
    std::string listen;
    std::string lock_file;
    std::string witness_pg;
    std::optional<u64> checkpoint_every;    // --checkpoint-every
    std::optional<u32> standby_timeout_ms;  // --standby-timeout-ms
};

// The role this run plays: nullopt for a single node. Errors (Invalid, with what to fix):
// an unknown role, a role without peer, listen or lock file.
Result<std::optional<RoleOptions>> role_options(const manifest::AppManifest& manifest,
                                                const RoleFlags& flags, const NodeOptions& node);

// The role's fields of the status document, readable from any thread.
class RoleBoard {
  public:
    void publish(std::string fields) {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_fields = std::move(fields);
    }
    std::string fields() const {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_fields;
    }

  private:
    mutable std::mutex m_mutex;
    std::string m_fields;
};

// Where the decisions of consumed records land besides the sinks (role_kafka.h: the
// decisions table under the epoch, then the consumer's offsets).
class RoleEffects {
  public:
    virtual ~RoleEffects() = default;
    // Lands `decided` (kept decisions of consumed records, in journal order; a failed
    // event's has no sink) under `epoch`, before the sinks are written. Errors: Revoked (a
    // newer epoch holds the lease: nothing landed, this node is fenced); any other (nothing
    // landed: the same decisions come again at the next round).
    virtual Result<void> land(u64 epoch, const std::vector<const KeptDecision*>& decided) = 0;
    // The effects' counters for the role's status fields, by name.
    virtual std::vector<std::pair<const char*, u64>> fields() const = 0;
};

class NodeRole {
  public:
    // `node` (started with hold_sinks) and `board` outlive the role. Errors: the listener's
    // (an address in use), the sinks' files.
    static Result<std::unique_ptr<NodeRole>> start(Node& node, RoleOptions options,
                                                   RoleBoard& board);
    ~NodeRole();
    NodeRole(const NodeRole&) = delete;
    NodeRole& operator=(const NodeRole&) = delete;

    // The source's next event (the n-th call is event n). Plays the role until this node
    // leads with room in the window; an event the journal holds already is skipped.
    // Errors: Revoked (a newer primary fenced this one: restart it, it rejoins as a
    // standby), ShuttingDown (`stop` became true), the kernel's.
    Result<void> feed(std::string_view line, const std::function<bool()>& stop);
    // Plays the role without a new event until `stop` (after the source ended). Errors as
    // feed().
    Result<void> idle(const std::function<bool()>& stop);

    // An ingress request, from any thread: admitted as an event while this node leads and
    // answered with its decision once the standby acknowledged it (and it was written).
    // Errors: Unavailable (this node does not lead: ask the primary), Timeout, Invalid (the
    // handler failed the event, or it could not be admitted), ShuttingDown.
    Result<std::string> request(const std::string& process, u32 type, std::string_view body,
                                u64 timeout_ms);

    // For a source that is not a line-numbered stream (role_kafka.h): `effects` (borrowed,
    // or null) lands consumed records' decisions; step() plays one round of the role;
    // try_admit() appends `event` to the journal when this node leads with room in the
    // window (false: not now); unlanded_keys() are the idempotency keys of consumed records
    // in the journal whose decisions have not landed. Errors as feed().
    void set_effects(RoleEffects* effects);
    Result<void> step();
    Result<bool> try_admit(const RoleEvent& event);
    std::set<std::string> unlanded_keys() const;
    // The PostgreSQL witness's lock key (0 with a lock file), for epoch-conditional writes.
    i64 lease_key() const;

    bool leading() const;
    u64 epoch() const;

  private:
    struct Parts;
    explicit NodeRole(std::unique_ptr<Parts> parts);
    std::unique_ptr<Parts> m_parts;
};

}  // namespace esta::app::run
