// librdkafka's mock cluster (rdkafka_mock.h): the real Kafka protocol on loopback, three
// brokers, owned by one rd_kafka_t handle that lives as long as the cluster.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include <string>

#include "drivers/kafka/kafka_topics.h"

namespace esta::drivers::testing {

class KafkaMockCluster {
  public:
    KafkaMockCluster() {
        char error[256];
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "log_level", "0", error, sizeof error);
        rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
        if (handle == nullptr) {
            rd_kafka_conf_destroy(conf);
            return;
        }
        m_owner.reset(handle);
        m_cluster = rd_kafka_mock_cluster_new(handle, 3);
    }
    ~KafkaMockCluster() {
        if (m_cluster != nullptr) rd_kafka_mock_cluster_destroy(m_cluster);
    }
    KafkaMockCluster(const KafkaMockCluster&) = delete;
    KafkaMockCluster& operator=(const KafkaMockCluster&) = delete;

    bool available() const { return m_cluster != nullptr; }
    std::string bootstrap() const { return rd_kafka_mock_cluster_bootstraps(m_cluster); }
    void create_topic(const std::string& name, int partitions) {
        rd_kafka_mock_topic_create(m_cluster, name.c_str(), partitions, 3);
    }
    rd_kafka_mock_cluster_t* cluster() { return m_cluster; }

  private:
    RdKafkaHandle m_owner;
    rd_kafka_mock_cluster_t* m_cluster = nullptr;  // Destroyed before m_owner.
};

}  // namespace esta::drivers::testing
