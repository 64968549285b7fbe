#include "drivers/host/call_wire.h"

#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "protocol/codec.h"
#include "protocol/frame.h"

namespace esta::drivers::host {

namespace {

// Contexts a reply may carry back; Error::context must point at static storage, so the
// receiver maps the text onto one of these (or a generic one).
const char* static_context(std::string_view text) {
    static constexpr std::array kKnown = {
        "kv.key_absent",
        "kv.family_denied",
        "kv.script_denied",
        "kv.script_unregistered",
        "kv.script_key_undeclared",
        "kv.multi_nested",
        "kv.exec_without_multi",
        "kv.discard_without_multi",
        "kv.wrong_type",
        "sql.statement_undeclared",
        "sql.statement_denied",
        "sql.param_type",
        "sql.param_count",
        "sql.no_transaction",
        "sql.nested_begin",
        "topic.produce_denied",
        "topic.consume_denied",
        "circuit.open",
        "driver.inflight",
        "driver.deadline",
    };
    for (const char* known : kKnown) {
        if (text == known) return known;
    }
    return "driver.remote_error";
}

const Value* field(const Value& map, std::string_view key) {
    return map_find(map, key);
}

Value string_list(const std::vector<std::string>& names) {
    ValueList list;
    for (const std::string& name : names)
        list.emplace_back(name);
    return Value(std::move(list));
}

Result<std::vector<std::string>> strings_of(const Value* value) {
    const ValueList* list = value != nullptr ? value->get<ValueList>() : nullptr;
    if (list == nullptr) return Err(Status::InvalidArgs, "wire.names");
    std::vector<std::string> names;
    for (const Value& item : *list) {
        const std::string* text = item.get<std::string>();
        if (text == nullptr) return Err(Status::InvalidArgs, "wire.name");
        names.push_back(*text);
    }
    return names;
}

Result<i64> integer_of(const Value& map, std::string_view key) {
    const Value* value = field(map, key);
    const i64* number = value != nullptr ? value->get<i64>() : nullptr;
    if (number == nullptr) return Err(Status::InvalidArgs, "wire.integer");
    return *number;
}

Result<std::string> text_of(const Value& map, std::string_view key) {
    const Value* value = field(map, key);
    const std::string* text = value != nullptr ? value->get<std::string>() : nullptr;
    if (text == nullptr) return Err(Status::InvalidArgs, "wire.text");
    return *text;
}

bool bool_of(const Value& map, std::string_view key) {
    const Value* value = field(map, key);
    return value != nullptr && value->get<bool>() != nullptr && *value->get<bool>();
}

}  // namespace

Value scope_to_value(const Scope& scope) {
    ValueMap map;
    map.emplace_back("grant", Value(scope.grant));
    if (const KvScope* kv = scope.kv()) {
        map.emplace_back("kind", Value("kv"));
        map.emplace_back("prefix", Value(kv->prefix));
        map.emplace_back("families", Value(static_cast<i64>(kv->families)));
        map.emplace_back("scripts", string_list(kv->scripts));
    } else if (const SqlScope* sql = scope.sql()) {
        map.emplace_back("kind", Value("sql"));
        map.emplace_back("statements", string_list(sql->statements));
    } else if (const TopicScope* topic = scope.topic()) {
        map.emplace_back("kind", Value("topic"));
        map.emplace_back("topic", Value(topic->topic));
        map.emplace_back("produce", Value(topic->produce));
        map.emplace_back("consume", Value(topic->consume));
        map.emplace_back("group", Value(topic->group));
    }
    return Value(std::move(map));
}

Result<Scope> scope_from_value(const Value& value) {
    Scope scope;
    scope.grant = ESTA_TRY(text_of(value, "grant"));
    std::string kind = ESTA_TRY(text_of(value, "kind"));
    if (kind == "kv") {
        KvScope kv;
        kv.prefix = ESTA_TRY(text_of(value, "prefix"));
        kv.families = static_cast<u32>(ESTA_TRY(integer_of(value, "families")));
        kv.scripts = ESTA_TRY(strings_of(field(value, "scripts")));
        scope.resource = std::move(kv);
    } else if (kind == "sql") {
        scope.resource = SqlScope{ESTA_TRY(strings_of(field(value, "statements")))};
    } else if (kind == "topic") {
        TopicScope topic;
        topic.topic = ESTA_TRY(text_of(value, "topic"));
        topic.produce = bool_of(value, "produce");
        topic.consume = bool_of(value, "consume");
        topic.group = ESTA_TRY(text_of(value, "group"));
        scope.resource = std::move(topic);
    } else {
        return Err(Status::InvalidArgs, "wire.scope_kind");
    }
    return scope;
}

protocol::Envelope call_envelope(const WireCall& call, const ValueCodec& codec, u64 sequence) {
    ValueMap map;
    map.emplace_back("op", Value(static_cast<i64>(call.op)));
    map.emplace_back("request", call.request);
    map.emplace_back("scope", scope_to_value(call.scope));
    map.emplace_back("binding", Value(static_cast<i64>(call.binding)));
    map.emplace_back("deadline", Value(call.deadline));
    map.emplace_back("caller", Value(call.caller == Caller::Kernel ? "kernel" : "module"));
    map.emplace_back("process", Value(call.process));
    protocol::Envelope envelope;
    envelope.id = protocol::MessageId{1, sequence};
    envelope.timestamp = protocol::HlcTimestamp{};
    envelope.kind = protocol::MessageKind::Command;
    envelope.type = "driver.call";
    envelope.payload = {protocol::PayloadFormat::Binary, 0, codec.encode(Value(std::move(map)))};
    return envelope;
}

Result<WireCall> parse_call(const protocol::Envelope& envelope, const ValueCodec& codec) {
    if (envelope.type != "driver.call") return Err(Status::InvalidArgs, "wire.not_a_call");
    Value map = ESTA_TRY(codec.decode(envelope.payload.bytes));
    WireCall call;
    call.op = static_cast<u32>(ESTA_TRY(integer_of(map, "op")));
    const Value* request = field(map, "request");
    if (request == nullptr || field(map, "scope") == nullptr) {
        return Err(Status::InvalidArgs, "wire.call_fields");
    }
    call.request = *request;
    call.scope = ESTA_TRY(scope_from_value(*field(map, "scope")));
    call.binding = static_cast<u64>(ESTA_TRY(integer_of(map, "binding")));
    call.deadline = ESTA_TRY(integer_of(map, "deadline"));
    call.caller = ESTA_TRY(text_of(map, "caller")) == "kernel" ? Caller::Kernel : Caller::Module;
    call.process = ESTA_TRY(text_of(map, "process"));
    return call;
}

protocol::Envelope release_envelope(u64 binding, const ValueCodec& codec, u64 sequence) {
    ValueMap map;
    map.emplace_back("binding", Value(static_cast<i64>(binding)));
    protocol::Envelope envelope;
    envelope.id = protocol::MessageId{1, sequence};
    envelope.timestamp = protocol::HlcTimestamp{};
    envelope.kind = protocol::MessageKind::Command;
    envelope.type = "driver.release";
    envelope.payload = {protocol::PayloadFormat::Binary, 0, codec.encode(Value(std::move(map)))};
    return envelope;
}

bool is_release(const protocol::Envelope& envelope) {
    return envelope.type == "driver.release";
}

Result<u64> parse_release(const protocol::Envelope& envelope, const ValueCodec& codec) {
    if (!is_release(envelope)) return Err(Status::InvalidArgs, "wire.not_a_release");
    Value map = ESTA_TRY(codec.decode(envelope.payload.bytes));
    return static_cast<u64>(ESTA_TRY(integer_of(map, "binding")));
}

protocol::Envelope reply_envelope(const protocol::Envelope& call, const Result<Value>& reply,
                                  const ValueCodec& codec) {
    ValueMap map;
    map.emplace_back("status", Value(static_cast<i64>(reply ? Status::Ok : reply.error().code)));
    map.emplace_back("context", Value(reply ? "" : reply.error().context));
    map.emplace_back("reply", reply ? *reply : Value());
    protocol::Envelope envelope;
    envelope.id = protocol::MessageId{2, call.id.low};
    envelope.kind = protocol::MessageKind::Response;
    envelope.type = "driver.reply";
    envelope.correlation_id = call.id;
    envelope.payload = {protocol::PayloadFormat::Binary, 0, codec.encode(Value(std::move(map)))};
    return envelope;
}

Result<Value> parse_reply(const protocol::Envelope& envelope, const ValueCodec& codec) {
    Value map = ESTA_TRY(codec.decode(envelope.payload.bytes));
    i64 status = ESTA_TRY(integer_of(map, "status"));
    if (status != 0) {
        std::string context = ESTA_TRY(text_of(map, "context"));
        if (!is_abi_status(static_cast<Status>(status))) {
            return Err(Status::DriverError, "driver.remote_error");
        }
        return Err(static_cast<Status>(status), static_context(context));
    }
    const Value* reply = field(map, "reply");
    if (reply == nullptr) return Err(Status::InvalidArgs, "wire.reply_fields");
    return *reply;
}

Result<void> write_frame(int fd, const std::vector<u8>& frame) {
    std::size_t written = 0;
    while (written < frame.size()) {
        ssize_t sent = ::send(fd, frame.data() + written, frame.size() - written, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) continue;
        if (sent < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return Err(Status::Timeout, "wire.send_timeout");
        }
        if (sent <= 0) return Err(Status::Unavailable, "wire.send");
        written += static_cast<std::size_t>(sent);
    }
    return Ok();
}

namespace {

Result<void> read_exact(int fd, u8* out, std::size_t size) {
    std::size_t done = 0;
    while (done < size) {
        ssize_t got = ::read(fd, out + done, size - done);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            return Err(Status::Timeout, "wire.read_timeout");
        }
        if (got <= 0) return Err(Status::Unavailable, "wire.peer_gone");
        done += static_cast<std::size_t>(got);
    }
    return Ok();
}

}  // namespace

Result<protocol::Envelope> read_envelope(int fd) {
    std::vector<u8> frame(protocol::kFrameHeaderBytes);
    ESTA_TRY(read_exact(fd, frame.data(), frame.size()));
    u32 length = 0;
    std::memcpy(&length, frame.data() + 4, sizeof length);  // Little-endian hosts only.
    protocol::FrameLimits limits;
    if (length > limits.max_body_bytes) {
        return Err(Status::PayloadTooLarge, "wire.frame_too_large",
                   Detail{.limit = limits.max_body_bytes, .actual = length});
    }
    frame.resize(protocol::kFrameHeaderBytes + length);
    ESTA_TRY(read_exact(fd, frame.data() + protocol::kFrameHeaderBytes, length));
    return protocol::decode_envelope(frame);
}

}  // namespace esta::drivers::host
