// KafkaTopics (D-3): the topic backend on librdkafka. One producer (idempotent by default,
// acks=all) serves every PRODUCE; a call waits for its delivery report, so the offset it
// returns is acknowledged by the cluster. Each consuming handle is one consumer in the
// scope's group: auto-commit is off, and the kernel commits a record's offset only after
// the module's handler returned 0 (at-least-once). SASL and TLS settings are passed to
// librdkafka as given; the SASL password comes from a SecretRef (S-2).
#pragma once

#include <librdkafka/rdkafka.h>

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "drivers/secrets.h"
#include "drivers/topic_driver.h"

namespace esta::drivers {

enum class KafkaAcks : u8 { None, Leader, All };

struct KafkaConfig {
    std::string bootstrap;  // "host:port,host:port"
    KafkaAcks acks = KafkaAcks::All;
    bool idempotent = true;
    std::string sasl_username;
    SecretRef sasl_password{};
    // Passed through unchanged (security.protocol, sasl.mechanism, ssl.ca.location, ...).
    std::vector<std::pair<std::string, std::string>> settings;
    Nanos request_timeout = 30'000 * kNanosPerMilli;
    u32 max_request_bytes = 2u << 20;  // A 1 MiB payload plus its envelope fits (D-3).
    Nanos metadata_refresh = 300'000 * kNanosPerMilli;
    Nanos produce_timeout = 30'000 * kNanosPerMilli;
    Nanos session_timeout = 6'000 * kNanosPerMilli;
};

struct RdKafkaDestroy {
    void operator()(rd_kafka_t* handle) const;
};
using RdKafkaHandle = std::unique_ptr<rd_kafka_t, RdKafkaDestroy>;

struct RdKafkaConfDestroy {
    void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
using RdKafkaConf = std::unique_ptr<rd_kafka_conf_t, RdKafkaConfDestroy>;

// The configuration of a producer, or of a consumer in `group` (auto-commit and offset store
// off: offsets are committed explicitly after the handler succeeded; a new group starts at
// the earliest record), with the SASL password read from its secret. Errors: Invalid (a
// setting librdkafka refuses), the secret's.
Result<RdKafkaConf> kafka_conf(const KafkaConfig& config, rd_kafka_type_t type,
                               const std::string& group);

// A librdkafka error code as a Status: 0 is success (the prototype got that wrong);
// transient broker states are Unavailable, timeouts Timeout, size limits PayloadTooLarge,
// unknown topics or partitions NotFound, everything else DriverError.
Result<void> kafka_status(rd_kafka_resp_err_t error, const char* context);
// The error's named kind ("NOT_LEADER_FOR_PARTITION", "NO_ERROR").
std::string_view kafka_error_name(rd_kafka_resp_err_t error);

class KafkaTopics final : public TopicBackend {
  public:
    // `clock` is borrowed.
    KafkaTopics(KafkaConfig config, const protocol::Clock& clock);
    ~KafkaTopics() override;

    Result<void> start() override;
    void stop() override;
    Health health() const override;
    Lifecycle lifecycle() const override;
    // Client handles: the producer and one consumer per group member (each keeps its own
    // broker connections).
    u64 connections() const override;
    Result<i64> produce(const std::string& topic, const TopicRecord& record,
                        Nanos deadline) override;
    Result<std::vector<TopicRecord>> poll(const std::string& topic, const std::string& group,
                                          u64 member, std::size_t max, Nanos deadline) override;
    Result<void> commit(const std::string& topic, const std::string& group, u64 member,
                        i32 partition, i64 next_offset) override;
    Result<void> seek(const std::string& topic, const std::string& group, u64 member, i32 partition,
                      SeekTarget target, Nanos deadline) override;
    void leave(u64 member) override;

  private:
    struct Delivery {
        bool done = false;
        rd_kafka_resp_err_t error = RD_KAFKA_RESP_ERR_NO_ERROR;
        i32 partition = -1;
        i64 offset = -1;
    };
    using ConsumerKey = std::tuple<std::string, std::string, u64>;  // topic, group, member

    static void on_delivery(rd_kafka_t* handle, const rd_kafka_message_t* message, void* opaque);
    Result<RdKafkaHandle> make_handle(rd_kafka_type_t type, const std::string& group);
    Result<rd_kafka_t*> consumer(const std::string& topic, const std::string& group, u64 member);

    KafkaConfig m_config;
    const protocol::Clock& m_clock;
    RdKafkaHandle m_producer;
    std::mutex m_delivery_mutex;
    std::map<u64, Delivery> m_deliveries;  // Keyed by the id each message carries.
    u64 m_next_delivery = 1;
    mutable std::mutex m_consumer_mutex;
    std::map<ConsumerKey, RdKafkaHandle> m_consumers;
};

}  // namespace esta::drivers
