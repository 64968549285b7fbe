#include "app/run/kafka_consumer.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace esta::app::run {

namespace {

std::string group_of(const manifest::AppManifest& manifest) {
    return manifest.drivers.topics.group.empty() ? manifest.name : manifest.drivers.topics.group;
}

}  // namespace

Result<drivers::RdKafkaHandle> join_group(const manifest::AppManifest& manifest,
                                          RebalanceCallback on_rebalance, void* opaque) {
    const auto& topics = manifest.drivers.topics;
    drivers::RdKafkaConf conf =
        ESTA_TRY(drivers::kafka_conf(topics.kafka, RD_KAFKA_CONSUMER, group_of(manifest)));
    rd_kafka_conf_set_rebalance_cb(conf.get(), on_rebalance);
    rd_kafka_conf_set_opaque(conf.get(), opaque);
    char error[512];
    rd_kafka_t* raw = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), error, sizeof error);
    if (raw == nullptr) return Err(Status::Invalid, "run.kafka_consumer");
    (void)conf.release();  // rd_kafka_new took it.
    drivers::RdKafkaHandle consumer(raw);
    rd_kafka_poll_set_consumer(raw);
    PartitionList subscription(rd_kafka_topic_partition_list_new(1));
    rd_kafka_topic_partition_list_add(subscription.get(), topics.input.c_str(),
                                      RD_KAFKA_PARTITION_UA);
    ESTA_TRY(
        drivers::kafka_status(rd_kafka_subscribe(raw, subscription.get()), "run.kafka_subscribe"));
    return consumer;
}

void rebalance(rd_kafka_t* consumer, rd_kafka_resp_err_t error,
               rd_kafka_topic_partition_list_t* partitions, const std::string& topic,
               const std::function<void()>& before_revoke) {
    bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(consumer), "COOPERATIVE") == 0;
    std::string names;
    for (int i = 0; i < partitions->cnt; ++i)
        names += (i == 0 ? "" : ",") + std::to_string(partitions->elems[i].partition);
    bool assign = error == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;
    // One line per change: which node owns what is an operator's first question.
    std::fprintf(stderr, "kafka: %s partitions %s of %s\n", assign ? "assigned" : "revoked",
                 names.empty() ? "(none)" : names.c_str(), topic.c_str());
    if (assign) {
        if (cooperative) {
            if (rd_kafka_error_t* failed = rd_kafka_incremental_assign(consumer, partitions))
                rd_kafka_error_destroy(failed);
        } else {
            rd_kafka_assign(consumer, partitions);
        }
        return;
    }
    before_revoke();
    if (cooperative) {
        if (rd_kafka_error_t* failed = rd_kafka_incremental_unassign(consumer, partitions))
            rd_kafka_error_destroy(failed);
    } else {
        rd_kafka_assign(consumer, nullptr);
    }
}

bool commit_offsets(rd_kafka_t* consumer, const std::string& topic,
                    const std::map<i32, i64>& next) {
    if (next.empty()) return true;
    PartitionList offsets(rd_kafka_topic_partition_list_new(static_cast<int>(next.size())));
    for (const auto& [partition, offset] : next)
        rd_kafka_topic_partition_list_add(offsets.get(), topic.c_str(), partition)->offset = offset;
    // Synchronous: once it returns, the group resumes after these records.
    return rd_kafka_commit(consumer, offsets.get(), 0) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

Result<std::map<i32, i64>> committed_offsets(const manifest::AppManifest& manifest,
                                             const std::set<i32>& partitions) {
    const auto& topics = manifest.drivers.topics;
    drivers::RdKafkaConf conf =
        ESTA_TRY(drivers::kafka_conf(topics.kafka, RD_KAFKA_CONSUMER, group_of(manifest)));
    char error[512];
    rd_kafka_t* raw = rd_kafka_new(RD_KAFKA_CONSUMER, conf.get(), error, sizeof error);
    if (raw == nullptr) return Err(Status::Invalid, "run.kafka_consumer");
    (void)conf.release();  // rd_kafka_new took it.
    drivers::RdKafkaHandle reader(raw);
    PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
    for (i32 partition : partitions)
        rd_kafka_topic_partition_list_add(list.get(), topics.input.c_str(), partition);
    ESTA_TRY(
        drivers::kafka_status(rd_kafka_committed(raw, list.get(), 10'000), "run.kafka_committed"));
    std::map<i32, i64> committed;
    for (int i = 0; i < list->cnt; ++i)
        committed[list->elems[i].partition] = std::max<i64>(0, list->elems[i].offset);
    return committed;
}

i64 consumer_lag(rd_kafka_t* consumer) {
    rd_kafka_topic_partition_list_t* raw = nullptr;
    if (rd_kafka_assignment(consumer, &raw) != RD_KAFKA_RESP_ERR_NO_ERROR) return 0;
    PartitionList assigned(raw);
    (void)rd_kafka_position(consumer, assigned.get());
    i64 lag = 0;
    for (int i = 0; i < assigned->cnt; ++i) {
        const auto& partition = assigned->elems[i];
        int64_t low = 0, high = 0;
        if (rd_kafka_get_watermark_offsets(consumer, partition.topic, partition.partition, &low,
                                           &high) != RD_KAFKA_RESP_ERR_NO_ERROR ||
            high < 0) {
            continue;
        }
        const i64 position = partition.offset >= 0 ? partition.offset : std::max<i64>(low, 0);
        lag += std::max<i64>(0, high - position);
    }
    return lag;
}

}  // namespace esta::app::run
