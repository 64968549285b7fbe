// RedisPubSub: Redis publish/subscribe (D-5) for one key-value scope. Channels are relative
// to the scope's prefix, like keys: a module publishing "alerts" under prefix "t1:" reaches
// channel "t1:alerts", and a subscriber only ever sees channels of its own prefix (exact
// channels only: a pattern subscription could not be checked against the prefix cheaply,
// so none is offered). The publisher and the subscriber hold separate connections, since a
// subscribed connection can do nothing else in RESP2.
//
// Not thread-safe; one owner (the kernel's delivery loop) per object.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "drivers/redis/redis_kv.h"

namespace esta::drivers {

struct RedisReplyFree {
    void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using RedisReplyHandle = std::unique_ptr<redisReply, RedisReplyFree>;

struct PubSubMessage {
    std::string channel;  // Relative to the prefix.
    std::string payload;
};

class RedisPubSub {
  public:
    // `clock` (for deadlines) is borrowed.
    RedisPubSub(RedisConfig config, std::string prefix, const protocol::Clock& clock);

    // How many subscribers received it. Errors: AccessDenied for an empty channel (it would
    // name the prefix itself), Unavailable when Redis cannot be reached (not published).
    Result<i64> publish(std::string_view channel, std::string_view payload);

    // Adds `channels` to this object's subscriptions, waiting for Redis to confirm each.
    Result<void> subscribe(const std::vector<std::string>& channels, Nanos deadline);

    // The next message on a subscribed channel, or nullopt when none arrives by `deadline`
    // (the subscription stays intact). Unavailable when the connection was lost: subscribe
    // again after Redis is back.
    Result<std::optional<PubSubMessage>> next(Nanos deadline);

  private:
    Result<RedisContextHandle> connect() const;
    // A reply read within the deadline without putting the context into its error state
    // (hiredis' own read timeout would); nullopt when the deadline passed first.
    Result<std::optional<RedisReplyHandle>> read_reply(Nanos deadline);

    RedisConfig m_config;
    std::string m_prefix;
    const protocol::Clock& m_clock;
    RedisContextHandle m_publisher;
    RedisContextHandle m_subscriber;
};

}  // namespace esta::drivers
