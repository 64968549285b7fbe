#include "observe/trace/semconv.h"

namespace esta::observe::semconv {

namespace {

void put(SpanShape& shape, std::string_view key, AttributeValue value) {
    put_attribute(shape.attributes, key, std::move(value));
}

void put_server(SpanShape& shape, const ServerEndpoint& server) {
    if (!server.address.empty()) put(shape, "server.address", server.address);
    if (server.port) put(shape, "server.port", *server.port);
}

std::string_view kafka_operation_name(KafkaOperation operation) {
    switch (operation) {
        case KafkaOperation::Publish:
            return "publish";
        case KafkaOperation::Receive:
            return "receive";
        case KafkaOperation::Process:
            return "process";
    }
    return "publish";
}

}  // namespace

SpanShape kafka(const KafkaCall& call) {
    SpanShape shape;
    const std::string_view operation = kafka_operation_name(call.operation);
    shape.name = std::string(call.topic) + " " + std::string(operation);
    shape.kind =
        call.operation == KafkaOperation::Publish ? SpanKind::Producer : SpanKind::Consumer;
    put(shape, "messaging.system", std::string("kafka"));
    put(shape, "messaging.operation", std::string(operation));
    put(shape, "messaging.destination.name", std::string(call.topic));
    if (call.partition) put(shape, "messaging.kafka.destination.partition", *call.partition);
    if (call.offset) put(shape, "messaging.kafka.message.offset", *call.offset);
    if (call.message_key) put(shape, "messaging.kafka.message.key", std::string(*call.message_key));
    if (call.consumer_group)
        put(shape, "messaging.kafka.consumer.group", std::string(*call.consumer_group));
    if (call.client_id) put(shape, "messaging.client_id", std::string(*call.client_id));
    put_server(shape, call.server);
    return shape;
}

SpanShape postgres(const PostgresCall& call) {
    SpanShape shape;
    shape.kind = SpanKind::Client;
    shape.name = std::string(call.operation);
    std::string target(call.database);
    if (call.table) target += (target.empty() ? "" : ".") + std::string(*call.table);
    if (!target.empty()) shape.name += (shape.name.empty() ? "" : " ") + target;
    if (shape.name.empty()) shape.name = "postgresql";
    put(shape, "db.system", std::string("postgresql"));
    if (!call.database.empty()) put(shape, "db.name", std::string(call.database));
    if (!call.operation.empty()) put(shape, "db.operation", std::string(call.operation));
    if (call.table) put(shape, "db.sql.table", std::string(*call.table));
    if (call.statement) put(shape, "db.statement", std::string(*call.statement));
    if (call.user) put(shape, "db.user", std::string(*call.user));
    put_server(shape, call.server);
    return shape;
}

SpanShape redis(const RedisCall& call) {
    SpanShape shape;
    shape.kind = SpanKind::Client;
    shape.name = call.command.empty() ? "redis" : std::string(call.command);
    put(shape, "db.system", std::string("redis"));
    if (!call.command.empty()) put(shape, "db.operation", std::string(call.command));
    if (call.database_index) put(shape, "db.redis.database_index", *call.database_index);
    if (call.statement) put(shape, "db.statement", std::string(*call.statement));
    put_server(shape, call.server);
    return shape;
}

}  // namespace esta::observe::semconv
