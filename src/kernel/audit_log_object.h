// The audit-log kernel object (ObjectType::AuditLog) a process reaches through the handle
// granted as "audit". The object only routes: records go to a KernelAuditLog, an interface
// of the kernel's own that the observe room's integrity-chained AuditLog backs, so the
// kernel does not depend on how records are chained or stored.
#pragma once

#include <span>
#include <string_view>

#include "base/result.h"
#include "kernel/object.h"

namespace esta::kernel {

class KernelAuditLog {
  public:
    virtual ~KernelAuditLog() = default;
    // Appends one record of `kind` written by `process`; the record's id in the log.
    virtual Result<u64> append(ProcessId process, std::string_view kind,
                               std::span<const u8> record) = 0;
};

class AuditLogObject final : public KernelObject {
  public:
    static constexpr ObjectType kType = ObjectType::AuditLog;

    // `log` is borrowed and outlives every handle to the object.
    AuditLogObject(ObjectId id, std::string name, KernelAuditLog& log)
        : KernelObject(id, Resource{kType, std::move(name), {}}), m_log(log) {}

    Result<u64> append(ProcessId process, std::string_view kind, std::span<const u8> record) {
        return m_log.append(process, kind, record);
    }

  private:
    KernelAuditLog& m_log;
};

}  // namespace esta::kernel
