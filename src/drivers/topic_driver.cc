#include "drivers/topic_driver.h"

namespace esta::drivers {

namespace {

Value optional_bytes(const std::optional<std::string>& bytes) {
    return bytes ? bytes_value(*bytes) : Value();
}

Result<std::optional<std::string>> optional_bytes_arg(const Args& args, std::size_t index,
                                                      const char* context) {
    const Value* value = args.at(index);
    if (value == nullptr || value->is_null()) return std::optional<std::string>{};
    auto view = byte_view(*value);
    if (!view) return Err(Status::InvalidArgs, context, Detail{.index = index});
    return std::optional<std::string>{std::string(*view)};
}

}  // namespace

Value record_value(const TopicRecord& record) {
    ValueMap headers;
    for (const auto& [name, bytes] : record.headers)
        headers.emplace_back(name, bytes_value(bytes));
    ValueMap map;
    map.emplace_back("key", optional_bytes(record.key));
    map.emplace_back("value", optional_bytes(record.value));
    map.emplace_back("headers", Value(std::move(headers)));
    map.emplace_back("partition", Value(static_cast<i64>(record.partition)));
    map.emplace_back("offset", Value(record.offset));
    map.emplace_back("timestamp", Value(kernel::abi::Timestamp{record.timestamp}));
    return Value(std::move(map));
}

Result<TopicRecord> record_from_value(const Value& value) {
    const Value* partition = map_find(value, "partition");
    const Value* offset = map_find(value, "offset");
    const Value* timestamp = map_find(value, "timestamp");
    if (partition == nullptr || partition->get<i64>() == nullptr || offset == nullptr ||
        offset->get<i64>() == nullptr || *partition->get<i64>() < 0 ||
        *partition->get<i64>() > INT32_MAX) {
        return Err(Status::InvalidArgs, "topic.record");
    }
    TopicRecord record;
    record.partition = static_cast<i32>(*partition->get<i64>());
    record.offset = *offset->get<i64>();
    if (timestamp != nullptr && timestamp->get<kernel::abi::Timestamp>() != nullptr) {
        record.timestamp = timestamp->get<kernel::abi::Timestamp>()->ns;
    }
    for (const char* name : {"key", "value"}) {
        const Value* field = map_find(value, name);
        if (field == nullptr || field->is_null()) continue;
        auto view = byte_view(*field);
        if (!view) return Err(Status::InvalidArgs, "topic.record");
        (name[0] == 'k' ? record.key : record.value) = std::string(*view);
    }
    const Value* headers = map_find(value, "headers");
    if (headers != nullptr && headers->get<ValueMap>() != nullptr) {
        for (const auto& [name, bytes] : *headers->get<ValueMap>()) {
            auto view = byte_view(bytes);
            if (!view) return Err(Status::InvalidArgs, "topic.record");
            record.headers.emplace_back(name, std::string(*view));
        }
    }
    return record;
}

TopicDriver::TopicDriver(std::unique_ptr<TopicBackend> backend, observe::AuditSink* audit)
    : m_backend(std::move(backend)), m_denials(audit) {}

Result<Value> TopicDriver::produce(const TopicScope& scope, const Value& request,
                                   const CallContext& context) {
    if (!scope.produce) {
        return m_denials.deny(Status::AccessDenied, "topic.produce_denied", context.scope.grant,
                              context.process, scope.topic);
    }
    Args args(request);
    TopicRecord record;
    record.key = ESTA_TRY(optional_bytes_arg(args, 0, "topic.key"));
    record.value = ESTA_TRY(optional_bytes_arg(args, 1, "topic.value"));
    const Value* headers = args.at(2);
    if (headers != nullptr && !headers->is_null()) {
        const ValueMap* map = headers->get<ValueMap>();
        if (map == nullptr) return Err(Status::InvalidArgs, "topic.headers");
        for (const auto& [name, value] : *map) {
            auto view = byte_view(value);
            if (!view) return Err(Status::InvalidArgs, "topic.header_value");
            record.headers.emplace_back(name, std::string(*view));
        }
    }
    auto partition = ESTA_TRY(args.optional_integer(3, "topic.partition"));
    if (partition) {
        if (*partition < 0 || *partition > INT32_MAX) {
            return Err(Status::InvalidArgs, "topic.partition");
        }
        record.partition = static_cast<i32>(*partition);
    }
    i64 offset = ESTA_TRY(m_backend->produce(scope.topic, record, context.deadline));
    return Value(offset);
}

Result<Value> TopicDriver::consume_op(u32 op, const TopicScope& scope, const Value& request,
                                      const CallContext& context) {
    // Consuming is declared in the manifest and done by the kernel; a module asking is
    // refused like any other out-of-scope request.
    if (context.caller != Caller::Kernel || !scope.consume) {
        return m_denials.deny(Status::AccessDenied, "topic.consume_denied", context.scope.grant,
                              context.process, scope.topic);
    }
    Args args(request);
    switch (op) {
        case topic_op::kPoll: {
            i64 max = ESTA_TRY(args.integer(0, "topic.poll_max"));
            if (max <= 0) return Err(Status::InvalidArgs, "topic.poll_max");
            auto records =
                ESTA_TRY(m_backend->poll(scope.topic, scope.group, context.binding,
                                         static_cast<std::size_t>(max), context.deadline));
            ValueList list;
            for (const TopicRecord& record : records)
                list.push_back(record_value(record));
            return Value(std::move(list));
        }
        case topic_op::kCommit: {
            i64 partition = ESTA_TRY(args.integer(0, "topic.commit_partition"));
            i64 offset = ESTA_TRY(args.integer(1, "topic.commit_offset"));
            if (partition < 0 || partition > INT32_MAX || offset < 0) {
                return Err(Status::InvalidArgs, "topic.commit_range");
            }
            // The handler succeeded on `offset`: the group resumes after it.
            ESTA_TRY(m_backend->commit(scope.topic, scope.group, context.binding,
                                       static_cast<i32>(partition), offset + 1));
            return Value();
        }
        case topic_op::kSeek: {
            i64 partition = ESTA_TRY(args.integer(0, "topic.seek_partition"));
            if (partition < 0 || partition > INT32_MAX) {
                return Err(Status::InvalidArgs, "topic.seek_partition");
            }
            SeekTarget target;
            const Value* where = args.at(1);
            if (where != nullptr && where->get<i64>() != nullptr && *where->get<i64>() >= 0) {
                target.offset = *where->get<i64>();
            } else if (where != nullptr && where->get<std::string>() != nullptr &&
                       *where->get<std::string>() == "beginning") {
                target.kind = SeekTarget::Kind::Beginning;
            } else if (where != nullptr && where->get<std::string>() != nullptr &&
                       *where->get<std::string>() == "end") {
                target.kind = SeekTarget::Kind::End;
            } else if (where != nullptr && where->get<kernel::abi::Timestamp>() != nullptr) {
                target.kind = SeekTarget::Kind::Timestamp;
                target.timestamp = where->get<kernel::abi::Timestamp>()->ns;
            } else {
                return Err(Status::InvalidArgs, "topic.seek_target");
            }
            ESTA_TRY(m_backend->seek(scope.topic, scope.group, context.binding,
                                     static_cast<i32>(partition), target, context.deadline));
            return Value();
        }
        default:
            return Err(Status::InvalidArgs, "topic.unknown_op", Detail{.actual = op});
    }
}

Result<Value> TopicDriver::call(u32 op, const Value& request, const CallContext& context) {
    const TopicScope* scope = context.scope.topic();
    if (scope == nullptr) return Err(Status::WrongType, "topic.scope");
    if (op == topic_op::kProduce) return produce(*scope, request, context);
    if (op >= topic_op::kKernelOpBase) return consume_op(op, *scope, request, context);
    return Err(Status::InvalidArgs, "topic.unknown_op", Detail{.actual = op});
}

}  // namespace esta::drivers
