// StagedKv: the key-value store of a node that consumes from Kafka (kafka_source.h). What
// the modules write (SET) stays in the node, visible to their own reads, until the source
// has every event of a batch decided; then the writes and one record per decision ("done",
// the decision line under the event's idempotency key) go to the store in one MULTI/EXEC.
// So a batch's balances and its decisions reach Redis together or not at all: a node killed
// before that leaves nothing of the batch behind, and the node that consumes its records
// again decides them on the balances they started from; one killed after it leaves done
// records, which the next owner stores instead of deciding again.
//
// Commands other than GET, MGET and SET (none of which the ESTA module sends) flush what is
// staged first and then run directly.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "drivers/kv_driver.h"

namespace esta::app::run {

class StagedKv final : public drivers::KvStore {
  public:
    // `done_prefix` is prepended to an idempotency key to name its done record.
    StagedKv(std::unique_ptr<drivers::KvStore> store, std::string done_prefix,
             const protocol::Clock& clock);

    Result<void> start(std::span<const drivers::KvScript> scripts) override;
    void stop() override;
    drivers::Health health() const override;
    drivers::Lifecycle lifecycle() const override;
    u64 connections() const override;
    Result<std::vector<Result<drivers::Value>>> run(std::span<const drivers::KvCommand> commands,
                                                    bool atomic, protocol::Nanos deadline) override;

    // Writes what is staged and `done` (idempotency key -> decision line) in one atomic
    // batch; on success nothing stays staged. Errors: the store's (then everything stays
    // staged, and a retry writes the same values).
    Result<void> flush(const std::vector<std::pair<std::string, std::string>>& done);
    // The decisions recorded under `keys`, where there are any.
    Result<std::map<std::string, std::string>> done(const std::vector<std::string>& keys);

  private:
    Result<void> flush_locked(const std::vector<std::pair<std::string, std::string>>& done);

    std::unique_ptr<drivers::KvStore> m_store;
    std::string m_done_prefix;
    const protocol::Clock& m_clock;
    std::mutex m_mutex;
    std::map<std::string, std::string> m_staged;  // key -> value, not yet in the store
};

}  // namespace esta::app::run
