// A node's events from Kafka (docs/OPERATIONS.md "Real services"): one consumer in the
// manifest's group reads the input topic; each record's value is one event line, submitted
// to the node like any other event. A batch is finished as a whole: its balances and done
// records go to the key-value store in one transaction (staged_kv.h), its decisions to
// PostgreSQL in one transaction (pg_decisions.h), and only then are its offsets committed,
// so a record is either decided and stored, or consumed again on the balances it started
// from.
//
// Nodes in one group split the topic's partitions. When partitions are taken away (another
// node joins, or this one leaves), the events in flight are finished, stored and committed
// before they go. When a node dies, its partitions move to the others after the group's
// session timeout and its uncommitted records are consumed again: a record whose decision
// is already stored is skipped (found by its idempotency key), one whose done record is in
// the key-value store gets that decision stored, and the key's unique constraint keeps a
// decision stored once whatever happens.
//
// This is a single node's consumer (any number of them in a group). A primary/standby pair
// consumes through role_kafka.h instead: only its leader reads, and the journal, not the
// staged store, carries the balances to the standby.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "app/manifest/model.h"
#include "app/run/node.h"
#include "drivers/resilience.h"
#include "protocol/clock.h"

namespace esta::app::run {

struct ConsumeStats {
    u64 consumed = 0;     // Records read.
    u64 stored = 0;       // Decisions written to PostgreSQL (new rows).
    u64 redelivered = 0;  // Records whose decision was stored already (skipped), or repeated.
    u64 recovered = 0;    // Decided by a node that died: their done records stored instead.
    u64 failed = 0;       // Events the handler failed (dead letters): committed, not stored.
    u64 commits = 0;
    u64 commit_failures = 0;  // Harmless: the records are found stored when consumed again.
    u64 rebalances = 0;
    i64 lag = 0;  // Records not read yet (consumer_lag), as of the last poll.
    drivers::CircuitState store_circuit = drivers::CircuitState::Closed;  // PostgreSQL's.
};

// What the consuming thread publishes after each batch, read by /metrics (O-5): the
// decisions table's circuit (esta_drivers_circuit_state{driver="decisions"}) and the
// consumer's lag (esta_drivers_kafka_consumer_lag_records{topic}).
struct SourceReadings {
    std::atomic<u8> store_circuit{0};  // drivers::CircuitState.
    std::atomic<i64> lag{0};
};

class KafkaSource {
  public:
    // Connects to PostgreSQL (creating the decisions table) and joins the consumer group.
    // `node` and `clock` are borrowed. Errors: Unavailable, DriverError, Invalid (a Kafka
    // setting).
    static Result<std::unique_ptr<KafkaSource>> open(const manifest::AppManifest& manifest,
                                                     Node& node, const protocol::Clock& clock);
    ~KafkaSource();
    KafkaSource(const KafkaSource&) = delete;
    KafkaSource& operator=(const KafkaSource&) = delete;

    // Consumes until `stop` says so, then finishes the events in flight, stores and commits
    // them and leaves the group. Errors: the node's (submitting failed), or storing failed
    // at the end (those records are consumed again later).
    Result<void> run(const std::function<bool()>& stop);

    ConsumeStats stats() const;
    std::shared_ptr<const SourceReadings> readings() const;

  private:
    struct State;
    explicit KafkaSource(std::unique_ptr<State> state);
    std::unique_ptr<State> m_state;
};

// `estalogic run` with a Kafka input: opens a source on the node and runs it until `stop`;
// `report` gets a one-line summary. Errors: open()'s and run()'s.
Result<void> consume_events(const manifest::AppManifest& manifest, Node& node,
                            const std::function<bool()>& stop, std::string& report);

}  // namespace esta::app::run
