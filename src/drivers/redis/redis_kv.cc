#include "drivers/redis/redis_kv.h"

#include <algorithm>
#include <string_view>

namespace esta::drivers {

namespace {

struct ReplyFree {
    void operator()(redisReply* reply) const { freeReplyObject(reply); }
};
using ReplyHandle = std::unique_ptr<redisReply, ReplyFree>;

timeval to_timeval(Nanos duration) {
    if (duration < kNanosPerMilli) duration = kNanosPerMilli;
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(duration / protocol::kNanosPerSecond);
    tv.tv_usec = static_cast<suseconds_t>((duration % protocol::kNanosPerSecond) / 1'000);
    return tv;
}

// One command line: words kept alive here, pointers and lengths for hiredis.
class Argv {
  public:
    void add(std::string_view word) { m_words.emplace_back(word); }
    int count() const { return static_cast<int>(m_words.size()); }
    void views(std::vector<const char*>& pointers, std::vector<size_t>& lengths) const {
        pointers.clear();
        lengths.clear();
        for (const std::string& word : m_words) {
            pointers.push_back(word.data());
            lengths.push_back(word.size());
        }
    }

  private:
    std::vector<std::string> m_words;
};

Argv command_argv(const KvCommand& command) {
    Argv argv;
    switch (command.op) {
        case kv_op::kGet:
            argv.add("GET");
            argv.add(command.keys[0]);
            break;
        case kv_op::kSet:
            argv.add("SET");
            argv.add(command.keys[0]);
            argv.add(command.args[0]);
            if (command.ttl_ms) {
                argv.add("PX");
                argv.add(std::to_string(*command.ttl_ms));
            }
            break;
        case kv_op::kDel:
            argv.add("DEL");
            argv.add(command.keys[0]);
            break;
        case kv_op::kIncrBy:
            argv.add("INCRBY");
            argv.add(command.keys[0]);
            argv.add(std::to_string(command.number));
            break;
        case kv_op::kHGet:
            argv.add("HGET");
            argv.add(command.keys[0]);
            argv.add(command.args[0]);
            break;
        case kv_op::kHSet:
            argv.add("HSET");
            argv.add(command.keys[0]);
            argv.add(command.args[0]);
            argv.add(command.args[1]);
            break;
        case kv_op::kHGetAll:
            argv.add("HGETALL");
            argv.add(command.keys[0]);
            break;
        case kv_op::kExpire:
            argv.add("PEXPIRE");
            argv.add(command.keys[0]);
            argv.add(std::to_string(command.number));
            break;
        case kv_op::kMGet:
            argv.add("MGET");
            for (const std::string& key : command.keys)
                argv.add(key);
            break;
        case kv_op::kEval:
            argv.add("EVALSHA");
            argv.add(command.script->sha1);
            argv.add(std::to_string(command.keys.size()));
            for (const std::string& key : command.keys)
                argv.add(key);
            for (const std::string& arg : command.args)
                argv.add(arg);
            break;
        default:
            break;
    }
    return argv;
}

Argv words(std::initializer_list<std::string_view> list) {
    Argv argv;
    for (std::string_view word : list)
        argv.add(word);
    return argv;
}

// Replies whose outcome is the same when repeated; a lost connection after sending only
// these is "not performed" as far as the caller can tell (D-5 retries reads and writes).
bool idempotent(const KvCommand& command) {
    return command.op != kv_op::kIncrBy && command.op != kv_op::kEval;
}

bool is_error_prefix(const redisReply* reply, std::string_view prefix) {
    return reply->type == REDIS_REPLY_ERROR &&
           std::string_view(reply->str, reply->len).substr(0, prefix.size()) == prefix;
}

Error error_from_reply(const redisReply* reply) {
    if (is_error_prefix(reply, "LOADING") || is_error_prefix(reply, "BUSY") ||
        is_error_prefix(reply, "MASTERDOWN") || is_error_prefix(reply, "TRYAGAIN")) {
        return Err(Status::Unavailable, "kv.redis_busy");
    }
    if (is_error_prefix(reply, "NOSCRIPT")) return Err(Status::NotFound, "kv.redis_noscript");
    if (is_error_prefix(reply, "WRONGTYPE")) return Err(Status::DriverError, "kv.wrong_type");
    return Err(Status::DriverError, "kv.redis_error");
}

Value generic_value(const redisReply* reply) {
    switch (reply->type) {
        case REDIS_REPLY_STRING:
            return bytes_value(std::string_view(reply->str, reply->len));
        case REDIS_REPLY_STATUS:
            return Value(std::string(reply->str, reply->len));
        case REDIS_REPLY_INTEGER:
            return Value(static_cast<i64>(reply->integer));
        case REDIS_REPLY_ARRAY: {
            ValueList list;
            for (size_t i = 0; i < reply->elements; ++i)
                list.push_back(generic_value(reply->element[i]));
            return Value(std::move(list));
        }
        default:
            return Value();
    }
}

Result<Value> convert(const KvCommand& command, const redisReply* reply) {
    if (reply->type == REDIS_REPLY_ERROR) return error_from_reply(reply);
    switch (command.op) {
        case kv_op::kSet:
            return Value();
        case kv_op::kHGetAll: {
            if (reply->type != REDIS_REPLY_ARRAY) return Err(Status::DriverError, "kv.reply_shape");
            std::vector<std::pair<std::string, Value>> fields;
            for (size_t i = 0; i + 1 < reply->elements; i += 2) {
                const redisReply* field = reply->element[i];
                fields.emplace_back(std::string(field->str, field->len),
                                    generic_value(reply->element[i + 1]));
            }
            // Redis hands fields back in hash order; sorted, both stores answer alike.
            std::sort(fields.begin(), fields.end(),
                      [](const auto& a, const auto& b) { return a.first < b.first; });
            return Value(ValueMap(std::move(fields)));
        }
        default:
            return generic_value(reply);
    }
}

}  // namespace

RedisKv::RedisKv(RedisConfig config, const protocol::Clock& clock)
    : m_config(std::move(config)), m_clock(clock) {}

Result<void> RedisKv::connect_locked() {
    m_attempted = true;
    m_last_attempt = m_clock.now_ns();
    timeval timeout = to_timeval(m_config.connect_timeout);
    RedisContextHandle context(
        m_config.unix_path.empty()
            ? redisConnectWithTimeout(m_config.host.c_str(), m_config.port, timeout)
            : redisConnectUnixWithTimeout(m_config.unix_path.c_str(), timeout));
    if (!context || context->err != 0) {
        ++m_failed_attempts;
        return Err(Status::Unavailable, "kv.redis_connect");
    }
    redisSetTimeout(context.get(), to_timeval(m_config.read_timeout));
    std::string password = ESTA_TRY(read_secret(m_config.password));
    auto simple = [&](Argv argv) -> Result<void> {
        std::vector<const char*> pointers;
        std::vector<size_t> lengths;
        argv.views(pointers, lengths);
        ReplyHandle reply(static_cast<redisReply*>(
            redisCommandArgv(context.get(), argv.count(), pointers.data(), lengths.data())));
        if (!reply) return Err(Status::Unavailable, "kv.redis_handshake");
        if (reply->type == REDIS_REPLY_ERROR) return Err(Status::AccessDenied, "kv.redis_auth");
        return Ok();
    };
    if (!password.empty()) ESTA_TRY(simple(words({"AUTH", password})));
    if (m_config.database != 0) {
        ESTA_TRY(simple(words({"SELECT", std::to_string(m_config.database)})));
    }
    m_context = std::move(context);
    m_connected = true;
    if (m_failed_attempts > 0) ++m_reconnects;
    m_failed_attempts = 0;
    return Ok();
}

Result<void> RedisKv::load_scripts_locked() {
    for (const KvScript& script : m_scripts) {
        Argv argv = words({"SCRIPT", "LOAD", script.source});
        std::vector<const char*> pointers;
        std::vector<size_t> lengths;
        argv.views(pointers, lengths);
        ReplyHandle reply(static_cast<redisReply*>(
            redisCommandArgv(m_context.get(), argv.count(), pointers.data(), lengths.data())));
        if (!reply) {
            drop_connection_locked();
            return Err(Status::Unavailable, "kv.redis_script_load");
        }
        if (reply->type != REDIS_REPLY_STRING ||
            std::string_view(reply->str, reply->len) != script.sha1) {
            // The manifest reviewed a different script than the one we would run.
            return Err(Status::Invalid, "kv.script_sha_mismatch");
        }
    }
    return Ok();
}

Result<void> RedisKv::start(std::span<const KvScript> scripts) {
    std::lock_guard lock(m_mutex);
    m_scripts.assign(scripts.begin(), scripts.end());
    m_started = true;
    ESTA_TRY(connect_locked());
    return load_scripts_locked();
}

void RedisKv::stop() {
    std::lock_guard lock(m_mutex);
    m_started = false;
    m_context.reset();
    m_connected = false;
}

Health RedisKv::health() const {
    std::lock_guard lock(m_mutex);
    if (!m_started) return {HealthState::Stopped, ""};
    if (m_context) return {HealthState::Healthy, ""};
    // D-1: Degraded after more than three connect attempts; the guard's open circuit is
    // what reports Unhealthy.
    if (m_failed_attempts > kDegradedAfterAttempts) {
        return {HealthState::Degraded, "Multiple connection attempts"};
    }
    return {HealthState::Connecting, ""};
}

Lifecycle RedisKv::lifecycle() const {
    std::lock_guard lock(m_mutex);
    if (!m_started) return Lifecycle::Disconnected;
    if (m_context) return Lifecycle::Ready;
    return m_failed_attempts >= m_config.reconnect_attempts ? Lifecycle::Failed
                                                            : Lifecycle::Connecting;
}

u64 RedisKv::connections() const {
    return m_connected.load(std::memory_order_relaxed) ? 1 : 0;
}

void RedisKv::drop_connection_locked() {
    m_context.reset();
    m_connected = false;
}

Result<void> RedisKv::ensure_connected_locked() {
    if (!m_started) return Err(Status::Unavailable, "kv.stopped");
    if (m_context) return Ok();
    if (m_attempted && m_clock.now_ns() - m_last_attempt < m_config.reconnect_delay) {
        return Err(Status::Unavailable, "kv.redis_reconnect_pending");
    }
    ESTA_TRY(connect_locked());
    return load_scripts_locked();
}

Result<std::vector<Result<Value>>> RedisKv::run(std::span<const KvCommand> commands, bool atomic,
                                                Nanos deadline) {
    std::lock_guard lock(m_mutex);
    ESTA_TRY(ensure_connected_locked());
    Nanos remaining = deadline - m_clock.now_ns();
    if (remaining <= 0) return Err(Status::Timeout, "kv.deadline");
    redisSetTimeout(m_context.get(), to_timeval(std::min(remaining, m_config.read_timeout)));

    // (1) Write the whole batch, (2) read every reply: one round trip for the batch.
    std::vector<Argv> lines;
    if (atomic) {
        // Scripts are loaded before MULTI: inside a transaction a NOSCRIPT could not be
        // repaired without breaking atomicity.
        for (const KvCommand& command : commands) {
            if (command.op == kv_op::kEval)
                lines.push_back(words({"SCRIPT", "LOAD", command.script->source}));
        }
        lines.push_back(words({"MULTI"}));
    }
    for (const KvCommand& command : commands)
        lines.push_back(command_argv(command));
    if (atomic) lines.push_back(words({"EXEC"}));

    std::vector<const char*> pointers;
    std::vector<size_t> lengths;
    for (const Argv& line : lines) {
        line.views(pointers, lengths);
        if (redisAppendCommandArgv(m_context.get(), line.count(), pointers.data(),
                                   lengths.data()) != REDIS_OK) {
            drop_connection_locked();
            return Err(Status::Unavailable, "kv.redis_append");
        }
    }
    std::vector<ReplyHandle> replies;
    for (std::size_t i = 0; i < lines.size(); ++i) {
        void* raw = nullptr;
        if (redisGetReply(m_context.get(), &raw) != REDIS_OK) {
            bool timed_out =
                m_context->err == REDIS_ERR_IO && (errno == EAGAIN || errno == EWOULDBLOCK);
            drop_connection_locked();
            bool safe = std::all_of(commands.begin(), commands.end(), idempotent);
            // Sent but unanswered: only a batch that may run twice is "not performed".
            if (safe && !timed_out) return Err(Status::Unavailable, "kv.redis_connection_lost");
            return Err(Status::Timeout, "kv.redis_outcome_unknown");
        }
        replies.emplace_back(static_cast<redisReply*>(raw));
    }

    std::vector<Result<Value>> results;
    results.reserve(commands.size());
    if (atomic) {
        const redisReply* exec = replies.back().get();
        if (exec->type != REDIS_REPLY_ARRAY || exec->elements != commands.size()) {
            return Err(Status::DriverError, "kv.redis_exec_aborted");
        }
        for (std::size_t i = 0; i < commands.size(); ++i)
            results.push_back(convert(commands[i], exec->element[i]));
        return results;
    }
    for (std::size_t i = 0; i < commands.size(); ++i) {
        const redisReply* reply = replies[i].get();
        if (commands[i].op == kv_op::kEval && is_error_prefix(reply, "NOSCRIPT")) {
            // The server lost its script cache (a restart): load and run once more.
            ESTA_TRY(load_scripts_locked());
            Argv argv = command_argv(commands[i]);
            argv.views(pointers, lengths);
            ReplyHandle again(static_cast<redisReply*>(
                redisCommandArgv(m_context.get(), argv.count(), pointers.data(), lengths.data())));
            if (!again) {
                drop_connection_locked();
                return Err(Status::Timeout, "kv.redis_outcome_unknown");
            }
            results.push_back(convert(commands[i], again.get()));
            continue;
        }
        results.push_back(convert(commands[i], reply));
    }
    return results;
}

}  // namespace esta::drivers
