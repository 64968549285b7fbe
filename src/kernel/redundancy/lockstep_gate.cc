#include "kernel/redundancy/lockstep_gate.h"

#include <algorithm>
#include <cstring>

#include "kernel/abi_signature.h"
#include "kernel/abi_table.h"
#include "kernel/syscalls/syscall_capture.h"
#include "wasm/fault_hooks.h"

namespace esta::kernel {
namespace {

// How a handler ended, as the Outcome effect records it (ReplicaStop's numbering).
constexpr u64 kReturned = static_cast<u64>(ReplicaStop::Kind::Returned);
constexpr u64 kTrapped = static_cast<u64>(ReplicaStop::Kind::Trapped);
constexpr u64 kExited = static_cast<u64>(ReplicaStop::Kind::Exited);

void hash_u64(observe::Sha256& hasher, u64 value) {
    u8 bytes[8];
    for (int i = 0; i < 8; ++i)
        bytes[i] = static_cast<u8>(value >> (8 * i));
    hasher.update(ByteSpan(bytes, 8));
}

// The syscall's name as an effect target (FNV-1a: an identifier, not a seal; the request's
// bytes are in the SHA-256).
u64 name_target(std::string_view name) {
    u64 hash = 0xcbf29ce484222325ull;
    for (char c : name)
        hash = (hash ^ static_cast<u8>(c)) * 0x100000001b3ull;
    return hash;
}

bool same_request(const protocol::SyscallAnswer& a, const protocol::SyscallAnswer& b) {
    return a.function == b.function && a.args == b.args && a.request == b.request;
}

ByteSpan memory_bytes(const wasm::Instance& instance) {
    const wasm::LinearMemory* memory = instance.memory(0);
    return memory == nullptr ? ByteSpan() : ByteSpan(memory->base(), memory->size());
}

// Which pages a message dirtied, and the globals: what two replicas that agree byte for
// byte share in their logs.
observe::Digest shape_digest(const DirtyPageTracker& dirty, const wasm::Instance& instance) {
    const observe::Digest globals = globals_digest(instance);
    observe::Sha256 hasher;
    for (u64 page : dirty.pages())
        hash_u64(hasher, page);
    hasher.update(ByteSpan(globals.data(), globals.size()));
    return hasher.finish();
}

// The dirtied pages' bytes and the globals: a replica's state after the message.
observe::Digest state_digest(const DirtyPageTracker& dirty, ByteSpan memory,
                             const wasm::Instance& instance) {
    const observe::Digest globals = globals_digest(instance);
    observe::Sha256 hasher;
    const observe::Digest pages = dirty.digest(memory);
    hasher.update(ByteSpan(pages.data(), pages.size()));
    hasher.update(ByteSpan(globals.data(), globals.size()));
    return hasher.finish();
}

wasm::HostResult diverged() {
    return wasm::HostResult::trap(wasm::TrapKind::Unreachable,
                                  "lockstep: the checker asked what the leader did not");
}

}  // namespace

void log_request(EffectLog& log, const protocol::SyscallAnswer& request) {
    observe::Sha256 hasher;
    hasher.update(
        ByteSpan(reinterpret_cast<const u8*>(request.function.data()), request.function.size()));
    u64 size = 0;
    for (u64 arg : request.args)
        hash_u64(hasher, arg);
    for (const auto& bytes : request.request) {
        hash_u64(hasher, bytes.size());
        hasher.update(ByteSpan(bytes.data(), bytes.size()));
        size += bytes.size();
    }
    EffectKind kind = EffectKind::KernelRequest;
    u64 target = name_target(request.function);
    if (request.function == "send") {
        kind = EffectKind::MessageSent;
        target = request.args.empty() ? 0 : request.args[0];  // The endpoint handle.
    } else if (request.function == "audit") {
        kind = EffectKind::AuditRecord;
    } else if (request.function == "call") {
        kind = EffectKind::DriverRequest;
    }
    log.add(Effect{kind, target, size, hasher.finish()});
}

bool LockstepGate::allowed(std::string_view function) {
    // Held until the replicas agree: send, audit, log, metric, and the guest's spans
    // (provisional until then: GuestSpans::hold). Sync points (act once both
    // replicas asked the same): driver and endpoint calls, reply, spawns and capability
    // changes.
    static constexpr std::string_view kAllowed[] = {
        "recv",       "send",       "now",      "random",     "log",        "metric",   "audit",
        "exit",       "yield",      "call",     "reply",      "cap_lookup", "cap_info", "spawn",
        "cap_derive", "cap_revoke", "cap_drop", "span_begin", "span_end"};
    return std::find(std::begin(kAllowed), std::end(kAllowed), function) != std::end(kAllowed);
}

bool LockstepGate::sync_point(std::string_view function) {
    // A spawn or a capability change acts on the kernel at once and its answer (the new
    // process's or capability's handle) is what the handler goes on with: it cannot be
    // held either.
    static constexpr std::string_view kSync[] = {"call",       "reply",      "spawn",
                                                 "cap_derive", "cap_revoke", "cap_drop"};
    return std::find(std::begin(kSync), std::end(kSync), function) != std::end(kSync);
}

LockstepGate::LockstepGate(std::shared_ptr<const wasm::CompiledModule> module, std::string subject,
                           const KernelLockstepSupport& support)
    : m_module(std::move(module)),
      m_subject(std::move(subject)),
      m_config(support.config),
      m_policy(m_subject, support.config.policy, *support.metrics, *support.sink) {}

LockstepGate::~LockstepGate() {
    leader_done();
    wait_checker();
}

Result<std::unique_ptr<LockstepGate>> LockstepGate::create(
    std::shared_ptr<const wasm::CompiledModule> module, std::string entry, std::string subject,
    const KernelLockstepSupport& support) {
    if (support.metrics == nullptr || support.sink == nullptr)
        return Err(Status::NotSupported, "lockstep: the kernel has no alarm sink or metrics");
    std::unique_ptr<LockstepGate> gate(
        new LockstepGate(std::move(module), std::move(subject), support));
    gate->m_code_digest = wasm::lowered_code_digest(*gate->m_module);
    ESTA_TRY(gate->instantiate(entry));
    if (support.config.checker_thread)
        gate->m_worker = std::make_unique<ReplicaWorker>(support.config.checker_core);
    return gate;
}

Result<void> LockstepGate::instantiate(const std::string& entry) {
    wasm::Linker linker;
    for (const abi::Function& function : abi::functions()) {
        const abi::Function* entry_function = &function;
        auto host = [this, entry_function](wasm::HostContext& context,
                                           std::span<const wasm::Value> args,
                                           std::span<wasm::Value> results) {
            return replay(*entry_function, context.memory(), args, results);
        };
        wasm::FuncRef ref = m_store.create_host_function(abi::wasm_signature(function), host);
        linker.define(abi::kImportModule, function.name, wasm::Extern::of(ref));
    }
    // The start function may make syscalls; outside a message they answer "diverged", so
    // a module whose start function calls the kernel traps here (the leader's ran live).
    auto instantiated = wasm::instantiate(m_store, m_module, linker);
    if (!instantiated) return instantiated.error();
    if (instantiated->trap)
        return Err(Status::Invalid, "lockstep: the checker's start function trapped");
    m_instance = instantiated->instance;
    m_handler = m_instance->function(entry);
    if (m_handler == nullptr) return Err(Status::NotFound, "lockstep: no handler export");
    m_execution.emplace(m_store);
    return {};
}

Result<void> LockstepGate::attach(wasm::Instance& leader) {
    m_released.capture(leader);
    return m_released.restore(*m_instance);
}

void LockstepGate::message_taken(wasm::Instance& leader, u64 seq) {
    const bool retry = m_policy.state() == LockstepState::Retrying && seq == m_seq;
    if (!retry) m_policy.begin(seq);
    wait_checker();  // A checker of an abandoned message (none is expected) ends first.
    m_in_message = true;
    m_finished = false;
    m_seq = seq;
    {
        std::lock_guard lock(m_journal_mutex);
        m_journal.clear();
        m_leader_done = false;
        m_checker_reached = 0;
        m_checker_sync.reset();
        m_checker_stopped = false;
    }
    m_sync_refused = false;
    m_refuse_next = false;
    m_held.clear();
    m_pending_uses.clear();
    m_records.clear();
    if (!retry) {
        m_previous.clear();
        m_previous_acted.clear();
    }
    m_acted.clear();
    m_same_as_previous = retry;
    m_leader_log = EffectLog(seq);
    m_checker_log = EffectLog(seq);
    m_checker_fault.reset();
    if (m_fault && m_fault->replica == 0) {
        // The leader runs under the scheduler: its upset lands as the message is taken.
        wasm::LinearMemory* memory = leader.memory(0);
        if (memory != nullptr && memory->size() > 0) {
            const u64 bit = m_fault->bit_seed % (memory->size() * 8);
            memory->base()[bit / 8] ^= static_cast<u8>(1u << (bit % 8));
        }
    } else if (m_fault) {
        m_checker_fault = m_fault;
    }
    if (m_fault && !m_fault->every_attempt) m_fault.reset();
    m_execution->reset();
    m_cursor = 0;
    m_checker_diverged = false;
    m_checker_given = 0;
    m_checker_started = false;
    m_checker_waiting = false;
    m_checker_outcome.reset();
    if (m_worker) {
        m_checker_running = true;
        m_worker->start([this] {
            m_checker_outcome = run_checker();
            checker_stopped();
            // The checker's dirtied pages, found on its own core.
            m_checker_dirty.clear();
            m_checker_dirty.note_diff(m_released.memory(), memory_bytes(*m_instance));
        });
    }
}

const protocol::SyscallAnswer* LockstepGate::next_answer(std::size_t index) {
    std::unique_lock lock(m_journal_mutex);
    if (m_worker) {
        m_journal_changed.wait(lock, [&] { return index < m_journal.size() || m_leader_done; });
    }
    return index < m_journal.size() ? &m_journal[index] : nullptr;
}

void LockstepGate::checker_reached(const protocol::SyscallAnswer& request, bool sync) {
    {
        std::lock_guard lock(m_journal_mutex);
        ++m_checker_reached;
        if (sync) {
            m_checker_sync = request;
        } else {
            m_checker_sync.reset();
        }
    }
    m_journal_changed.notify_all();
}

void LockstepGate::checker_stopped() {
    {
        std::lock_guard lock(m_journal_mutex);
        m_checker_stopped = true;
    }
    m_journal_changed.notify_all();
}

void LockstepGate::leader_done() {
    {
        std::lock_guard lock(m_journal_mutex);
        m_leader_done = true;
    }
    m_journal_changed.notify_all();
}

void LockstepGate::wait_checker() {
    if (!m_checker_running) return;
    m_worker->wait();
    m_checker_running = false;
}

bool LockstepGate::agree(const protocol::SyscallAnswer& request) {
    if (!m_in_message) return true;
    if (m_sync_refused) {
        m_refuse_next = true;
        return false;
    }
    std::size_t index = 0;
    {
        std::lock_guard lock(m_journal_mutex);
        index = m_journal.size();
    }
    // Without a checker thread, run the checker here: it stops at the syscall whose answer
    // the leader has not journaled yet (this one), or at its end.
    if (!m_worker && !m_checker_outcome) {
        m_checker_outcome = run_checker();
        if (m_checker_outcome) checker_stopped();
    }
    bool same = false;
    {
        std::unique_lock lock(m_journal_mutex);
        m_journal_changed.wait(lock,
                               [&] { return m_checker_reached > index || m_checker_stopped; });
        same = m_checker_reached == index + 1 && m_checker_sync &&
               same_request(*m_checker_sync, request);
    }
    if (!same) {
        m_sync_refused = true;
        m_refuse_next = true;
    }
    return same;
}

const protocol::SyscallAnswer* LockstepGate::kept(const protocol::SyscallAnswer& request) const {
    if (!m_in_message || !m_same_as_previous) return nullptr;
    const std::size_t index = m_journal.size();  // Only the leader's thread appends.
    if (index >= m_previous.size() || !m_previous_acted[index]) return nullptr;
    return same_request(m_previous[index], request) ? &m_previous[index] : nullptr;
}

void LockstepGate::answered(protocol::SyscallAnswer answer) {
    const std::size_t index = m_journal.size();
    m_same_as_previous =
        m_same_as_previous && index < m_previous.size() && same_request(m_previous[index], answer);
    // A sync point acted when the replicas agreed on it (a refused one answered unacted).
    m_acted.push_back(sync_point(answer.function) && !m_sync_refused);
    // Its log entry is made by the checker (one digest for two identical requests, on its
    // thread) or, for what the checker did not reach, by finish().
    {
        std::lock_guard lock(m_journal_mutex);
        m_journal.push_back(std::move(answer));
    }
    m_journal_changed.notify_all();
}

void LockstepGate::hold(EffectKind kind, std::function<void()> release) {
    m_held.push_back(Held{kind, std::move(release)});
}

wasm::HostResult LockstepGate::replay(const abi::Function& function, wasm::LinearMemory* memory,
                                      std::span<const wasm::Value> args,
                                      std::span<wasm::Value> results) {
    if (!m_in_message || m_checker_diverged) return diverged();
    const protocol::SyscallAnswer got = capture_request(function, memory, args);
    if (!m_checker_waiting)  // Not the retry of a call parked for the leader's answer.
        checker_reached(got, sync_point(function.name));
    m_checker_waiting = false;
    const protocol::SyscallAnswer* expected = next_answer(m_cursor);
    if (expected == nullptr && !m_worker) {
        std::lock_guard lock(m_journal_mutex);
        if (!m_leader_done) {
            m_checker_waiting = true;  // Parked here until the leader answers this request.
            return wasm::HostResult::block();
        }
    }
    if (expected == nullptr || !same_request(*expected, got)) {
        log_request(m_checker_log, got);
        m_checker_diverged = true;
        return diverged();
    }
    // The same request: one entry for both logs.
    log_request(m_checker_log, got);
    m_leader_log.add(m_checker_log.effects().back());
    ++m_cursor;
    const protocol::SyscallAnswer& answer = *expected;
    for (const auto& write : answer.writes) {
        if (memory == nullptr || !memory->in_bounds(write.address, write.bytes.size())) {
            m_checker_diverged = true;
            return diverged();
        }
        std::memcpy(memory->base() + write.address, write.bytes.data(), write.bytes.size());
    }
    if (answer.exited) return wasm::HostResult::exit(static_cast<u32>(answer.result));
    if (!results.empty()) {
        results[0] = function.result == abi::ValType::I64
                         ? wasm::Value::i64(static_cast<u64>(answer.result))
                         : wasm::Value::i32(static_cast<u32>(answer.result));
    }
    return wasm::HostResult::ok();
}

std::optional<std::pair<u64, u64>> LockstepGate::run_checker() {
    for (;;) {
        const wasm::ExecutionConfig config =
            next_slice(m_checker_fault, m_config.message_fuel, m_checker_given);
        Result<wasm::Outcome> outcome = m_checker_started
                                            ? m_execution->resume(config)
                                            : m_execution->invoke(m_handler, {}, config);
        m_checker_started = true;
        if (!outcome) return std::make_pair(kTrapped, u64{0});
        switch (outcome->kind) {
            case wasm::Outcome::Kind::Completed:
                return std::make_pair(
                    kReturned, u64{outcome->results.empty() ? 0 : outcome->results[0].as_i32()});
            case wasm::Outcome::Kind::Trapped:
                return std::make_pair(kTrapped, static_cast<u64>(outcome->trap.kind));
            case wasm::Outcome::Kind::Exited:
                return std::make_pair(kExited, u64{outcome->exit_code});
            case wasm::Outcome::Kind::Suspended: {
                if (m_checker_waiting) return std::nullopt;  // For the leader's answer.
                // Else only a fault slice suspends the checker: flip, then go on.
                if (!m_checker_fault) return std::make_pair(kTrapped, u64{0});
                const FaultPlan& fault = *m_checker_fault;
                const u64 bits = wasm::fault_bits(*m_execution, *m_instance, fault.target);
                if (bits > 0) {
                    (void)wasm::flip_bit(*m_execution, *m_instance, fault.target,
                                         fault.bit_seed % bits);
                }
                m_checker_fault.reset();
                continue;
            }
        }
    }
}

void LockstepGate::finish(wasm::Instance& leader, i32 code) {
    ESTA_ASSERT(m_in_message);
    if (m_finished) return;
    m_finished = true;
    leader_done();
    // The leader's dirtied pages, found while the checker may still run.
    m_leader_dirty.clear();
    m_leader_dirty.note_diff(m_released.memory(), memory_bytes(leader));
    if (m_worker) {
        wait_checker();
    } else {
        while (!m_checker_outcome)  // The leader is done: the checker cannot park again.
            m_checker_outcome = run_checker();
        m_checker_dirty.clear();
        m_checker_dirty.note_diff(m_released.memory(), memory_bytes(*m_instance));
    }
    close_logs(leader, code);
}

void LockstepGate::close_logs(wasm::Instance& leader, i32 code) {
    // The leader's requests the checker did not match (it diverged or ended before them).
    for (std::size_t i = m_cursor; i < m_journal.size(); ++i)
        log_request(m_leader_log, m_journal[i]);
    m_leader_log.outcome(kReturned, static_cast<u32>(code));
    m_checker_log.outcome(m_checker_outcome->first, m_checker_outcome->second);
    ByteSpan leader_bytes = memory_bytes(leader);
    ByteSpan checker_bytes = memory_bytes(*m_instance);
    if (same_globals(leader, *m_instance) &&
        m_leader_dirty.same_pages(leader_bytes, m_checker_dirty, checker_bytes)) {
        // Byte for byte the same: both logs get the one digest of which pages and globals.
        const observe::Digest shape = shape_digest(m_leader_dirty, leader);
        m_leader_log.dirty_pages(m_leader_dirty.dirty_count(), shape);
        m_checker_log.dirty_pages(m_checker_dirty.dirty_count(), shape);
        return;
    }
    // Different: each replica's full state digest, for the report.
    m_leader_log.dirty_pages(m_leader_dirty.dirty_count(),
                             state_digest(m_leader_dirty, leader_bytes, leader));
    m_checker_log.dirty_pages(m_checker_dirty.dirty_count(),
                              state_digest(m_checker_dirty, checker_bytes, *m_instance));
}

Result<LockstepCheck> LockstepGate::check(wasm::Instance& leader, i32 code, Nanos now) {
    ESTA_ASSERT(m_in_message);
    finish(leader, code);
    ++m_messages;
    LockstepDecision decision = m_policy.on_compared(m_leader_log, m_checker_log, now);
    const bool after_mismatch = m_policy.attempts() > 0;
    if (decision == LockstepDecision::Release &&
        (after_mismatch ||
         (m_config.code_check_interval > 0 && ++m_since_check >= m_config.code_check_interval))) {
        m_since_check = 0;
        ++m_code_checks;
        // Both replicas run this code: a corrupt copy is a common-mode fault no comparison
        // sees, and a retry would run it again. Nothing is released; the process stops.
        if (wasm::lowered_code_digest(*m_module) != m_code_digest) {
            decision = m_policy.on_integrity_failure("code_checksum", now);
            while (decision == LockstepDecision::Retry)
                decision = m_policy.on_integrity_failure("code_checksum", now);
        }
    }
    LockstepCheck result{decision, 0};
    switch (decision) {
        case LockstepDecision::Release:
            write_records();
            for (Held& held : m_held) {
                held.release();
                ++result.released;
            }
            m_released.update(leader, m_leader_dirty);
            end_message();
            break;
        case LockstepDecision::Retry:
            // Both from the last agreed state; the kernel hands the leader the message again.
            // What the sync points of this attempt did stays done: kept for the retry.
            m_held.clear();
            m_pending_uses.clear();
            m_records.clear();
            m_previous.assign(m_journal.begin(), m_journal.end());
            m_previous_acted = std::move(m_acted);
            m_in_message = false;
            ESTA_TRY(m_released.restore(leader));
            ESTA_TRY(m_released.restore(*m_instance));
            break;
        case LockstepDecision::Quarantine:
            end_message();
            break;
    }
    return result;
}

void LockstepGate::discard() {
    leader_done();
    wait_checker();
    write_records();  // What the leader did up to its end is on the record (T-1).
    end_message();
    // A later life of the process starts over; the checker follows the released state.
    (void)m_released.restore(*m_instance);
}

void LockstepGate::end_message() {
    m_in_message = false;
    m_held.clear();
    m_pending_uses.clear();
    m_records.clear();
    m_previous.clear();
    m_previous_acted.clear();
    m_journal.clear();
}

void LockstepGate::write_records() {
    for (auto& write : m_records)
        write();
    m_records.clear();
}

}  // namespace esta::kernel
