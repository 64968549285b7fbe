// The replicated state machine of `estalogic run --role` (REQUIREMENTS K-61): a journal
// record is one admitted event (the process it goes to, its message type and its line);
// applying it sends the event to the node's kernel and waits for its decision. The output
// digest is the SHA-256 of the sink's name and the decision line, so a standby that
// re-executes compares what its kernel decided with what the primary's did. Decisions are
// kept by sequence until the owner writes them where they land (node_role.h), so a promoted
// standby can write those its old primary had not. The primary stamps each record with a
// fingerprint of the modules it runs, so a standby running others (a pair upgraded one
// node at a time) tells that from a divergence (made_by_other_modules).
//
// A checkpoint (K-62) is what a decision depends on besides the event: the key-value store
// the kv grants share (the ESTA module keeps its per-employee state there and nothing in
// its own memory between messages), plus the decisions kept and not yet written, so a
// standby that caught up from a checkpoint can still write them once promoted. The chain
// hash and the sequence travel beside it (replication::Checkpoint); sinks are positioned by
// sequence (fenced_file.h), so they need nothing. A module that kept state in its own
// memory between messages would not be covered: the standby's digest comparison would
// report the divergence.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>

#include "app/run/node.h"
#include "replication/replica_log.h"

namespace esta::app::run {

// Where an event was consumed (a Kafka record), carried in its journal record so whichever
// node lands its decision knows the record (role_kafka.h).
struct RecordPosition {
    std::string topic;
    i32 partition = 0;
    i64 offset = 0;
};

struct RoleEvent {
    std::string process;
    u32 type = 0;
    std::string line;
    std::optional<RecordPosition> from;
};

// SHA-256 (hex) of "name=sha256\n" for each running module, in name order.
std::string modules_fingerprint(const std::map<std::string, std::string>& hashes);

// `modules`: the admitting node's modules_fingerprint(), or "" for none. A standby running
// other modules (a pair upgraded one node at a time) flags the entry rather than counting
// its digest's difference as a divergence.
protocol::JournalRecord encode_event(const RoleEvent& event, std::string_view modules = {});
// Malformed when the record is not one encode_event() made. `modules`, when given, gets the
// stamp ("" in an entry written before it was carried).
Result<RoleEvent> decode_event(const protocol::JournalRecord& record,
                               std::string* modules = nullptr);

struct KeptDecision {
    std::string sink;  // Empty for a consumed event the handler failed (kept for its position).
    std::string line;
    std::optional<RecordPosition> from;
    std::string key;  // A consumed event's idempotency key (pg_decisions.h).
};

class RoleMachine final : public replication::StateMachine {
  public:
    RoleMachine(Node& node, u64 timeout_ms, std::size_t keep)
        : m_node(node), m_timeout_ms(timeout_ms), m_keep(keep) {}

    // The event's journal record, stamped with the modules this node runs now.
    protocol::JournalRecord encode(const RoleEvent& event);
    // The entry `sequence` was admitted by a node running other modules than this one ran
    // when it re-executed it: its digest differs for that reason (the line names the
    // module), which is no divergence. Audited once per pair of module sets as
    // replication.module_mismatch (docs/OPERATIONS.md "Upgrade a primary/standby pair").
    bool made_by_other_modules(u64 sequence) const {
        return m_other_modules_at == sequence && sequence != 0;
    }

    // Errors: a malformed record, or the node's (Timeout, ShuttingDown): the event was not
    // decided. A handler that fails the event is an output too (no line).
    Result<std::optional<replication::Digest>> apply(
        const protocol::JournalRecord& record) override;
    // Empty when the store takes no snapshot (Redis: checkpoints_supported() says so).
    std::vector<u8> snapshot() const override;
    // Errors: Malformed (not a snapshot() of this machine), NotSupported (the store keeps
    // its state elsewhere); nothing changes then.
    Result<void> restore(ByteSpan state) override;
    // Whether the node's key-value store can be snapshot (the embedded one: yes).
    bool checkpoints_supported() const;

    // Decisions not yet written, by sequence (at most `keep`: the oldest are forgotten).
    std::map<u64, KeptDecision>& kept() { return m_kept; }
    const std::map<u64, KeptDecision>& kept() const { return m_kept; }
    u64 forgotten_through() const { return m_forgotten_through; }

  private:
    void keep(u64 sequence, KeptDecision decision);
    // Notes (and audits, once per pair) an entry stamped with modules this node does not run.
    void check_modules(u64 sequence, const std::string& stamped);

    Node& m_node;
    u64 m_timeout_ms;
    std::size_t m_keep;
    std::map<u64, KeptDecision> m_kept;
    u64 m_forgotten_through = 0;
    std::set<std::string> m_stamped;  // Fingerprints this node stamped (as primary).
    std::set<std::pair<std::string, std::string>> m_mismatches_audited;  // (theirs, ours)
    u64 m_other_modules_at = 0;  // The last entry made by other modules, if any.
};

}  // namespace esta::app::run
