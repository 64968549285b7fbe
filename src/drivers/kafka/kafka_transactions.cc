#include "drivers/kafka/kafka_transactions.h"

#include <climits>

namespace esta::drivers {

namespace {

struct ConfDestroy {
    void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
using ConfHandle = std::unique_ptr<rd_kafka_conf_t, ConfDestroy>;

Result<void> set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
    char error[256];
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) !=
        RD_KAFKA_CONF_OK) {
        return Err(Status::Invalid, "topic.kafka_setting");
    }
    return Ok();
}

bool is_fencing(rd_kafka_resp_err_t code) {
    return code == RD_KAFKA_RESP_ERR__FENCED || code == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
           code == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
}

}  // namespace

Result<std::unique_ptr<KafkaTransactionalProducer>> KafkaTransactionalProducer::create(
    const KafkaConfig& config, const std::string& transactional_id, const protocol::Clock& clock) {
    if (transactional_id.empty()) return Err(Status::Invalid, "topic.kafka_transactional_id");
    ConfHandle conf(rd_kafka_conf_new());
    ESTA_TRY(set(conf.get(), "bootstrap.servers", config.bootstrap));
    ESTA_TRY(set(conf.get(), "client.id", "estalogic-driver"));
    ESTA_TRY(set(conf.get(), "message.max.bytes", std::to_string(config.max_request_bytes)));
    if (!config.sasl_username.empty()) {
        ESTA_TRY(set(conf.get(), "sasl.username", config.sasl_username));
        ESTA_TRY(set(conf.get(), "sasl.password", ESTA_TRY(read_secret(config.sasl_password))));
    }
    for (const auto& [name, value] : config.settings)
        ESTA_TRY(set(conf.get(), name, value));
    // Transactions imply the idempotent producer and acks=all.
    ESTA_TRY(set(conf.get(), "transactional.id", transactional_id));
    ESTA_TRY(set(conf.get(), "enable.idempotence", "true"));
    ESTA_TRY(set(conf.get(), "acks", "all"));
    ESTA_TRY(set(conf.get(), "linger.ms", "0"));
    char error[256];
    rd_kafka_t* raw = rd_kafka_new(RD_KAFKA_PRODUCER, conf.get(), error, sizeof error);
    if (raw == nullptr) return Err(Status::Invalid, "topic.kafka_producer");
    (void)conf.release();  // rd_kafka_new took it.
    return std::make_unique<KafkaTransactionalProducer>(RdKafkaHandle(raw), clock);
}

int KafkaTransactionalProducer::timeout_ms(Nanos deadline) const {
    Nanos remaining = (deadline - m_clock.now_ns()) / kNanosPerMilli;
    if (remaining <= 0) return 0;
    return remaining > INT_MAX ? INT_MAX : static_cast<int>(remaining);
}

Result<void> KafkaTransactionalProducer::outcome(rd_kafka_error_t* error, const char* context) {
    if (error == nullptr) return Ok();
    rd_kafka_resp_err_t code = rd_kafka_error_code(error);
    bool fatal = rd_kafka_error_is_fatal(error);
    bool retriable = rd_kafka_error_is_retriable(error);
    bool requires_abort = rd_kafka_error_txn_requires_abort(error);
    rd_kafka_error_destroy(error);
    Detail detail{.actual = static_cast<u64>(static_cast<i64>(code))};
    if (fatal) {
        // A fatal error leaves the producer unusable; fencing is the expected one.
        rd_kafka_resp_err_t cause = rd_kafka_fatal_error(m_handle.get(), nullptr, 0);
        if (is_fencing(code) || is_fencing(cause)) {
            m_fenced = true;
            return Err(Status::DriverError, "kafka.fenced", detail);
        }
        return Err(Status::DriverError, "kafka.txn_fatal", detail);
    }
    if (requires_abort) return Err(Status::DriverError, "kafka.txn_requires_abort", detail);
    if (code == RD_KAFKA_RESP_ERR__TIMED_OUT) return Err(Status::Timeout, context, detail);
    if (retriable) return Err(Status::Unavailable, context, detail);
    if (code == RD_KAFKA_RESP_ERR__STATE) return Err(Status::InvalidArgs, context, detail);
    return Err(Status::DriverError, context, detail);
}

Result<void> KafkaTransactionalProducer::init(Nanos deadline) {
    return outcome(rd_kafka_init_transactions(m_handle.get(), timeout_ms(deadline)),
                   "kafka.txn_init");
}

Result<void> KafkaTransactionalProducer::begin() {
    return outcome(rd_kafka_begin_transaction(m_handle.get()), "kafka.txn_begin");
}

Result<void> KafkaTransactionalProducer::produce(const std::string& topic,
                                                 const TopicRecord& record) {
    if (m_fenced) return Err(Status::DriverError, "kafka.fenced");
    rd_kafka_headers_t* headers = rd_kafka_headers_new(record.headers.size());
    for (const auto& [name, value] : record.headers) {
        rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                            static_cast<ssize_t>(value.size()));
    }
    // The macros below cast their arguments, so each is one plain expression.
    const void* key = record.key ? record.key->data() : nullptr;
    std::size_t key_size = record.key ? record.key->size() : 0;
    void* value = record.value ? const_cast<char*>(record.value->data()) : nullptr;
    std::size_t value_size = record.value ? record.value->size() : 0;
    i32 partition = record.partition >= 0 ? record.partition : RD_KAFKA_PARTITION_UA;
    rd_kafka_resp_err_t error = rd_kafka_producev(
        m_handle.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(key, key_size),
        RD_KAFKA_V_VALUE(value, value_size), RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_END);
    // On success the message owns the headers; on failure they are still ours.
    if (error != RD_KAFKA_RESP_ERR_NO_ERROR) rd_kafka_headers_destroy(headers);
    return kafka_status(error, "kafka.txn_produce");
}

Result<void> KafkaTransactionalProducer::send_offsets(const std::string& group,
                                                      const std::string& topic,
                                                      const std::map<i32, i64>& next,
                                                      Nanos deadline) {
    if (m_fenced) return Err(Status::DriverError, "kafka.fenced");
    if (next.empty()) return Ok();
    rd_kafka_topic_partition_list_t* offsets =
        rd_kafka_topic_partition_list_new(static_cast<int>(next.size()));
    for (const auto& [partition, offset] : next)
        rd_kafka_topic_partition_list_add(offsets, topic.c_str(), partition)->offset = offset;
    rd_kafka_consumer_group_metadata_t* metadata =
        rd_kafka_consumer_group_metadata_new(group.c_str());
    auto sent = outcome(rd_kafka_send_offsets_to_transaction(m_handle.get(), offsets, metadata,
                                                             timeout_ms(deadline)),
                        "kafka.txn_send_offsets");
    rd_kafka_consumer_group_metadata_destroy(metadata);
    rd_kafka_topic_partition_list_destroy(offsets);
    return sent;
}

Result<void> KafkaTransactionalProducer::commit(Nanos deadline) {
    return outcome(rd_kafka_commit_transaction(m_handle.get(), timeout_ms(deadline)),
                   "kafka.txn_commit");
}

Result<void> KafkaTransactionalProducer::abort(Nanos deadline) {
    return outcome(rd_kafka_abort_transaction(m_handle.get(), timeout_ms(deadline)),
                   "kafka.txn_abort");
}

}  // namespace esta::drivers
