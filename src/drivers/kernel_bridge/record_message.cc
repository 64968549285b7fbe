#include "drivers/kernel_bridge/record_message.h"

#include "kernel/abi_value.h"
#include "kernel/message.h"

namespace esta::drivers {

static_assert(kRecordMessageType == kernel::message_types::kDriverRecord.value());

Value record_message_header(const TopicRecord& record) {
    ValueMap headers;
    for (const auto& [name, bytes] : record.headers)
        headers.emplace_back(name, bytes_value(bytes));
    ValueMap map;
    map.emplace_back("key", record.key ? bytes_value(*record.key) : Value());
    map.emplace_back("headers", Value(std::move(headers)));
    map.emplace_back("partition", Value(static_cast<i64>(record.partition)));
    map.emplace_back("offset", Value(record.offset));
    map.emplace_back("timestamp", Value(kernel::abi::Timestamp{record.timestamp}));
    map.emplace_back("tombstone", Value(!record.value.has_value()));
    return Value(std::move(map));
}

std::vector<u8> record_message_payload(const TopicRecord& record) {
    std::vector<u8> payload;
    kernel::abi::encode_value(record_message_header(record), payload);
    if (record.value) payload.insert(payload.end(), record.value->begin(), record.value->end());
    return payload;
}

}  // namespace esta::drivers
