#include "kernel/redundancy/effect_log.h"

namespace esta::kernel {

std::string_view effect_kind_name(EffectKind kind) {
    switch (kind) {
        case EffectKind::MessageSent:
            return "message_sent";
        case EffectKind::DriverRequest:
            return "driver_request";
        case EffectKind::AuditRecord:
            return "audit_record";
        case EffectKind::DirtyPages:
            return "dirty_pages";
        case EffectKind::Outcome:
            return "outcome";
        case EffectKind::KernelRequest:
            return "kernel_request";
    }
    return "unknown";
}

void EffectLog::message_sent(u64 endpoint, ByteSpan payload) {
    m_effects.push_back(
        Effect{EffectKind::MessageSent, endpoint, payload.size(), observe::sha256(payload)});
}

void EffectLog::driver_request(u64 driver, u32 operation, ByteSpan request) {
    // Driver and operation share the target so a replica calling the same driver with a
    // different operation diverges on the target, not just the digest.
    m_effects.push_back(Effect{EffectKind::DriverRequest, (driver << 16) ^ operation,
                               request.size(), observe::sha256(request)});
}

void EffectLog::audit_record(std::string_view event, ByteSpan record) {
    observe::Sha256 hasher;
    hasher.update(ByteSpan(reinterpret_cast<const u8*>(event.data()), event.size()));
    observe::Digest event_digest = hasher.finish();
    u64 target = 0;
    for (int i = 0; i < 8; ++i)
        target = (target << 8) | event_digest[static_cast<std::size_t>(i)];
    m_effects.push_back(
        Effect{EffectKind::AuditRecord, target, record.size(), observe::sha256(record)});
}

void EffectLog::dirty_pages(u64 page_count, const observe::Digest& digest) {
    m_effects.push_back(Effect{EffectKind::DirtyPages, 0, page_count, digest});
}

void EffectLog::outcome(u64 how, u64 code) {
    m_effects.push_back(Effect{EffectKind::Outcome, how, code, observe::Digest{}});
}

}  // namespace esta::kernel
