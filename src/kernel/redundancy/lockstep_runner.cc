#include "kernel/redundancy/lockstep_runner.h"

#include "wasm/fault_hooks.h"

namespace esta::kernel {

LockstepRunner::LockstepRunner(std::vector<u8> bytes, std::string subject, LockstepOptions options,
                               LockstepServices services, observe::MetricsRegistry& metrics,
                               SafetySink& sink)
    : m_bytes(std::move(bytes)),
      m_bytes_digest(observe::sha256(ByteSpan(m_bytes.data(), m_bytes.size()))),
      m_subject(std::move(subject)),
      m_options(options),
      m_services(std::move(services)),
      m_policy(m_subject, options.policy, metrics, sink) {}

LockstepRunner::~LockstepRunner() = default;

Result<std::unique_ptr<LockstepRunner>> LockstepRunner::create(
    std::vector<u8> module_bytes, std::string subject, LockstepOptions options,
    LockstepServices services, observe::MetricsRegistry& metrics, SafetySink& sink) {
    std::unique_ptr<LockstepRunner> runner(new LockstepRunner(
        std::move(module_bytes), std::move(subject), options, std::move(services), metrics, sink));
    auto first = ESTA_TRY(runner->compile());
    runner->m_code_digest = wasm::lowered_code_digest(*first);
    runner->m_modules[0] = first;
    if (options.private_code) {
        runner->m_modules[1] = ESTA_TRY(runner->compile());
    } else {
        runner->m_modules[1] = first;
    }
    for (u32 index = 0; index < 2; ++index) {
        runner->m_replicas[index] =
            ESTA_TRY(Replica::create(index, runner->m_modules[index], runner->m_journal,
                                     runner->m_services, options.message_fuel));
    }
    runner->m_released.capture(runner->m_replicas[0]->instance());
    if (options.threads) runner->m_worker = std::make_unique<ReplicaWorker>(options.core);
    return runner;
}

Result<std::shared_ptr<const wasm::CompiledModule>> LockstepRunner::compile() const {
    ByteSpan bytes(m_bytes.data(), m_bytes.size());
    // The bytes are the root of every fresh copy: a corrupt source must not be recompiled.
    if (observe::sha256(bytes) != m_bytes_digest)
        return Err(Status::Internal, "lockstep: the module bytes changed");
    auto module = ESTA_TRY(wasm::compile(bytes));
    return std::shared_ptr<const wasm::CompiledModule>(std::move(module));
}

Result<u32> LockstepRunner::verify_code() {
    m_since_check = 0;
    u32 corrupt = 0;
    const u32 copies = m_options.private_code ? 2 : 1;
    for (u32 index = 0; index < copies; ++index) {
        if (wasm::lowered_code_digest(*m_modules[index]) == m_code_digest) continue;
        ++corrupt;
        m_modules[index] = ESTA_TRY(compile());
    }
    if (!m_options.private_code) m_modules[1] = m_modules[0];
    m_code_failures += corrupt;
    if (corrupt > 0) ESTA_TRY(rebuild());
    return corrupt;
}

Result<void> LockstepRunner::rebuild() {
    for (u32 index = 0; index < 2; ++index) {
        m_replicas[index].reset();
        m_replicas[index] = ESTA_TRY(Replica::create(index, m_modules[index], m_journal, m_services,
                                                     m_options.message_fuel));
        ESTA_TRY(m_released.restore(m_replicas[index]->instance()));
    }
    return {};
}

Result<void> LockstepRunner::reset() {
    ESTA_TRY(verify_code());
    ESTA_TRY(rebuild());
    m_policy.reset();
    return {};
}

void LockstepRunner::step_both(ReplicaStop& first, ReplicaStop& second) {
    m_journal.set_leader_stopped(false);
    if (m_worker) {
        m_worker->start([this, &second] { second = m_replicas[1]->run(); });
        first = m_replicas[0]->run();
        m_journal.set_leader_stopped(true);
        m_worker->wait();
        return;
    }
    first = m_replicas[0]->run();
    m_journal.set_leader_stopped(true);
    second = m_replicas[1]->run();
}

LockstepDecision LockstepRunner::run_attempt(ReplicaStop& stop) {
    Replica& left = *m_replicas[0];
    Replica& right = *m_replicas[1];
    for (;;) {
        ReplicaStop second;
        step_both(stop, second);
        const bool synced =
            stop.kind == ReplicaStop::Kind::Sync && second.kind == ReplicaStop::Kind::Sync;
        if (synced && !first_divergence(left.log(), right.log())) {
            // Both made the same request: it leaves once, both get the same reply.
            const ParkedEffect& request = *left.pending_request();
            const u64 driver = request.target >> 16;
            const u32 operation = static_cast<u32>(request.target & 0xFFFF);
            std::optional<std::vector<u8>> reply;
            if (m_services.driver) {
                auto answer = m_services.driver(
                    driver, operation, ByteSpan(request.bytes.data(), request.bytes.size()));
                if (answer) reply = std::move(*answer);
            }
            left.give_reply(reply);
            right.give_reply(std::move(reply));
            continue;
        }
        if (!synced) {
            left.finish(stop, m_released);
            right.finish(second, m_released);
        }
        return m_policy.on_compared(left.log(), right.log(), report_time());
    }
}

Nanos LockstepRunner::report_time() const {
    return m_services.clock ? m_services.clock() : 0;
}

void LockstepRunner::release(LockstepOutcome& outcome) {
    for (const ParkedEffect& effect : m_replicas[0]->outbox()) {
        ByteSpan bytes(effect.bytes.data(), effect.bytes.size());
        if (effect.kind == EffectKind::MessageSent && m_services.deliver)
            m_services.deliver(effect.target, bytes);
        if (effect.kind == EffectKind::AuditRecord && m_services.audit) m_services.audit(bytes);
        outcome.released.push_back(effect);
    }
    m_released.update(m_replicas[0]->instance(), m_replicas[0]->dirty());
}

Result<LockstepOutcome> LockstepRunner::handle(u64 sequence, ByteSpan message,
                                               const FaultPlan* fault) {
    LockstepOutcome outcome;
    if (m_policy.state() == LockstepState::Quarantined) {
        outcome.decision = LockstepDecision::Quarantine;
        outcome.attempts = 0;
        return outcome;
    }
    m_policy.begin(sequence);
    for (outcome.attempts = 1;; ++outcome.attempts) {
        m_journal.reset();
        for (auto& replica : m_replicas)
            replica->begin(
                sequence, message,
                outcome.attempts == 1 || (fault && fault->every_attempt) ? fault : nullptr);
        LockstepDecision decision = run_attempt(outcome.stop);
        if (decision == LockstepDecision::Release &&
            (outcome.mismatches > 0 || (m_options.code_check_interval > 0 &&
                                        ++m_since_check >= m_options.code_check_interval))) {
            const u32 corrupt = ESTA_TRY(verify_code());
            if (corrupt > 0)
                decision = m_policy.on_integrity_failure("code_checksum", report_time());
        }
        if (decision == LockstepDecision::Release) {
            release(outcome);
            return outcome;
        }
        ++outcome.mismatches;
        // Fresh replicas from the released state, with their code checked first.
        ESTA_TRY(verify_code());
        ESTA_TRY(rebuild());
        if (decision == LockstepDecision::Quarantine) {
            outcome.decision = LockstepDecision::Quarantine;
            return outcome;
        }
    }
}

}  // namespace esta::kernel
