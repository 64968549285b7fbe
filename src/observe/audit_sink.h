// AuditSink: what every room calls to leave a tamper-evident record of a decision
// (REQUIREMENTS O-2). The kernel maps a guest's `audit` import onto it; the concrete
// integrity-chained log is AuditLog (audit_log.h).
#pragma once

#include <string_view>

#include "base/result.h"
#include "observe/value.h"

namespace esta::observe {

class AuditSink {
  public:
    virtual ~AuditSink() = default;
    // Appends one record: `event` names what happened ("capability.denied",
    // "process.spawned", "compliance.accrual"); `data` holds its fields (no floats: Invalid).
    // Returns the record's sequence number. Thread-safe.
    virtual Result<u64> append(std::string_view event, const Value::Map& data) = 0;
};

}  // namespace esta::observe
