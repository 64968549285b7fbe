// Text forms of a LogRecord: JSON lines for machines, one readable line for humans.
#pragma once

#include <string>

#include "observe/log.h"

namespace esta::observe {

enum class LogFormat : u8 { JsonLines, Console };

// {"ts_ns":…,"time":"2026-…Z","severity":"info","category":"kernel","pid":3,
//  "message":"…","fields":{"key":value,…}} followed by '\n'. Fields keep the caller's order;
// u64 values above 2^53 are written as strings so JSON readers do not round them.
void append_json_line(std::string& out, const LogRecord& record);

// "2026-11-27T22:36:12.000000001Z WARN  kernel pid=3 mailbox full depth=64\n"
void append_console_line(std::string& out, const LogRecord& record);

void append_record(std::string& out, const LogRecord& record, LogFormat format);

// RFC 3339 UTC with nanoseconds, from nanoseconds since the epoch.
std::string format_timestamp(i64 timestamp_ns);

}  // namespace esta::observe
