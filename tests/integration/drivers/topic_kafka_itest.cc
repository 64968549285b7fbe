// D-3 against librdkafka's mock cluster: a consumer group of two members splits the
// partitions, and injected broker errors during produce lose nothing acknowledged.
#include <gtest/gtest.h>

#include <set>

#include "drivers/guarded_driver.h"
#include "kafka_mock.h"
#include "services.h"

namespace esta::drivers {
namespace {

class KafkaTest : public ::testing::Test {
  protected:
    void SetUp() override {
        ESTA_NEED_SERVICE(mock.available(), "kafka mock cluster");
        mock.create_topic("orders", 4);
        KafkaConfig config;
        config.bootstrap = mock.bootstrap();
        config.settings = {{"log_level", "0"}};
        auto topics =
            std::make_unique<TopicDriver>(std::make_unique<KafkaTopics>(config, clock), nullptr);
        driver = std::make_unique<GuardedDriver>(std::move(topics), clock, sleeper,
                                                 default_guard_options(DriverKind::Topic));
        ASSERT_TRUE(driver->start());
    }
    void TearDown() override {
        if (driver) driver->stop();
    }
    Result<Value> call(u32 op, Value request, u64 binding, Caller caller, Nanos timeout) {
        CallContext context{scope, binding, clock.now_ns() + timeout, caller, "kafka-test"};
        return driver->call(op, request, context);
    }
    Result<Value> produce(i64 partition, const std::string& value) {
        return call(topic_op::kProduce, ValueList{Value(), bytes_value(value), Value(), partition},
                    1, Caller::Module, 30'000 * kNanosPerMilli);
    }

    testing::KafkaMockCluster mock;
    protocol::SystemClock clock;
    ThreadSleeper sleeper;
    std::unique_ptr<GuardedDriver> driver;
    Scope scope{"orders", TopicScope{"orders", true, true, "billing"}};
};

TEST_F(KafkaTest, D3_CodeZeroIsSuccessAndErrorsHaveNamedKinds) {
    EXPECT_TRUE(kafka_status(RD_KAFKA_RESP_ERR_NO_ERROR, "test"));
    EXPECT_EQ(kafka_error_name(RD_KAFKA_RESP_ERR_NO_ERROR), "NO_ERROR");
    EXPECT_EQ(kafka_status(RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION, "t").error().code,
              Status::Unavailable);
    EXPECT_EQ(kafka_status(RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, "t").error().code,
              Status::PayloadTooLarge);
    EXPECT_EQ(kafka_status(RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, "t").error().code,
              Status::NotFound);
}

TEST_F(KafkaTest, D3_GroupOfTwoMembersSplitsThePartitions) {
    for (i64 partition = 0; partition < 4; ++partition) {
        for (int i = 0; i < 3; ++i)
            ASSERT_TRUE(produce(partition, "p" + std::to_string(partition)));
    }
    // Both members poll in turns until all twelve records are in; each partition must be
    // read by exactly one of them.
    std::set<i64> partitions_of[2];
    std::size_t total = 0;
    Nanos give_up = clock.now_ns() + 40'000 * kNanosPerMilli;
    while (total < 12 && clock.now_ns() < give_up) {
        for (u64 member = 0; member < 2; ++member) {
            auto batch = call(topic_op::kPoll, ValueList{i64{12}}, 100 + member, Caller::Kernel,
                              300 * kNanosPerMilli);
            ASSERT_TRUE(batch) << batch.error().to_string();
            Value reply = std::move(*batch);
            for (const Value& record : *reply.get<ValueList>()) {
                partitions_of[member].insert(*map_find(record, "partition")->get<i64>());
                ++total;
            }
        }
    }
    EXPECT_EQ(total, 12u);
    EXPECT_FALSE(partitions_of[0].empty());
    EXPECT_FALSE(partitions_of[1].empty());
    for (i64 partition : partitions_of[0])
        EXPECT_EQ(partitions_of[1].count(partition), 0u) << partition;
}

TEST_F(KafkaTest, D3_InjectedBrokerErrorsLoseNothingAcknowledged) {
    // The next produce requests fail with retriable errors; the idempotent producer
    // retries them, and every offset it acknowledged is there afterwards.
    constexpr int16_t kProduceApiKey = 0;  // Kafka protocol ApiKey of Produce.
    rd_kafka_mock_push_request_errors(
        mock.cluster(), kProduceApiKey, 3, RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION,
        RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT, RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS);
    std::vector<i64> offsets;
    for (int i = 0; i < 5; ++i) {
        auto offset = produce(0, "m" + std::to_string(i));
        ASSERT_TRUE(offset) << offset.error().to_string();
        offsets.push_back(*offset->get<i64>());
    }
    EXPECT_EQ(offsets, (std::vector<i64>{0, 1, 2, 3, 4}));
    std::vector<std::string> seen;
    Nanos give_up = clock.now_ns() + 30'000 * kNanosPerMilli;
    while (seen.size() < 5 && clock.now_ns() < give_up) {
        auto batch =
            call(topic_op::kPoll, ValueList{i64{5}}, 200, Caller::Kernel, 300 * kNanosPerMilli);
        ASSERT_TRUE(batch);
        Value reply = std::move(*batch);
        for (const Value& record : *reply.get<ValueList>()) {
            if (*map_find(record, "partition") == Value(i64{0})) {
                seen.emplace_back(*byte_view(*map_find(record, "value")));
            }
        }
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"m0", "m1", "m2", "m3", "m4"}));
}

}  // namespace
}  // namespace esta::drivers
