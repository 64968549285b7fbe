// KafkaTransactionalProducer: D-3's transactional producer (exactly-once output). A
// transactional.id names the producer across restarts; init() registers it with the
// transaction coordinator, which bumps the id's epoch: every older producer holding the same
// id is fenced (its next transactional step fails with "kafka.fenced" and it can never
// produce again), and a transaction it left open is aborted. Records produced between
// begin() and commit() reach read_committed consumers all together, or never (abort()).
//
// One transaction at a time; not thread-safe (the kernel's consumer loop owns one).
#pragma once

#include <map>
#include <string>

#include "drivers/kafka/kafka_topics.h"

namespace esta::drivers {

class KafkaTransactionalProducer {
  public:
    // `transactional_id` is one per application instance and output stream; `clock` (for
    // deadlines) is borrowed. Errors: Invalid for a setting librdkafka refuses.
    static Result<std::unique_ptr<KafkaTransactionalProducer>> create(
        const KafkaConfig& config, const std::string& transactional_id,
        const protocol::Clock& clock);

    // Registers the id, fencing older producers with it. Timeout when the coordinator does
    // not answer by `deadline` (init may be called again).
    Result<void> init(Nanos deadline);
    Result<void> begin();
    // Queues `record` in the open transaction (its offset is known to consumers only).
    Result<void> produce(const std::string& topic, const TopicRecord& record);
    // Adds the consumer offsets `next` (partition of `topic` -> the offset to resume from)
    // of group `group` to the open transaction: they are committed with its records, or not
    // at all (exactly-once consume -> produce). Errors as commit().
    Result<void> send_offsets(const std::string& group, const std::string& topic,
                              const std::map<i32, i64>& next, Nanos deadline);
    // Flushes and commits. DriverError "kafka.txn_requires_abort" means the transaction
    // failed and must be aborted; "kafka.fenced" that a newer producer owns the id.
    Result<void> commit(Nanos deadline);
    Result<void> abort(Nanos deadline);

    bool fenced() const { return m_fenced; }

    // Use create(); public only for make_unique.
    KafkaTransactionalProducer(RdKafkaHandle handle, const protocol::Clock& clock)
        : m_handle(std::move(handle)), m_clock(clock) {}

  private:
    // Maps and frees a transactional API error (null is success).
    Result<void> outcome(rd_kafka_error_t* error, const char* context);
    int timeout_ms(Nanos deadline) const;

    RdKafkaHandle m_handle;
    const protocol::Clock& m_clock;
    bool m_fenced = false;
};

}  // namespace esta::drivers
