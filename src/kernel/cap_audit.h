// The capability decisions REQUIREMENTS K-18 wants on the record: create, validate-denied,
// delegate, revoke, expire, use-limit reached. The kernel reports them to this interface;
// the observe room backs it with the integrity-chained audit log, tests with a recorder.
// Implementations must not block (the kernel calls them on its own threads) and must not
// call back into the capability system.
#pragma once

#include <string_view>

#include "base/status.h"
#include "kernel/ids.h"
#include "kernel/rights.h"

namespace esta::kernel {

enum class CapEventKind : u8 {
    Created,          // A root grant was issued.
    Denied,           // A check failed; `status` says why (BAD_HANDLE .. USES_EXHAUSTED).
    Delegated,        // A capability was derived from `parent`.
    Revoked,          // A revocation finished; `count` capabilities were revoked.
    Expired,          // First use of a capability found it past its expiry.
    UseLimitReached,  // A performed use spent the last of a shared use budget.
};

std::string_view cap_event_kind_name(CapEventKind kind);

struct CapEvent {
    CapEventKind kind = CapEventKind::Denied;
    Nanos at = 0;
    ProcessId process{};  // Who acted (the caller, the deriver, the revoker).
    CapId cap{};          // The capability concerned (0 when a handle value named none).
    CapId parent{};       // For Delegated: the capability derived from.
    ObjectId object{};
    Rights rights{};  // Created/Delegated: the rights issued; Denied: the rights asked.
    Status status = Status::Ok;
    u64 count = 0;  // Revoked: capabilities revoked; UseLimitReached: the limit.
};

class CapabilityAudit {
  public:
    virtual ~CapabilityAudit() = default;
    virtual void record(const CapEvent& event) = 0;
};

// For tools and tests that do not care.
class NullCapabilityAudit final : public CapabilityAudit {
  public:
    void record(const CapEvent&) override {}
};

}  // namespace esta::kernel
