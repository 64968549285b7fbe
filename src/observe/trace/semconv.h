// OpenTelemetry semantic-convention attributes for the driver calls the kernel traces
// (REQUIREMENTS O-4): Kafka producer/consumer, PostgreSQL and Redis. The names follow the
// semantic conventions as of v1.24 (db.system, db.name, db.operation; messaging.system,
// messaging.destination.name, messaging.kafka.*), which current collectors and backends
// index. Each helper returns the span name and kind the conventions prescribe as well.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "observe/trace/span_data.h"

namespace esta::observe::semconv {

struct SpanShape {
    std::string name;
    SpanKind kind = SpanKind::Client;
    std::vector<Attribute> attributes;
};

struct ServerEndpoint {
    std::string address;  // server.address: host name or IP, empty when not known.
    std::optional<i64> port;
};

enum class KafkaOperation : u8 { Publish, Receive, Process };

struct KafkaCall {
    KafkaOperation operation = KafkaOperation::Publish;
    std::string_view topic;
    std::optional<i64> partition;
    std::optional<i64> offset;
    std::optional<std::string_view> message_key;
    std::optional<std::string_view> consumer_group;
    std::optional<std::string_view> client_id;
    ServerEndpoint server;
};
// "<topic> publish" (PRODUCER) or "<topic> receive"/"<topic> process" (CONSUMER).
SpanShape kafka(const KafkaCall& call);

struct PostgresCall {
    std::string_view database;                  // db.name
    std::string_view operation;                 // db.operation: SELECT, INSERT, ...
    std::optional<std::string_view> table;      // db.sql.table
    std::optional<std::string_view> statement;  // db.statement, parameterized text only
    std::optional<std::string_view> user;       // db.user
    ServerEndpoint server;
};
// "<operation> <database>.<table>" (or fewer parts), CLIENT.
SpanShape postgres(const PostgresCall& call);

struct RedisCall {
    std::string_view command;  // db.operation: GET, SET, ...
    std::optional<i64> database_index;
    std::optional<std::string_view> statement;  // db.statement, without values
    ServerEndpoint server;
};
// The command name, CLIENT.
SpanShape redis(const RedisCall& call);

}  // namespace esta::observe::semconv
