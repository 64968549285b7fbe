// D-6 / D-5: one key-value contract, run against the embedded store and against a private
// redis-server. Each implementation is wrapped the way the kernel uses it (KvDriver behind
// a GuardedDriver); time-dependent steps go through the fixture (a manual clock for the
// embedded store, real waiting for Redis).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "drivers/embedded/memory_kv.h"
#include "drivers/guarded_driver.h"
#include "drivers/redis/redis_kv.h"
#include "services.h"

namespace esta::drivers {
namespace {

class MemoryKvImpl {
  public:
    bool available() { return true; }
    std::unique_ptr<KvStore> make_store() { return std::make_unique<MemoryKv>(clock); }
    const protocol::Clock& driver_clock() { return clock; }
    void wait(Nanos duration) { clock.advance(duration); }
    static constexpr const char* kName = "embedded";

  private:
    protocol::ManualClock clock{1'000'000'000};
};

class RedisKvImpl {
  public:
    bool available() { return server.start(); }
    std::unique_ptr<KvStore> make_store() {
        RedisConfig config;
        config.port = server.port();
        return std::make_unique<RedisKv>(config, clock);
    }
    const protocol::Clock& driver_clock() { return clock; }
    void wait(Nanos duration) { std::this_thread::sleep_for(std::chrono::nanoseconds(duration)); }
    static constexpr const char* kName = "redis";

  private:
    testing::RedisServer server;
    protocol::SystemClock clock;
};

template <class Impl>
class KvContract : public ::testing::Test {
  protected:
    void SetUp() override {
        ESTA_NEED_SERVICE(impl.available(), "redis-server");
        auto kv = std::make_unique<KvDriver>(impl.make_store(), std::vector<KvScript>{}, nullptr);
        driver = std::make_unique<GuardedDriver>(std::move(kv), impl.driver_clock(), sleeper,
                                                 default_guard_options(DriverKind::KeyValue));
        ASSERT_TRUE(driver->start());
    }
    void TearDown() override {
        if (driver) driver->stop();
    }
    Result<Value> call(u32 op, Value request, const Scope& with, u64 binding = 1) {
        CallContext context{with, binding, impl.driver_clock().now_ns() + 5'000 * kNanosPerMilli,
                            Caller::Module, "contract"};
        return driver->call(op, request, context);
    }
    Result<Value> call(u32 op, Value request, u64 binding = 1) {
        return call(op, std::move(request), scope, binding);
    }

    Impl impl;
    ThreadSleeper sleeper;
    std::unique_ptr<GuardedDriver> driver;
    Scope scope{"kv", KvScope{"contract:a:", kAllKvFamilies, {}}};
};

using Implementations = ::testing::Types<MemoryKvImpl, RedisKvImpl>;
struct ImplName {
    template <class T>
    static std::string GetName(int) {
        return T::kName;
    }
};
TYPED_TEST_SUITE(KvContract, Implementations, ImplName);

TYPED_TEST(KvContract, D6_SetGetDelRoundTrip) {
    ASSERT_TRUE(this->call(kv_op::kSet, ValueList{"k", bytes_value("value")}));
    auto got = this->call(kv_op::kGet, ValueList{"k"});
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, bytes_value("value"));
    auto deleted = this->call(kv_op::kDel, ValueList{"k"});
    ASSERT_TRUE(deleted);
    EXPECT_EQ(*deleted, Value(i64{1}));
    auto again = this->call(kv_op::kDel, ValueList{"k"});
    EXPECT_EQ(*again, Value(i64{0}));
    auto gone = this->call(kv_op::kGet, ValueList{"k"});
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code, Status::NotFound);
}

TYPED_TEST(KvContract, D6_IncrByCountsFromZero) {
    EXPECT_EQ(*this->call(kv_op::kIncrBy, ValueList{"n", i64{5}}), Value(i64{5}));
    EXPECT_EQ(*this->call(kv_op::kIncrBy, ValueList{"n", i64{-7}}), Value(i64{-2}));
    ASSERT_TRUE(this->call(kv_op::kSet, ValueList{"s", bytes_value("abc")}));
    auto refused = this->call(kv_op::kIncrBy, ValueList{"s", i64{1}});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Status::DriverError);
}

TYPED_TEST(KvContract, D6_HashesAnswerSortedByField) {
    EXPECT_EQ(*this->call(kv_op::kHSet, ValueList{"h", "b", bytes_value("2")}), Value(i64{1}));
    EXPECT_EQ(*this->call(kv_op::kHSet, ValueList{"h", "a", bytes_value("1")}), Value(i64{1}));
    EXPECT_EQ(*this->call(kv_op::kHSet, ValueList{"h", "a", bytes_value("3")}), Value(i64{0}));
    EXPECT_EQ(*this->call(kv_op::kHGet, ValueList{"h", "a"}), bytes_value("3"));
    auto missing = this->call(kv_op::kHGet, ValueList{"h", "zz"});
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().code, Status::NotFound);
    ValueMap expected{{"a", bytes_value("3")}, {"b", bytes_value("2")}};
    EXPECT_EQ(*this->call(kv_op::kHGetAll, ValueList{"h"}), Value(expected));
    auto wrong = this->call(kv_op::kGet, ValueList{"h"});
    ASSERT_FALSE(wrong);
    EXPECT_EQ(wrong.error().code, Status::DriverError);
}

TYPED_TEST(KvContract, D6_MGetKeepsOrderWithNulls) {
    ASSERT_TRUE(this->call(kv_op::kSet, ValueList{"x", bytes_value("1")}));
    ASSERT_TRUE(this->call(kv_op::kSet, ValueList{"z", bytes_value("3")}));
    auto values = this->call(kv_op::kMGet, ValueList{ValueList{"x", "y", "z"}});
    ASSERT_TRUE(values);
    EXPECT_EQ(*values, Value(ValueList{bytes_value("1"), Value(), bytes_value("3")}));
}

TYPED_TEST(KvContract, D6_ExpiryRemovesTheKey) {
    ASSERT_TRUE(this->call(kv_op::kSet, ValueList{"t", bytes_value("v"), i64{200}}));
    ASSERT_TRUE(this->call(kv_op::kSet, ValueList{"u", bytes_value("v")}));
    EXPECT_EQ(*this->call(kv_op::kExpire, ValueList{"u", i64{200}}), Value(i64{1}));
    EXPECT_EQ(*this->call(kv_op::kExpire, ValueList{"absent", i64{200}}), Value(i64{0}));
    EXPECT_TRUE(this->call(kv_op::kGet, ValueList{"t"}));
    this->impl.wait(400 * kNanosPerMilli);
    EXPECT_FALSE(this->call(kv_op::kGet, ValueList{"t"}));
    EXPECT_FALSE(this->call(kv_op::kGet, ValueList{"u"}));
}

TYPED_TEST(KvContract, D5_PrefixSeparatesHandles) {
    Scope other{"kv", KvScope{"contract:b:", kAllKvFamilies, {}}};
    ASSERT_TRUE(this->call(kv_op::kSet, ValueList{"same", bytes_value("a")}));
    ASSERT_TRUE(this->call(kv_op::kSet, ValueList{"same", bytes_value("b")}, other));
    EXPECT_EQ(*this->call(kv_op::kGet, ValueList{"same"}), bytes_value("a"));
    EXPECT_EQ(*this->call(kv_op::kGet, ValueList{"same"}, other), bytes_value("b"));
}

TYPED_TEST(KvContract, D5_MultiExecIsAtomicAndOrdered) {
    ASSERT_TRUE(this->call(kv_op::kMulti, Value()));
    ASSERT_TRUE(this->call(kv_op::kSet, ValueList{"m", bytes_value("1")}));
    ASSERT_TRUE(this->call(kv_op::kIncrBy, ValueList{"m", i64{4}}));
    ASSERT_TRUE(this->call(kv_op::kGet, ValueList{"m"}));
    auto results = this->call(kv_op::kExec, Value());
    ASSERT_TRUE(results);
    EXPECT_EQ(*results, Value(ValueList{Value(), Value(i64{5}), bytes_value("5")}));
    auto stray = this->call(kv_op::kExec, Value());
    ASSERT_FALSE(stray);
    EXPECT_EQ(stray.error().code, Status::InvalidArgs);
}

TYPED_TEST(KvContract, D5_PipelineAnswersInOrderWithPerEntryErrors) {
    ValueList batch{
        Value(ValueList{i64{kv_op::kSet}, ValueList{"p", bytes_value("text")}}),
        Value(ValueList{i64{kv_op::kIncrBy}, ValueList{"p", i64{1}}}),
        Value(ValueList{i64{kv_op::kGet}, ValueList{"p"}}),
    };
    auto results = this->call(kv_op::kPipeline, ValueList{Value(batch)});
    ASSERT_TRUE(results);
    ValueMap error{{"error", Value(static_cast<i64>(Status::DriverError))}};
    EXPECT_EQ(*results, Value(ValueList{Value(), Value(error), bytes_value("text")}));
}

}  // namespace
}  // namespace esta::drivers
