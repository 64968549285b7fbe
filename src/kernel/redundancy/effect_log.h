// EffectLog (REQUIREMENTS K-60): what one replica did while handling one message — the
// messages it sent, the driver requests it made, the audit records it wrote, and a digest
// of the memory pages the message dirtied (not of all memory: cost follows the work done).
// Each effect is kept as its kind, its target and a SHA-256 of its bytes, in the order the
// replica produced it; the bytes themselves stay in the replica's outbox until the
// comparison releases them, so two logs are compared without copying payloads.
#pragma once

#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/types.h"
#include "observe/crypto.h"

namespace esta::kernel {

// KernelRequest: any other syscall a replica made (the time, a receive, a log line): two
// replicas must ask the kernel the same things in the same order.
enum class EffectKind : u8 {
    MessageSent,
    DriverRequest,
    AuditRecord,
    DirtyPages,
    Outcome,
    KernelRequest
};
std::string_view effect_kind_name(EffectKind kind);

struct Effect {
    EffectKind kind = EffectKind::MessageSent;
    // Endpoint object id, driver handle and operation, or audit event hash — whatever
    // identifies where the effect lands; two replicas must agree on it exactly.
    u64 target = 0;
    u64 size = 0;  // Bytes (pages for DirtyPages).
    observe::Digest digest{};

    bool operator==(const Effect&) const = default;
};

class EffectLog {
  public:
    EffectLog() = default;
    explicit EffectLog(u64 message_sequence) : m_message_sequence(message_sequence) {}

    void message_sent(u64 endpoint, ByteSpan payload);
    void driver_request(u64 driver, u32 operation, ByteSpan request);
    void audit_record(std::string_view event, ByteSpan record);
    // The dirty-page digest, recorded once at the end of the message (see DirtyPageTracker).
    void dirty_pages(u64 page_count, const observe::Digest& digest);
    // How the handler ended: `how` 0 returned, 1 trapped, 2 exited; `code` the returned
    // value, trap kind or exit code. A replica that trapped where the other did not diverges.
    void outcome(u64 how, u64 code);
    void add(const Effect& effect) { m_effects.push_back(effect); }

    u64 message_sequence() const { return m_message_sequence; }
    const std::vector<Effect>& effects() const { return m_effects; }
    void clear() { m_effects.clear(); }

  private:
    u64 m_message_sequence = 0;  // Which input message these effects answer.
    std::vector<Effect> m_effects;
};

}  // namespace esta::kernel
