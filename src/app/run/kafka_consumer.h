// What the Kafka consumers of `estalogic run` share: a single node's (kafka_source.h) and a
// primary/standby pair's leader (role_kafka.h). Each joins the manifest's consumer group on
// its input topic, logs each change of its partitions, and commits offsets only after the
// records before them are stored.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "app/manifest/model.h"
#include "drivers/kafka/kafka_topics.h"

namespace esta::app::run {

struct MessageDestroy {
    void operator()(rd_kafka_message_t* message) const { rd_kafka_message_destroy(message); }
};
using MessageHandle = std::unique_ptr<rd_kafka_message_t, MessageDestroy>;

struct PartitionListDestroy {
    void operator()(rd_kafka_topic_partition_list_t* list) const {
        rd_kafka_topic_partition_list_destroy(list);
    }
};
using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t, PartitionListDestroy>;

using RebalanceCallback = void (*)(rd_kafka_t*, rd_kafka_resp_err_t,
                                   rd_kafka_topic_partition_list_t*, void*);

// A consumer in the manifest's group (drivers.topics.group, or the app's name) subscribed to
// its input topic; `on_rebalance` gets `opaque`. Errors: Invalid (a Kafka setting),
// DriverError (subscribing).
Result<drivers::RdKafkaHandle> join_group(const manifest::AppManifest& manifest,
                                          RebalanceCallback on_rebalance, void* opaque);

// Applies a rebalance: logs it ("kafka: assigned|revoked partitions ..."), takes assigned
// partitions, and gives revoked ones up after `before_revoke` ran (the consumer's last
// chance to store and commit what it read from them).
void rebalance(rd_kafka_t* consumer, rd_kafka_resp_err_t error,
               rd_kafka_topic_partition_list_t* partitions, const std::string& topic,
               const std::function<void()>& before_revoke);

// Commits `next` (partition -> the offset to resume from) synchronously. True when the
// group took it.
bool commit_offsets(rd_kafka_t* consumer, const std::string& topic, const std::map<i32, i64>& next);

// The offsets the manifest's group committed for `partitions` of its input topic (0 for a
// partition without a commit), asked with a consumer that does not join the group.
// Errors: Invalid (a Kafka setting), Timeout/Unavailable (the coordinator did not answer).
Result<std::map<i32, i64>> committed_offsets(const manifest::AppManifest& manifest,
                                             const std::set<i32>& partitions);

// Records of the assigned partitions past the consumer's position, by the high watermarks
// the broker reported with its last fetch responses (cached: no request is made). A
// partition not read yet counts from its low watermark.
i64 consumer_lag(rd_kafka_t* consumer);

}  // namespace esta::app::run
