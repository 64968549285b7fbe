#include "kernel/supervisor.h"

#include <algorithm>

#include "base/assert.h"

namespace esta::kernel {

std::string_view escalation_level_name(EscalationLevel level) {
    switch (level) {
        case EscalationLevel::RestartWithState:
            return "L1 restart with state";
        case EscalationLevel::RestartClean:
            return "L2 restart clean";
        case EscalationLevel::ReloadModule:
            return "L3 reload module";
        case EscalationLevel::RestartSupervisor:
            return "L4 restart supervisor";
        case EscalationLevel::RestartSystem:
            return "L5 restart system";
    }
    return "unknown";
}

// ---- Escalation ---------------------------------------------------------------------

EscalationLevel Escalation::record_failure(Nanos now) {
    if (m_level == EscalationLevel::RestartSystem) return m_level;
    // K-30: at L4 there is no count; the next failure is the system's.
    if (m_level == EscalationLevel::RestartSupervisor) {
        m_level = EscalationLevel::RestartSystem;
        return m_level;
    }
    // Forget failures that left the window ("3 in 60 s": one exactly 60 s old is out).
    u32 kept = 0;
    for (u32 i = 0; i < m_recent_count; ++i) {
        if (now - m_recent[i] < kEscalationWindow) m_recent[kept++] = m_recent[i];
    }
    m_recent_count = kept;
    ESTA_ASSERT(m_recent_count < kEscalationFailures);
    m_recent[m_recent_count++] = now;
    if (m_recent_count >= kEscalationFailures) {
        m_level = static_cast<EscalationLevel>(static_cast<u8>(m_level) + 1);
        m_recent_count = 0;
    }
    return m_level;
}

void Escalation::reset() {
    m_level = EscalationLevel::RestartWithState;
    m_recent_count = 0;
}

// ---- Restart timing -----------------------------------------------------------------

Nanos restart_delay(u32 restart) {
    if (restart <= 1) return 0;
    // Doubling from 1 s passes 30 s after five steps; stop there so the shift cannot overflow.
    Nanos delay = kRestartBaseDelay;
    for (u32 step = 2; step < restart && delay < kRestartMaxDelay; ++step)
        delay *= 2;
    return std::min(delay, kRestartMaxDelay);
}

// ---- Poison messages ----------------------------------------------------------------

Result<void> InMemoryDeadLetters::add(DeadLetterRecord record) {
    m_records.push_back(std::move(record));
    return Ok();
}

TrapClass classify_trap(wasm::TrapKind kind) {
    switch (kind) {
        case wasm::TrapKind::Unreachable:
        case wasm::TrapKind::IntegerDivideByZero:
        case wasm::TrapKind::IntegerOverflow:
        case wasm::TrapKind::OutOfBounds:
        case wasm::TrapKind::IndirectCallMismatch:
        case wasm::TrapKind::CallStackExhausted:
        case wasm::TrapKind::FuelExhausted:
            return TrapClass::Poison;
        case wasm::TrapKind::Timeout:
        case wasm::TrapKind::OutOfMemory:
            return TrapClass::Transient;
        case wasm::TrapKind::None:
            return TrapClass::Other;
    }
    return TrapClass::Other;
}

Result<MessageDisposition> PoisonFilter::on_handler_trap(ProcessId process, const Message& message,
                                                         const wasm::Trap& trap, Nanos now) {
    TrapClass trap_class = classify_trap(trap.kind);
    if (trap_class == TrapClass::Other) return MessageDisposition::NotAMessageFault;

    auto key = std::make_pair(process.value(), message.seq);
    auto found = m_attempts.find(key);
    u32 attempts = (found == m_attempts.end() ? 0 : found->second) + 1;
    // A transient trap earns one more delivery; a second one (of any class) does not.
    if (trap_class == TrapClass::Transient && attempts < 2) {
        m_attempts[key] = attempts;
        return MessageDisposition::Retry;
    }

    DeadLetterRecord record{process,   message.type,    message.sender,   message.seq,
                            trap.kind, trap.function,   trap.code_offset, attempts,
                            now,       message.payload, std::nullopt};
    ESTA_TRY(m_sink.add(std::move(record)));
    if (found != m_attempts.end()) m_attempts.erase(found);
    return MessageDisposition::DeadLettered;
}

void PoisonFilter::on_handled(ProcessId process, u64 seq) {
    m_attempts.erase(std::make_pair(process.value(), seq));
}

// ---- Strategies and the supervisor --------------------------------------------------

std::vector<std::size_t> children_to_restart(RestartStrategy strategy, std::size_t child_count,
                                             std::size_t failed) {
    ESTA_ASSERT(failed < child_count);
    std::size_t first = failed;
    std::size_t end = failed + 1;
    switch (strategy) {
        case RestartStrategy::OneForOne:
            break;
        case RestartStrategy::OneForAll:
            first = 0;
            end = child_count;
            break;
        case RestartStrategy::RestForOne:
            end = child_count;
            break;
    }
    std::vector<std::size_t> children;
    children.reserve(end - first);
    for (std::size_t child = first; child < end; ++child)
        children.push_back(child);
    return children;
}

Result<Supervisor> Supervisor::create(RestartStrategy strategy, std::vector<std::string> names) {
    if (names.empty()) return Err(Status::InvalidArgs, "supervisor.no_children");
    std::vector<Child> children;
    children.reserve(names.size());
    for (std::string& name : names)
        children.push_back(Child{std::move(name), Escalation{}, 0});
    return Supervisor(strategy, std::move(children));
}

const std::string& Supervisor::child_name(std::size_t child) const {
    ESTA_ASSERT(child < m_children.size());
    return m_children[child].name;
}

EscalationLevel Supervisor::level(std::size_t child) const {
    ESTA_ASSERT(child < m_children.size());
    return m_children[child].escalation.level();
}

Result<RestartPlan> Supervisor::on_child_failure(std::size_t child, Nanos now) {
    if (child >= m_children.size())
        return Err(Status::InvalidArgs, "supervisor.no_such_child", {.index = child});
    Child& failed = m_children[child];
    RestartPlan plan;
    EscalationLevel before = failed.escalation.level();
    plan.level = failed.escalation.record_failure(now);
    if (m_at_supervisor_level) plan.level = EscalationLevel::RestartSystem;
    // A new level is a new kind of restart: its first is immediate again. (Counting on
    // would space restarts 30 s apart at the cap, so three could never fall within 60 s
    // and the levels above L3 could never be reached.)
    if (plan.level > before) failed.restarts = 0;
    if (plan.level == EscalationLevel::RestartSupervisor) {
        // A restarted supervisor's other children start over; the failed one stays at L4
        // and the supervisor stays marked until they are stable again.
        for (Child& each : m_children)
            if (&each != &failed) each.escalation.reset();
        m_at_supervisor_level = true;
    }
    plan.restart = ++failed.restarts;
    plan.not_before = now + restart_delay(plan.restart);
    // L4 and L5 restart the supervisor (or more), which takes every child with it.
    RestartStrategy strategy =
        plan.level >= EscalationLevel::RestartSupervisor ? RestartStrategy::OneForAll : m_strategy;
    plan.children = children_to_restart(strategy, m_children.size(), child);
    return plan;
}

Result<void> Supervisor::on_child_stable(std::size_t child) {
    if (child >= m_children.size())
        return Err(Status::InvalidArgs, "supervisor.no_such_child", {.index = child});
    m_children[child].escalation.reset();
    m_children[child].restarts = 0;
    bool settled = std::all_of(m_children.begin(), m_children.end(),
                               [](const Child& each) { return each.restarts == 0; });
    if (settled) m_at_supervisor_level = false;
    return Ok();
}

void Supervisor::reset() {
    for (Child& child : m_children) {
        child.escalation.reset();
        child.restarts = 0;
    }
    m_at_supervisor_level = false;
}

}  // namespace esta::kernel
