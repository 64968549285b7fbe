#include "drivers/redis/redis_pubsub.h"

#include <poll.h>

#include <cerrno>
#include <climits>
#include <string_view>

namespace esta::drivers {

namespace {

timeval to_timeval(Nanos duration) {
    if (duration < kNanosPerMilli) duration = kNanosPerMilli;
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(duration / protocol::kNanosPerSecond);
    tv.tv_usec = static_cast<suseconds_t>((duration % protocol::kNanosPerSecond) / 1'000);
    return tv;
}

RedisReplyHandle command(redisContext* context, const std::vector<std::string>& words) {
    std::vector<const char*> pointers;
    std::vector<size_t> lengths;
    for (const std::string& word : words) {
        pointers.push_back(word.data());
        lengths.push_back(word.size());
    }
    return RedisReplyHandle(static_cast<redisReply*>(redisCommandArgv(
        context, static_cast<int>(words.size()), pointers.data(), lengths.data())));
}

std::string_view text_of(const redisReply* reply) {
    return std::string_view(reply->str, reply->len);
}

}  // namespace

RedisPubSub::RedisPubSub(RedisConfig config, std::string prefix, const protocol::Clock& clock)
    : m_config(std::move(config)), m_prefix(std::move(prefix)), m_clock(clock) {}

Result<RedisContextHandle> RedisPubSub::connect() const {
    timeval timeout = to_timeval(m_config.connect_timeout);
    RedisContextHandle context(
        m_config.unix_path.empty()
            ? redisConnectWithTimeout(m_config.host.c_str(), m_config.port, timeout)
            : redisConnectUnixWithTimeout(m_config.unix_path.c_str(), timeout));
    if (!context || context->err != 0) return Err(Status::Unavailable, "kv.redis_connect");
    redisSetTimeout(context.get(), to_timeval(m_config.read_timeout));
    std::string password = ESTA_TRY(read_secret(m_config.password));
    if (!password.empty()) {
        RedisReplyHandle reply = command(context.get(), {"AUTH", password});
        if (!reply) return Err(Status::Unavailable, "kv.redis_handshake");
        if (reply->type == REDIS_REPLY_ERROR) return Err(Status::AccessDenied, "kv.redis_auth");
    }
    return context;
}

Result<i64> RedisPubSub::publish(std::string_view channel, std::string_view payload) {
    if (channel.empty()) return Err(Status::AccessDenied, "kv.empty_channel");
    if (!m_publisher) m_publisher = ESTA_TRY(connect());
    RedisReplyHandle reply = command(
        m_publisher.get(), {"PUBLISH", m_prefix + std::string(channel), std::string(payload)});
    if (!reply) {
        // The connection is unusable now; the next publish reconnects.
        m_publisher.reset();
        return Err(Status::Unavailable, "kv.redis_publish");
    }
    if (reply->type != REDIS_REPLY_INTEGER) return Err(Status::DriverError, "kv.redis_publish");
    return static_cast<i64>(reply->integer);
}

Result<std::optional<RedisReplyHandle>> RedisPubSub::read_reply(Nanos deadline) {
    redisContext* context = m_subscriber.get();
    while (true) {
        // (1) A reply already read into hiredis' buffer.
        void* raw = nullptr;
        if (redisGetReplyFromReader(context, &raw) != REDIS_OK) {
            m_subscriber.reset();
            return Err(Status::Unavailable, "kv.redis_subscriber");
        }
        if (raw != nullptr) return std::optional<RedisReplyHandle>(static_cast<redisReply*>(raw));
        // (2) Wait for bytes with poll, so a quiet channel never puts the context into an
        // error state the way a socket timeout would.
        Nanos remaining = deadline - m_clock.now_ns();
        if (remaining <= 0) return std::optional<RedisReplyHandle>();
        Nanos millis = remaining / kNanosPerMilli;
        pollfd waiting{context->fd, POLLIN, 0};
        int ready = ::poll(&waiting, 1,
                           millis > INT_MAX ? INT_MAX : static_cast<int>(millis == 0 ? 1 : millis));
        if (ready < 0 && errno != EINTR) {
            m_subscriber.reset();
            return Err(Status::Unavailable, "kv.redis_subscriber");
        }
        if (ready <= 0) continue;
        // (3) Read what arrived; EOF or a reset ends the subscription.
        if (redisBufferRead(context) != REDIS_OK) {
            m_subscriber.reset();
            return Err(Status::Unavailable, "kv.redis_subscriber");
        }
    }
}

Result<void> RedisPubSub::subscribe(const std::vector<std::string>& channels, Nanos deadline) {
    for (const std::string& channel : channels) {
        if (channel.empty()) return Err(Status::AccessDenied, "kv.empty_channel");
    }
    if (!m_subscriber) m_subscriber = ESTA_TRY(connect());
    std::vector<std::string> words{"SUBSCRIBE"};
    for (const std::string& channel : channels)
        words.push_back(m_prefix + channel);
    std::vector<const char*> pointers;
    std::vector<size_t> lengths;
    for (const std::string& word : words) {
        pointers.push_back(word.data());
        lengths.push_back(word.size());
    }
    // Queued and flushed without reading: the confirmations are read below, one per channel.
    if (redisAppendCommandArgv(m_subscriber.get(), static_cast<int>(words.size()), pointers.data(),
                               lengths.data()) != REDIS_OK) {
        m_subscriber.reset();
        return Err(Status::Unavailable, "kv.redis_subscribe");
    }
    int done = 0;
    while (redisBufferWrite(m_subscriber.get(), &done) == REDIS_OK && done == 0) {
    }
    if (done == 0) {
        m_subscriber.reset();
        return Err(Status::Unavailable, "kv.redis_subscribe");
    }
    for (std::size_t confirmed = 0; confirmed < channels.size(); ++confirmed) {
        auto reply = ESTA_TRY(read_reply(deadline));
        if (!reply) return Err(Status::Timeout, "kv.redis_subscribe");
        const redisReply* r = reply->get();
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
            text_of(r->element[0]) != "subscribe") {
            return Err(Status::DriverError, "kv.redis_subscribe");
        }
    }
    return Ok();
}

Result<std::optional<PubSubMessage>> RedisPubSub::next(Nanos deadline) {
    if (!m_subscriber) return Err(Status::Unavailable, "kv.redis_subscriber");
    while (true) {
        auto reply = ESTA_TRY(read_reply(deadline));
        if (!reply) return std::optional<PubSubMessage>();
        const redisReply* r = reply->get();
        // Only "message" pushes carry data; confirmations of later SUBSCRIBEs are skipped.
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 3 ||
            r->element[0]->type != REDIS_REPLY_STRING || text_of(r->element[0]) != "message") {
            continue;
        }
        std::string_view channel = text_of(r->element[1]);
        // Every subscription carries the prefix, so anything else is a protocol surprise.
        if (channel.substr(0, m_prefix.size()) != m_prefix) continue;
        channel.remove_prefix(m_prefix.size());
        return std::optional<PubSubMessage>(
            PubSubMessage{std::string(channel), std::string(text_of(r->element[2]))});
    }
}

}  // namespace esta::drivers
