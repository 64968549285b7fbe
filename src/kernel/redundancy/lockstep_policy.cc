#include "kernel/redundancy/lockstep_policy.h"

#include "observe/o5_feeds.h"

namespace esta::kernel {

ESTA_COUNTER(kLockstepComparisons, "kernel.lockstep_comparisons",
             "Replica effect comparisons (K-60).", "process");

std::string_view lockstep_state_name(LockstepState state) {
    switch (state) {
        case LockstepState::Idle:
            return "idle";
        case LockstepState::Comparing:
            return "comparing";
        case LockstepState::Retrying:
            return "retrying";
        case LockstepState::Released:
            return "released";
        case LockstepState::Quarantined:
            return "quarantined";
    }
    return "unknown";
}

LockstepPolicy::LockstepPolicy(std::string subject, LockstepConfig config,
                               observe::MetricsRegistry& metrics, SafetySink& sink)
    : m_subject(std::move(subject)),
      m_config(config),
      m_sink(sink),
      m_comparisons(metrics.counter(kLockstepComparisons, {m_subject})),
      m_retries(metrics.counter(observe::kReplicaDivergences, {m_subject, "retry"})),
      m_quarantines(metrics.counter(observe::kReplicaDivergences, {m_subject, "quarantine"})) {}

void LockstepPolicy::begin(u64 message_sequence) {
    if (m_state == LockstepState::Quarantined) return;
    m_state = LockstepState::Comparing;
    m_message_sequence = message_sequence;
    m_attempts = 0;
    m_last_divergence.reset();
}

LockstepDecision LockstepPolicy::decide_failure(std::string_view detail, i64 index, Nanos now) {
    LockstepDecision decision = LockstepDecision::Quarantine;
    if (m_attempts < m_config.max_retries) {
        ++m_attempts;
        m_state = LockstepState::Retrying;
        m_retries.inc();
        decision = LockstepDecision::Retry;
    } else {
        m_state = LockstepState::Quarantined;
        m_quarantines.inc();
    }
    bool quarantine = decision == LockstepDecision::Quarantine;
    m_sink.report(
        SafetyEvent{.event = quarantine ? "lockstep.quarantine" : "lockstep.divergence",
                    .subject = m_subject,
                    .detail = detail,
                    .severity = quarantine ? SafetySeverity::Alarm : SafetySeverity::Audit,
                    .actual = index,
                    .limit = static_cast<i64>(m_message_sequence),
                    .at = now});
    return decision;
}

LockstepDecision LockstepPolicy::on_compared(const EffectLog& left, const EffectLog& right,
                                             Nanos now) {
    if (m_state == LockstepState::Quarantined) return LockstepDecision::Quarantine;
    // Comparing outside a begun message is a kernel bug; refusing to release is the safe side.
    ESTA_ASSERT(m_state == LockstepState::Comparing || m_state == LockstepState::Retrying);
    m_comparisons.inc();
    std::optional<Divergence> divergence = first_divergence(left, right);
    if (!divergence) {
        m_state = LockstepState::Released;
        return LockstepDecision::Release;
    }
    m_last_divergence = divergence;
    return decide_failure(divergence_field_name(divergence->field),
                          static_cast<i64>(divergence->index), now);
}

LockstepDecision LockstepPolicy::on_integrity_failure(std::string_view what, Nanos now) {
    if (m_state == LockstepState::Quarantined) return LockstepDecision::Quarantine;
    // Released here means compared equal but not yet let out: the check still vetoes it.
    ESTA_ASSERT(m_state != LockstepState::Idle);
    return decide_failure(what, -1, now);
}

void LockstepPolicy::reset() {
    m_state = LockstepState::Idle;
    m_attempts = 0;
    m_last_divergence.reset();
}

}  // namespace esta::kernel
