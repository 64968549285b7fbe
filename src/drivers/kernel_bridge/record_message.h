// Consumed topic records as the messages a process receives (ABI.md "Driver calls", topic):
// type 0x0100, payload = one value record {key, headers, partition, offset, timestamp,
// tombstone} in the value encoding, then the record's value bytes unchanged. A guest reads
// the record (values are self-delimiting) and takes the rest as the payload, so a payload is
// never copied into a value and may be as large as the message limit allows.
#pragma once

#include <vector>

#include "drivers/topic_driver.h"

namespace esta::drivers {

inline constexpr u32 kRecordMessageType = 0x0100;  // kernel::message_types::kDriverRecord

// The record part: key (bytes, or null when the record has none), headers (map of name to
// bytes), partition (i64), offset (i64), timestamp, tombstone (true when the value is absent).
Value record_message_header(const TopicRecord& record);

// The whole message payload: the encoded header, then the value bytes (none for a tombstone).
std::vector<u8> record_message_payload(const TopicRecord& record);

}  // namespace esta::drivers
