// random, log, metric, span_begin, span_end (ABI.md "Functions"): the syscalls a guest uses to
// observe and be observed. Decode and check everything first; the service call is the last step.
#include <cmath>

#include "kernel/redundancy/lockstep_gate.h"
#include "kernel/syscalls/syscalls.h"

namespace esta::kernel {

namespace {
// Bounds on guest-controlled sizes, so a guest cannot make the logger copy its whole memory.
constexpr u32 kMaxLogBytes = 64 * 1024;
constexpr u32 kMaxMetricNameBytes = 256;
constexpr u32 kMaxSpanNameBytes = 256;

std::string_view as_text(std::span<const u8> bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}
}  // namespace

DeterministicRandom& Syscalls::random_for(ProcessId process) {
    auto found = m_random.find(process.value());
    if (found == m_random.end())
        found =
            m_random.emplace(process.value(), DeterministicRandom(m_services.random_seed, process))
                .first;
    return found->second;
}

SyscallResult Syscalls::random(Call& call) {
    auto range = guest_range(call.memory, call.u32_arg(0), call.u32_arg(1));
    if (!range) return SyscallResult::failed(range.error().code);
    DeterministicRandom& generator = random_for(call.process.pid());
    generator.fill(*range);
    return SyscallResult::of(0);
}

SyscallResult Syscalls::log(Call& call) {
    u32 level = call.u32_arg(0);
    if (level > kMaxLogLevel) return SyscallResult::failed(Status::InvalidArgs);
    if (call.u32_arg(2) > kMaxLogBytes) return SyscallResult::failed(Status::PayloadTooLarge);
    auto text = guest_range(call.memory, call.u32_arg(1), call.u32_arg(2));
    if (!text) return SyscallResult::failed(text.error().code);
    if (!m_services.logger) return SyscallResult::failed(Status::NotSupported);
    if (LockstepGate* gate = holding(call.process)) {
        auto line = std::make_shared<std::string>(as_text(*text));
        ProcessId pid = call.process.pid();
        gate->hold(EffectKind::KernelRequest, [this, pid, level, line] {
            m_services.logger->log(pid, static_cast<LogLevel>(level), *line);
        });
        return SyscallResult::of(0);
    }
    m_services.logger->log(call.process.pid(), static_cast<LogLevel>(level), as_text(*text));
    return SyscallResult::of(0);
}

SyscallResult Syscalls::metric(Call& call) {
    if (call.u32_arg(1) == 0 || call.u32_arg(1) > kMaxMetricNameBytes)
        return SyscallResult::failed(Status::InvalidArgs);
    auto name = guest_range(call.memory, call.u32_arg(0), call.u32_arg(1));
    if (!name) return SyscallResult::failed(name.error().code);
    double value = call.args[2].as_f64();
    if (!std::isfinite(value)) return SyscallResult::failed(Status::InvalidArgs);
    if (!m_services.metrics) return SyscallResult::failed(Status::NotSupported);
    if (LockstepGate* gate = holding(call.process)) {
        // Held: a name the manifest does not declare is dropped at release, unanswered.
        auto held = std::make_shared<std::string>(as_text(*name));
        ProcessId pid = call.process.pid();
        gate->hold(EffectKind::KernelRequest,
                   [this, pid, held, value] { (void)m_services.metrics->add(pid, *held, value); });
        return SyscallResult::of(0);
    }
    auto added = m_services.metrics->add(call.process.pid(), as_text(*name), value);
    if (!added) return SyscallResult::failed(added.error().code);
    return SyscallResult::of(0);
}

SyscallResult Syscalls::span_begin(Call& call) {
    if (call.u32_arg(1) == 0 || call.u32_arg(1) > kMaxSpanNameBytes)
        return SyscallResult::failed(Status::InvalidArgs);
    auto name = guest_range(call.memory, call.u32_arg(0), call.u32_arg(1));
    if (!name) return SyscallResult::failed(name.error().code);
    if (!m_services.observer) return SyscallResult::failed(Status::NotSupported);
    auto id = m_services.observer->guest_span_begin(call.process.pid().value(), as_text(*name));
    if (!id) return SyscallResult::failed(id.error().code);
    return SyscallResult::of(*id);
}

SyscallResult Syscalls::span_end(Call& call) {
    i64 span = call.i64_arg(0);
    if (span <= 0) return SyscallResult::failed(Status::NotFound);
    if (!m_services.observer) return SyscallResult::failed(Status::NotSupported);
    auto ended =
        m_services.observer->guest_span_end(call.process.pid().value(), span, call.i32_arg(1));
    if (!ended) return SyscallResult::failed(ended.error().code);
    return SyscallResult::of(0);
}

}  // namespace esta::kernel
