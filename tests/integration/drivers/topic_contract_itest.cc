// D-6 / D-3: one topic contract, run against the journal-backed topics and against
// librdkafka's mock cluster (three brokers): offsets, keys, headers, tombstones, consumer
// groups resuming from committed offsets, seek, and the produce/consume scope.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "drivers/embedded/journal_topics.h"
#include "drivers/guarded_driver.h"
#include "kafka_mock.h"
#include "protocol/memory_file_system.h"
#include "services.h"

namespace esta::drivers {
namespace {

class JournalImpl {
  public:
    bool available() { return true; }
    std::unique_ptr<TopicBackend> make_backend(const protocol::Clock& clock) {
        return std::make_unique<JournalTopics>(
            fs, "/topics", clock, std::vector<TopicSpec>{{"events", 3}, {"single", 1}});
    }
    static constexpr const char* kName = "journal";
    static constexpr bool kSeeksByTimestamp = true;

    protocol::MemoryFileSystem fs;
};

class KafkaImpl {
  public:
    bool available() {
        if (!mock.available()) return false;
        mock.create_topic("events", 3);
        mock.create_topic("single", 1);
        return true;
    }
    std::unique_ptr<TopicBackend> make_backend(const protocol::Clock& clock) {
        KafkaConfig config;
        config.bootstrap = mock.bootstrap();
        config.settings = {{"log_level", "0"}};
        return std::make_unique<KafkaTopics>(config, clock);
    }
    static constexpr const char* kName = "kafka";
    // librdkafka 2.0.2's mock cluster answers ListOffsets by timestamp with -1 (it only
    // implements earliest and latest), so this step needs a real broker.
    static constexpr bool kSeeksByTimestamp = false;

    testing::KafkaMockCluster mock;
};

template <class Impl>
class TopicContract : public ::testing::Test {
  protected:
    void SetUp() override {
        ESTA_NEED_SERVICE(impl.available(), "kafka mock cluster");
        auto topics = std::make_unique<TopicDriver>(impl.make_backend(clock), nullptr);
        driver = std::make_unique<GuardedDriver>(std::move(topics), clock, sleeper,
                                                 default_guard_options(DriverKind::Topic));
        ASSERT_TRUE(driver->start());
    }
    void TearDown() override {
        if (driver) driver->stop();
    }
    Result<Value> call(u32 op, Value request, const Scope& scope, u64 binding,
                       Caller caller = Caller::Kernel, Nanos timeout = 10'000 * kNanosPerMilli) {
        CallContext context{scope, binding, clock.now_ns() + timeout, caller, "contract"};
        return driver->call(op, request, context);
    }
    Result<Value> produce(const Scope& scope, Value key, Value value, ValueMap headers,
                          Value partition) {
        return call(topic_op::kProduce, ValueList{key, value, Value(headers), partition}, scope, 1,
                    Caller::Module);
    }
    // Polls as member `binding` until `count` records arrived or 20 s passed.
    ValueList poll(const Scope& scope, u64 binding, std::size_t count) {
        ValueList records;
        Nanos give_up = clock.now_ns() + 20'000 * kNanosPerMilli;
        while (records.size() < count && clock.now_ns() < give_up) {
            auto batch =
                call(topic_op::kPoll, ValueList{Value(static_cast<i64>(count - records.size()))},
                     scope, binding, Caller::Kernel, 500 * kNanosPerMilli);
            if (!batch) {
                ADD_FAILURE() << batch.error().to_string();
                break;
            }
            Value reply = std::move(*batch);
            for (const Value& record : *reply.get<ValueList>())
                records.push_back(record);
        }
        return records;
    }

    Impl impl;
    protocol::SystemClock clock;
    ThreadSleeper sleeper;
    std::unique_ptr<GuardedDriver> driver;
    Scope events{"events", TopicScope{"events", true, true, "contract-group"}};
    Scope single{"single", TopicScope{"single", true, true, "contract-group"}};
};

using Implementations = ::testing::Types<JournalImpl, KafkaImpl>;
struct ImplName {
    template <class T>
    static std::string GetName(int) {
        return T::kName;
    }
};
TYPED_TEST_SUITE(TopicContract, Implementations, ImplName);

TYPED_TEST(TopicContract, D3_OffsetsAreConsecutivePerPartition) {
    for (i64 expected = 0; expected < 3; ++expected) {
        auto offset = this->produce(this->events, "k", bytes_value("v"), {}, i64{1});
        ASSERT_TRUE(offset) << offset.error().to_string();
        EXPECT_EQ(*offset, Value(expected));
    }
    auto other = this->produce(this->events, "k", bytes_value("v"), {}, i64{2});
    ASSERT_TRUE(other);
    EXPECT_EQ(*other, Value(i64{0}));
}

TYPED_TEST(TopicContract, D3_RecordsCarryKeyHeadersAndTombstones) {
    ValueMap headers{{"trace", bytes_value("abc")}};
    ASSERT_TRUE(this->produce(this->single, "user-1", bytes_value("hello"), headers, Value()));
    ASSERT_TRUE(this->produce(this->single, "user-1", Value(), {}, Value()));  // Tombstone.
    ValueList records = this->poll(this->single, 11, 2);
    ASSERT_EQ(records.size(), 2u);
    EXPECT_EQ(*map_find(records[0], "key"), bytes_value("user-1"));
    EXPECT_EQ(*map_find(records[0], "value"), bytes_value("hello"));
    EXPECT_EQ(*map_find(records[0], "headers"), Value(ValueMap{{"trace", bytes_value("abc")}}));
    EXPECT_EQ(*map_find(records[0], "offset"), Value(i64{0}));
    EXPECT_EQ(*map_find(records[0], "partition"), Value(i64{0}));
    EXPECT_TRUE(map_find(records[1], "value")->is_null());
    EXPECT_EQ(*map_find(records[1], "offset"), Value(i64{1}));
}

TYPED_TEST(TopicContract, D3_NewMemberResumesAfterTheCommittedOffset) {
    for (const char* value : {"a", "b", "c"})
        ASSERT_TRUE(this->produce(this->single, Value(), bytes_value(value), {}, Value()));
    ValueList first = this->poll(this->single, 21, 3);
    ASSERT_EQ(first.size(), 3u);
    // The handler succeeded on offset 0 only; then the member goes away.
    ASSERT_TRUE(this->call(topic_op::kCommit, ValueList{i64{0}, i64{0}}, this->single, 21));
    this->driver->release(21);
    ValueList second = this->poll(this->single, 22, 2);
    ASSERT_EQ(second.size(), 2u);
    EXPECT_EQ(*map_find(second[0], "value"), bytes_value("b"));
    EXPECT_EQ(*map_find(second[1], "value"), bytes_value("c"));
}

TYPED_TEST(TopicContract, D3_SeekToBeginningReplays) {
    for (const char* value : {"x", "y"})
        ASSERT_TRUE(this->produce(this->single, Value(), bytes_value(value), {}, Value()));
    ASSERT_EQ(this->poll(this->single, 31, 2).size(), 2u);
    auto sought = this->call(topic_op::kSeek, ValueList{i64{0}, "beginning"}, this->single, 31);
    ASSERT_TRUE(sought) << sought.error().to_string();
    ValueList again = this->poll(this->single, 31, 2);
    ASSERT_EQ(again.size(), 2u);
    EXPECT_EQ(*map_find(again[0], "value"), bytes_value("x"));
}

TYPED_TEST(TopicContract, D3_SeekByTimestampFindsTheFirstLaterRecord) {
    if (!TypeParam::kSeeksByTimestamp)
        GTEST_SKIP() << "the mock cluster cannot list offsets by time";
    ASSERT_TRUE(this->produce(this->single, Value(), bytes_value("early"), {}, Value()));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    Nanos between = this->clock.now_ns();
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    ASSERT_TRUE(this->produce(this->single, Value(), bytes_value("late"), {}, Value()));
    ASSERT_EQ(this->poll(this->single, 51, 2).size(), 2u);
    auto sought = this->call(topic_op::kSeek, ValueList{i64{0}, kernel::abi::Timestamp{between}},
                             this->single, 51);
    ASSERT_TRUE(sought) << sought.error().to_string();
    ValueList again = this->poll(this->single, 51, 1);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(*map_find(again[0], "value"), bytes_value("late"));
}

TYPED_TEST(TopicContract, D2_ProduceAndConsumeNeedTheirRights) {
    Scope read_only{"single", TopicScope{"single", false, true, "g"}};
    auto produced = this->produce(read_only, Value(), bytes_value("v"), {}, Value());
    ASSERT_FALSE(produced);
    EXPECT_EQ(produced.error().code, Status::AccessDenied);
    // A module cannot consume for itself: only the kernel polls.
    auto polled = this->call(topic_op::kPoll, ValueList{i64{1}}, this->single, 41, Caller::Module);
    ASSERT_FALSE(polled);
    EXPECT_EQ(polled.error().code, Status::AccessDenied);
}

}  // namespace
}  // namespace esta::drivers
