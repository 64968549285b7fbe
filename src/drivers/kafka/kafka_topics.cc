#include "drivers/kafka/kafka_topics.h"

#include <cstdint>

namespace esta::drivers {

namespace {

struct PartitionListDestroy {
    void operator()(rd_kafka_topic_partition_list_t* list) const {
        rd_kafka_topic_partition_list_destroy(list);
    }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDestroy>;

struct MessageDestroy {
    void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
using MessageHandle = std::unique_ptr<rd_kafka_message_t, MessageDestroy>;

struct ErrorDestroy {
    void operator()(rd_kafka_error_t* error) const { rd_kafka_error_destroy(error); }
};
using ErrorHandle = std::unique_ptr<rd_kafka_error_t, ErrorDestroy>;

int millis(Nanos duration) {
    Nanos ms = duration / kNanosPerMilli;
    if (ms < 0) return 0;
    return ms > INT32_MAX ? INT32_MAX : static_cast<int>(ms);
}

Result<void> set(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
    char error[256];
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) !=
        RD_KAFKA_CONF_OK) {
        return Err(Status::Invalid, "topic.kafka_setting");
    }
    return Ok();
}

}  // namespace

void RdKafkaDestroy::operator()(rd_kafka_t* handle) const {
    rd_kafka_destroy(handle);
}

std::string_view kafka_error_name(rd_kafka_resp_err_t error) {
    return rd_kafka_err2name(error);
}

Result<void> kafka_status(rd_kafka_resp_err_t error, const char* context) {
    Detail detail{.actual = static_cast<u64>(static_cast<i64>(error))};
    switch (error) {
        case RD_KAFKA_RESP_ERR_NO_ERROR:
            return Ok();
        case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
        case RD_KAFKA_RESP_ERR__TIMED_OUT:
        case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
            return Err(Status::Timeout, context, detail);
        case RD_KAFKA_RESP_ERR__TRANSPORT:
        case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
        case RD_KAFKA_RESP_ERR__QUEUE_FULL:
        case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
        case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
        case RD_KAFKA_RESP_ERR_BROKER_NOT_AVAILABLE:
        case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
        case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
        case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
        case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
        case RD_KAFKA_RESP_ERR_REBALANCE_IN_PROGRESS:
            return Err(Status::Unavailable, context, detail);
        case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
            return Err(Status::PayloadTooLarge, context, detail);
        case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
        case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
        case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
            return Err(Status::NotFound, context, detail);
        default:
            return Err(Status::DriverError, context, detail);
    }
}

KafkaTopics::KafkaTopics(KafkaConfig config, const protocol::Clock& clock)
    : m_config(std::move(config)), m_clock(clock) {}

KafkaTopics::~KafkaTopics() {
    stop();
}

void KafkaTopics::on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
    auto* self = static_cast<KafkaTopics*>(opaque);
    auto id = static_cast<u64>(reinterpret_cast<std::uintptr_t>(message->_private));
    std::lock_guard lock(self->m_delivery_mutex);
    auto found = self->m_deliveries.find(id);
    // A caller whose deadline passed has stopped waiting: its report is dropped.
    if (found == self->m_deliveries.end()) return;
    found->second.done = true;
    found->second.error = message->err;
    found->second.partition = message->partition;
    found->second.offset = message->offset;
}

Result<RdKafkaConf> kafka_conf(const KafkaConfig& config, rd_kafka_type_t type,
                               const std::string& group) {
    RdKafkaConf conf(rd_kafka_conf_new());
    ESTA_TRY(set(conf.get(), "bootstrap.servers", config.bootstrap));
    ESTA_TRY(set(conf.get(), "client.id", "estalogic-driver"));
    ESTA_TRY(set(conf.get(), "socket.timeout.ms", std::to_string(millis(config.request_timeout))));
    ESTA_TRY(set(conf.get(), "message.max.bytes", std::to_string(config.max_request_bytes)));
    ESTA_TRY(set(conf.get(), "topic.metadata.refresh.interval.ms",
                 std::to_string(millis(config.metadata_refresh))));
    if (!config.sasl_username.empty()) {
        ESTA_TRY(set(conf.get(), "sasl.username", config.sasl_username));
        ESTA_TRY(set(conf.get(), "sasl.password", ESTA_TRY(read_secret(config.sasl_password))));
    }
    for (const auto& [name, value] : config.settings)
        ESTA_TRY(set(conf.get(), name, value));
    if (type == RD_KAFKA_PRODUCER) {
        const char* acks = config.acks == KafkaAcks::None     ? "0"
                           : config.acks == KafkaAcks::Leader ? "1"
                                                              : "all";
        ESTA_TRY(set(conf.get(), "acks", acks));
        ESTA_TRY(set(conf.get(), "enable.idempotence", config.idempotent ? "true" : "false"));
        ESTA_TRY(
            set(conf.get(), "delivery.timeout.ms", std::to_string(millis(config.produce_timeout))));
        ESTA_TRY(set(conf.get(), "linger.ms", "0"));
    } else {
        ESTA_TRY(set(conf.get(), "group.id", group));
        ESTA_TRY(set(conf.get(), "enable.auto.commit", "false"));
        ESTA_TRY(set(conf.get(), "enable.auto.offset.store", "false"));
        ESTA_TRY(set(conf.get(), "auto.offset.reset", "earliest"));
        ESTA_TRY(
            set(conf.get(), "session.timeout.ms", std::to_string(millis(config.session_timeout))));
    }
    return conf;
}

Result<RdKafkaHandle> KafkaTopics::make_handle(rd_kafka_type_t type, const std::string& group) {
    RdKafkaConf conf = ESTA_TRY(kafka_conf(m_config, type, group));
    if (type == RD_KAFKA_PRODUCER) {
        rd_kafka_conf_set_dr_msg_cb(conf.get(), &KafkaTopics::on_delivery);
        rd_kafka_conf_set_opaque(conf.get(), this);
    }
    char error[512];
    rd_kafka_t* raw = rd_kafka_new(type, conf.get(), error, sizeof error);
    if (raw == nullptr) return Err(Status::Unavailable, "topic.kafka_new");
    (void)conf.release();  // rd_kafka_new took ownership.
    return RdKafkaHandle(raw);
}

Result<void> KafkaTopics::start() {
    if (m_producer) return Ok();
    m_producer = ESTA_TRY(make_handle(RD_KAFKA_PRODUCER, ""));
    return Ok();
}

void KafkaTopics::stop() {
    {
        std::lock_guard lock(m_consumer_mutex);
        for (auto& [key, handle] : m_consumers)
            rd_kafka_consumer_close(handle.get());
        m_consumers.clear();
    }
    if (m_producer) {
        (void)rd_kafka_flush(m_producer.get(), 5'000);
        m_producer.reset();
    }
}

Health KafkaTopics::health() const {
    return m_producer ? Health{HealthState::Healthy, ""} : Health{HealthState::Stopped, ""};
}

Lifecycle KafkaTopics::lifecycle() const {
    return m_producer ? Lifecycle::Ready : Lifecycle::Disconnected;
}

u64 KafkaTopics::connections() const {
    std::lock_guard lock(m_consumer_mutex);
    return (m_producer ? 1u : 0u) + m_consumers.size();
}

Result<i64> KafkaTopics::produce(const std::string& topic, const TopicRecord& record,
                                 Nanos deadline) {
    if (!m_producer) return Err(Status::Unavailable, "topic.stopped");
    u64 id;
    {
        std::lock_guard lock(m_delivery_mutex);
        id = m_next_delivery++;
        m_deliveries.emplace(id, Delivery{});
    }
    rd_kafka_headers_t* headers = nullptr;
    if (!record.headers.empty()) {
        headers = rd_kafka_headers_new(record.headers.size());
        for (const auto& [name, value] : record.headers) {
            rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()),
                                value.data(), static_cast<ssize_t>(value.size()));
        }
    }
    void* key = record.key ? const_cast<char*>(record.key->data()) : nullptr;
    void* value = record.value ? const_cast<char*>(record.value->data()) : nullptr;
    std::size_t key_size = record.key ? record.key->size() : 0;
    std::size_t value_size = record.value ? record.value->size() : 0;
    i32 partition = record.partition < 0 ? RD_KAFKA_PARTITION_UA : record.partition;
    rd_kafka_resp_err_t queued = rd_kafka_producev(
        m_producer.get(), RD_KAFKA_V_TOPIC(topic.c_str()), RD_KAFKA_V_PARTITION(partition),
        RD_KAFKA_V_KEY(key, key_size), RD_KAFKA_V_VALUE(value, value_size),
        RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_OPAQUE(reinterpret_cast<void*>(static_cast<std::uintptr_t>(id))),
        RD_KAFKA_V_END);
    if (queued != RD_KAFKA_RESP_ERR_NO_ERROR) {
        // Not queued: librdkafka did not take the headers either.
        if (headers != nullptr) rd_kafka_headers_destroy(headers);
        std::lock_guard lock(m_delivery_mutex);
        m_deliveries.erase(id);
        return kafka_status(queued, "topic.kafka_enqueue").error();
    }
    // Serve delivery reports until ours arrives or the deadline passes.
    for (;;) {
        {
            std::lock_guard lock(m_delivery_mutex);
            const Delivery& delivery = m_deliveries.at(id);
            if (delivery.done) {
                Delivery done = delivery;
                m_deliveries.erase(id);
                ESTA_TRY(kafka_status(done.error, "topic.kafka_delivery"));
                return done.offset;
            }
            if (m_clock.now_ns() >= deadline) {
                m_deliveries.erase(id);
                // Queued and maybe written: the outcome is unknown, never "not performed".
                return Err(Status::Timeout, "topic.kafka_delivery_unknown");
            }
        }
        rd_kafka_poll(m_producer.get(), 5);
    }
}

Result<rd_kafka_t*> KafkaTopics::consumer(const std::string& topic, const std::string& group,
                                          u64 member) {
    std::lock_guard lock(m_consumer_mutex);
    ConsumerKey key{topic, group, member};
    auto found = m_consumers.find(key);
    if (found != m_consumers.end()) return found->second.get();
    RdKafkaHandle handle = ESTA_TRY(make_handle(RD_KAFKA_CONSUMER, group));
    rd_kafka_poll_set_consumer(handle.get());
    PartitionList topics(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
    ESTA_TRY(kafka_status(rd_kafka_subscribe(handle.get(), topics.get()), "topic.kafka_subscribe"));
    rd_kafka_t* raw = handle.get();
    m_consumers.emplace(key, std::move(handle));
    return raw;
}

Result<std::vector<TopicRecord>> KafkaTopics::poll(const std::string& topic,
                                                   const std::string& group, u64 member,
                                                   std::size_t max, Nanos deadline) {
    rd_kafka_t* handle = ESTA_TRY(consumer(topic, group, member));
    std::vector<TopicRecord> out;
    while (out.size() < max) {
        // Wait for the first record until the deadline; after that take only what is
        // already here.
        int wait = out.empty() ? std::min(millis(deadline - m_clock.now_ns()), 100) : 0;
        MessageHandle message(rd_kafka_consumer_poll(handle, wait));
        if (!message) {
            if (!out.empty() || m_clock.now_ns() >= deadline) break;
            continue;
        }
        if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
        if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (!out.empty()) break;
            ESTA_TRY(kafka_status(message->err, "topic.kafka_fetch"));
        }
        TopicRecord record;
        if (message->key != nullptr) {
            record.key.emplace(static_cast<const char*>(message->key), message->key_len);
        }
        if (message->payload != nullptr) {
            record.value.emplace(static_cast<const char*>(message->payload), message->len);
        }
        rd_kafka_headers_t* headers = nullptr;
        if (rd_kafka_message_headers(message.get(), &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            const char* name = nullptr;
            const void* data = nullptr;
            size_t size = 0;
            for (size_t i = 0; rd_kafka_header_get_all(headers, i, &name, &data, &size) ==
                               RD_KAFKA_RESP_ERR_NO_ERROR;
                 ++i) {
                record.headers.emplace_back(
                    name, data != nullptr ? std::string(static_cast<const char*>(data), size) : "");
            }
        }
        record.partition = message->partition;
        record.offset = message->offset;
        rd_kafka_timestamp_type_t type;
        record.timestamp = rd_kafka_message_timestamp(message.get(), &type) * kNanosPerMilli;
        out.push_back(std::move(record));
    }
    return out;
}

Result<void> KafkaTopics::commit(const std::string& topic, const std::string& group, u64 member,
                                 i32 partition, i64 next_offset) {
    rd_kafka_t* handle = ESTA_TRY(consumer(topic, group, member));
    PartitionList offsets(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(offsets.get(), topic.c_str(), partition)->offset =
        next_offset;
    // Synchronous: when COMMIT returns, the group resumes after the handled record.
    ESTA_TRY(kafka_status(rd_kafka_commit(handle, offsets.get(), 0), "topic.kafka_commit"));
    return kafka_status(offsets->elems[0].err, "topic.kafka_commit_partition");
}

Result<void> KafkaTopics::seek(const std::string& topic, const std::string& group, u64 member,
                               i32 partition, SeekTarget target, Nanos deadline) {
    rd_kafka_t* handle = ESTA_TRY(consumer(topic, group, member));
    PartitionList positions(rd_kafka_topic_partition_list_new(1));
    i64 offset = target.kind == SeekTarget::Kind::Beginning ? RD_KAFKA_OFFSET_BEGINNING
                 : target.kind == SeekTarget::Kind::End     ? RD_KAFKA_OFFSET_END
                                                            : target.offset;
    rd_kafka_topic_partition_list_add(positions.get(), topic.c_str(), partition)->offset = offset;
    if (target.kind == SeekTarget::Kind::Timestamp) {
        // The broker looks the offset up: ListOffsets by timestamp (milliseconds).
        positions->elems[0].offset = target.timestamp / kNanosPerMilli;
        ESTA_TRY(kafka_status(rd_kafka_offsets_for_times(handle, positions.get(),
                                                         millis(deadline - m_clock.now_ns())),
                              "topic.kafka_offsets_for_times"));
        ESTA_TRY(kafka_status(positions->elems[0].err, "topic.kafka_offsets_for_times"));
    }
    ErrorHandle error(
        rd_kafka_seek_partitions(handle, positions.get(), millis(deadline - m_clock.now_ns())));
    if (error) return kafka_status(rd_kafka_error_code(error.get()), "topic.kafka_seek");
    // A partition not assigned to this member cannot be moved by it.
    return kafka_status(positions->elems[0].err, "topic.kafka_seek_partition");
}

void KafkaTopics::leave(u64 member) {
    std::lock_guard lock(m_consumer_mutex);
    for (auto it = m_consumers.begin(); it != m_consumers.end();) {
        if (std::get<2>(it->first) == member) {
            rd_kafka_consumer_close(it->second.get());
            it = m_consumers.erase(it);
        } else {
            ++it;
        }
    }
}

}  // namespace esta::drivers
