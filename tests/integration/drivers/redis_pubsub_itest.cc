// D-5 publish/subscribe against a private redis-server: channels are relative to the
// scope's prefix like keys, a quiet deadline leaves the subscription intact, and a lost
// server is UNAVAILABLE.
#include "drivers/redis/redis_pubsub.h"

#include <gtest/gtest.h>

#include "services.h"

namespace esta::drivers {
namespace {

class RedisPubSubTest : public ::testing::Test {
  protected:
    void SetUp() override { ESTA_NEED_SERVICE(server.start(), "redis-server"); }
    RedisConfig config() const {
        RedisConfig result;
        result.port = server.port();
        return result;
    }
    Nanos in(i64 millis) const { return clock.now_ns() + millis * kNanosPerMilli; }

    testing::RedisServer server;
    protocol::SystemClock clock;
};

TEST_F(RedisPubSubTest, D5_MessagesReachSubscribersOfTheSamePrefixOnly) {
    RedisPubSub mine(config(), "t1:", clock);
    RedisPubSub theirs(config(), "t2:", clock);
    ASSERT_TRUE(mine.subscribe({"alerts", "hours"}, in(5'000)));
    ASSERT_TRUE(theirs.subscribe({"alerts"}, in(5'000)));
    RedisPubSub publisher(config(), "t1:", clock);
    auto receivers = publisher.publish("alerts", "accrual changed");
    ASSERT_TRUE(receivers) << receivers.error().to_string();
    EXPECT_EQ(*receivers, 1);
    auto got = mine.next(in(5'000));
    ASSERT_TRUE(got) << got.error().to_string();
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->channel, "alerts");
    EXPECT_EQ((*got)->payload, "accrual changed");
    auto nothing = theirs.next(in(200));
    ASSERT_TRUE(nothing);
    EXPECT_FALSE(nothing->has_value());
}

TEST_F(RedisPubSubTest, D5_AQuietDeadlineKeepsTheSubscription) {
    RedisPubSub subscriber(config(), "t1:", clock);
    ASSERT_TRUE(subscriber.subscribe({"hours"}, in(5'000)));
    auto quiet = subscriber.next(in(50));
    ASSERT_TRUE(quiet) << quiet.error().to_string();
    EXPECT_FALSE(quiet->has_value());
    RedisPubSub publisher(config(), "t1:", clock);
    ASSERT_EQ(publisher.publish("hours", "40").value_or(-1), 1);
    auto got = subscriber.next(in(5'000));
    ASSERT_TRUE(got) << got.error().to_string();
    ASSERT_TRUE(got->has_value());
    EXPECT_EQ((*got)->payload, "40");
}

TEST_F(RedisPubSubTest, D5_EmptyChannelIsDeniedAndALostServerIsUnavailable) {
    RedisPubSub client(config(), "t1:", clock);
    EXPECT_EQ(client.publish("", "x").error().code, Status::AccessDenied);
    EXPECT_EQ(client.subscribe({""}, in(1'000)).error().code, Status::AccessDenied);
    ASSERT_TRUE(client.subscribe({"hours"}, in(5'000)));
    server.kill();
    auto lost = client.next(in(5'000));
    ASSERT_FALSE(lost);
    EXPECT_EQ(lost.error().code, Status::Unavailable);
    RedisPubSub publisher(config(), "t1:", clock);
    EXPECT_EQ(publisher.publish("hours", "x").error().code, Status::Unavailable);
}

}  // namespace
}  // namespace esta::drivers
