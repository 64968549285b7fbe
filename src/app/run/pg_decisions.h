// The decisions table in PostgreSQL (docs/OPERATIONS.md "Real services"): one row per
// consumed event, keyed by its idempotency key (the event's "id", or the record's
// topic/partition/offset when it has none). A batch is written in one transaction with
// ON CONFLICT DO NOTHING, so an event decided again after a failover or a redelivery keeps
// its first decision and is stored once. A node that leads by the PostgreSQL witness
// (K-61) writes under its epoch: the transaction share-locks the lease's row and stores
// nothing unless the epoch is still its own, so a deposed primary's write is refused
// where it lands.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "drivers/postgres/pg_pool.h"
#include "drivers/resilience.h"

namespace esta::app::run {

// The lease a write is conditional on (drivers/postgres/pg_witness.h: esta_leases).
struct EpochGuard {
    i64 lock_key = 0;
    u64 epoch = 0;
};

struct DecisionRow {
    std::string key;  // Idempotency key.
    std::string topic;
    i32 partition = 0;
    i64 offset = 0;
    std::string decision;  // The sink line (JSON, with module_sha256).
};

class PgDecisions {
  public:
    // Connects and creates the table when it does not exist. `table` is a checked identifier
    // (manifest: drivers.sql.decisions_table); `node` names this node in the rows it stores.
    // Errors: Unavailable, DriverError.
    static Result<std::unique_ptr<PgDecisions>> open(const drivers::PgConfig& config,
                                                     std::string table, std::string node,
                                                     const protocol::Clock& clock);
    ~PgDecisions();
    PgDecisions(const PgDecisions&) = delete;
    PgDecisions& operator=(const PgDecisions&) = delete;

    // Which of `keys` have a decision already.
    Result<std::set<std::string>> decided(const std::vector<std::string>& keys);
    // Stores `rows` in one transaction; returns how many were new. With `guard`, only while
    // the lease's epoch is guard->epoch: otherwise nothing is stored and the error is
    // Revoked (limit: our epoch, actual: the lease's, 0 when no lease row).
    Result<u64> write(const std::vector<DecisionRow>& rows,
                      const std::optional<EpochGuard>& guard = std::nullopt);
    // Both go through a circuit breaker: after kCircuit.failure_threshold failures in a row
    // they fail at once (Unavailable "circuit.open") until kCircuit.cool_down has passed,
    // then one call probes the server.
    drivers::CircuitState circuit_state() const { return m_circuit.state(); }
    static constexpr drivers::CircuitOptions kCircuit{5, 5'000 * protocol::kNanosPerMilli};

  private:
    PgDecisions(std::unique_ptr<drivers::PgPool> pool, std::string table, std::string node,
                const protocol::Clock& clock);
    Result<std::set<std::string>> decided_now(const std::vector<std::string>& keys);
    Result<u64> write_now(const std::vector<DecisionRow>& rows,
                          const std::optional<EpochGuard>& guard);
    template <class Call>
    auto guarded(Call&& call) -> decltype(call());
    Result<drivers::PgResultHandle> exec(PGconn* connection, const std::string& sql,
                                         const std::vector<const char*>& params);

    std::unique_ptr<drivers::PgPool> m_pool;
    std::string m_table;
    std::string m_node;
    const protocol::Clock& m_clock;
    drivers::CircuitBreaker m_circuit;
};

// The value of the top-level string field `name` in a flat JSON line, as written (escapes
// kept), or "" when absent.
std::string json_field(std::string_view line, std::string_view name);

// A consumed record's idempotency key: its event's "id", or topic/partition/offset when the
// event has none.
std::string idempotency_key(std::string_view line, std::string_view topic, i32 partition,
                            i64 offset);

}  // namespace esta::app::run
