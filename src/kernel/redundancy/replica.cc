#include "kernel/redundancy/replica.h"

#include <cstring>

namespace esta::kernel {
namespace {

using wasm::HostResult;
using wasm::ValType;
using wasm::Value;

HostResult bad_pointer() {
    return HostResult::trap(wasm::TrapKind::OutOfBounds, "lockstep: pointer out of bounds");
}

// A guest range as bytes, if it lies inside the caller's memory.
std::optional<std::span<u8>> guest_range(wasm::HostContext& context, const Value& pointer,
                                         const Value& length) {
    if (context.memory() == nullptr) return std::nullopt;
    auto span = context.memory()->span(pointer.as_i32(), length.as_i32());
    if (!span) return std::nullopt;
    return *span;
}

ByteSpan as_bytes(std::span<u8> span) {
    return ByteSpan(span.data(), span.size());
}

}  // namespace

Replica::Replica(u32 index, std::shared_ptr<const wasm::CompiledModule> module,
                 AnswerJournal& journal, const LockstepServices& services, u64 message_fuel)
    : m_index(index),
      m_module(std::move(module)),
      m_journal(journal),
      m_services(services),
      m_message_fuel(message_fuel) {}

Result<std::unique_ptr<Replica>> Replica::create(u32 index,
                                                 std::shared_ptr<const wasm::CompiledModule> module,
                                                 AnswerJournal& journal,
                                                 const LockstepServices& services,
                                                 u64 message_fuel) {
    std::unique_ptr<Replica> replica(
        new Replica(index, std::move(module), journal, services, message_fuel));
    ESTA_TRY(replica->instantiate());
    return replica;
}

Result<void> Replica::instantiate() {
    wasm::Linker linker;
    auto define = [&](const char* name, wasm::FuncType type, wasm::HostFunction function) {
        linker.define(
            "lockstep", name,
            wasm::Extern::of(m_store.create_host_function(std::move(type), std::move(function))));
    };
    define(
        "input", {{ValType::I32, ValType::I32}, {ValType::I32}},
        [this](wasm::HostContext& context, std::span<const Value> args, std::span<Value> results) {
            const u32 length = std::min<u32>(args[1].as_i32(), static_cast<u32>(m_input.size()));
            auto range = guest_range(context, args[0], Value::i32(length));
            if (!range) return bad_pointer();
            std::memcpy(range->data(), m_input.data(), length);
            results[0] = Value::i32(length);
            return HostResult::ok();
        });
    auto answering = [this](AnswerKind kind) {
        return [this, kind](wasm::HostContext&, std::span<const Value>, std::span<Value> results) {
            std::optional<u64> value = answer(kind);
            if (!value)
                return HostResult::trap(wasm::TrapKind::Unreachable,
                                        "lockstep: asked what the other replica did not");
            results[0] = Value::i64(*value);
            return HostResult::ok();
        };
    };
    define("now", {{}, {ValType::I64}}, answering(AnswerKind::Time));
    define("random", {{}, {ValType::I64}}, answering(AnswerKind::Random));
    define(
        "send", {{ValType::I64, ValType::I32, ValType::I32}, {ValType::I32}},
        [this](wasm::HostContext& context, std::span<const Value> args, std::span<Value> results) {
            auto range = guest_range(context, args[1], args[2]);
            if (!range) return bad_pointer();
            m_log.message_sent(args[0].as_i64(), as_bytes(*range));
            m_outbox.push_back(ParkedEffect{EffectKind::MessageSent, args[0].as_i64(),
                                            std::vector<u8>(range->begin(), range->end())});
            results[0] = Value::i32(0);
            return HostResult::ok();
        });
    define(
        "audit", {{ValType::I32, ValType::I32}, {ValType::I32}},
        [this](wasm::HostContext& context, std::span<const Value> args, std::span<Value> results) {
            auto range = guest_range(context, args[0], args[1]);
            if (!range) return bad_pointer();
            m_log.audit_record("lockstep.audit", as_bytes(*range));
            m_outbox.push_back(ParkedEffect{EffectKind::AuditRecord, 0,
                                            std::vector<u8>(range->begin(), range->end())});
            results[0] = Value::i32(0);
            return HostResult::ok();
        });
    define("driver",
           {{ValType::I64, ValType::I32, ValType::I32, ValType::I32, ValType::I32, ValType::I32},
            {ValType::I32}},
           [this](wasm::HostContext& context, std::span<const Value> args,
                  std::span<Value> results) { return driver_call(context, args, results); });

    auto instantiated = wasm::instantiate(m_store, m_module, linker);
    if (!instantiated) return instantiated.error();
    if (instantiated->trap)
        return Err(Status::Internal, "lockstep: the module's start function trapped");
    m_instance = instantiated->instance;
    m_handle = m_instance->function("handle");
    if (m_handle == nullptr) return Err(Status::NotFound, "lockstep: the module exports no handle");
    m_execution.emplace(m_store);
    return {};
}

std::optional<u64> Replica::answer(AnswerKind kind) {
    const std::size_t index = m_answers++;
    if (m_index == 0) {
        const u64 value =
            kind == AnswerKind::Time ? static_cast<u64>(m_services.now()) : m_services.random();
        m_journal.record(kind, value);
        return value;
    }
    return m_journal.replay(index, kind);
}

HostResult Replica::driver_call(wasm::HostContext& context, std::span<const Value> args,
                                std::span<Value> results) {
    if (m_reply) {
        // Resumed after the rendezvous: hand over the one real call's reply.
        std::optional<std::vector<u8>> reply = std::move(*m_reply);
        m_reply.reset();
        m_pending.reset();
        if (!reply || reply->size() > args[5].as_i32()) {
            results[0] = Value::i32(static_cast<u32>(-1));
            return HostResult::ok();
        }
        auto range = guest_range(context, args[4], Value::i32(static_cast<u32>(reply->size())));
        if (!range) return bad_pointer();
        std::memcpy(range->data(), reply->data(), reply->size());
        results[0] = Value::i32(static_cast<u32>(reply->size()));
        return HostResult::ok();
    }
    if (!m_pending) {
        auto range = guest_range(context, args[2], args[3]);
        if (!range) return bad_pointer();
        const u64 driver = args[0].as_i64();
        const u32 operation = args[1].as_i32();
        m_log.driver_request(driver, operation, as_bytes(*range));
        m_outbox.push_back(ParkedEffect{EffectKind::DriverRequest, (driver << 16) ^ operation,
                                        std::vector<u8>(range->begin(), range->end())});
        m_pending = m_outbox.size() - 1;
    }
    return HostResult::block();
}

const ParkedEffect* Replica::pending_request() const {
    return m_pending ? &m_outbox[*m_pending] : nullptr;
}

void Replica::give_reply(std::optional<std::vector<u8>> reply) {
    m_reply = std::move(reply);
}

void Replica::begin(u64 sequence, ByteSpan input, const FaultPlan* fault) {
    m_input.assign(input.begin(), input.end());
    m_log = EffectLog(sequence);
    m_outbox.clear();
    m_answers = 0;
    m_started = false;
    m_fuel_used = 0;
    m_fuel_given = 0;
    m_pending.reset();
    m_reply.reset();
    m_fault.reset();
    if (fault != nullptr && fault->replica == m_index) m_fault = *fault;
    m_fault_injected = false;
    m_execution->reset();
}

void Replica::inject_fault() {
    const u64 bits = wasm::fault_bits(*m_execution, *m_instance, m_fault->target);
    if (bits > 0) {
        ESTA_ASSERT(
            wasm::flip_bit(*m_execution, *m_instance, m_fault->target, m_fault->bit_seed % bits));
        m_fault_injected = true;
    }
    m_fault.reset();
}

wasm::ExecutionConfig next_slice(const std::optional<FaultPlan>& fault, u64 message_fuel,
                                 u64& given) {
    const bool to_fault = fault && fault->at_fuel < message_fuel;
    const u64 target = to_fault ? fault->at_fuel : message_fuel;
    wasm::ExecutionConfig config;
    config.fuel = target > given ? target - given : 0;
    config.fuel_mode = to_fault ? wasm::FuelMode::Slice : wasm::FuelMode::Budget;
    given += config.fuel;
    return config;
}

ReplicaStop Replica::run() {
    for (;;) {
        const wasm::ExecutionConfig config = next_slice(m_fault, m_message_fuel, m_fuel_given);
        Result<wasm::Outcome> outcome =
            m_started ? m_execution->resume(config) : m_execution->invoke(m_handle, {}, config);
        m_started = true;
        if (!outcome) return ReplicaStop{ReplicaStop::Kind::Trapped, 0};
        m_fuel_used += outcome->fuel_used;
        switch (outcome->kind) {
            case wasm::Outcome::Kind::Completed:
                return ReplicaStop{ReplicaStop::Kind::Returned,
                                   outcome->results.empty() ? 0 : outcome->results[0].as_i32()};
            case wasm::Outcome::Kind::Trapped:
                return ReplicaStop{ReplicaStop::Kind::Trapped,
                                   static_cast<u64>(outcome->trap.kind)};
            case wasm::Outcome::Kind::Exited:
                return ReplicaStop{ReplicaStop::Kind::Exited, outcome->exit_code};
            case wasm::Outcome::Kind::Suspended:
                if (m_pending && !m_reply) return ReplicaStop{ReplicaStop::Kind::Sync, 0};
                // The slice before the planned fault ended: flip, then go on.
                if (!m_fault) return ReplicaStop{ReplicaStop::Kind::Trapped, 0};
                inject_fault();
                continue;
        }
    }
}

void Replica::finish(const ReplicaStop& stop, const ReleasedState& released) {
    m_log.outcome(static_cast<u64>(stop.kind), stop.code);
    m_dirty.clear();
    const wasm::LinearMemory* memory = m_instance->memory(0);
    ByteSpan bytes = memory == nullptr ? ByteSpan() : ByteSpan(memory->base(), memory->size());
    m_dirty.note_diff(released.memory(), bytes);
    observe::Sha256 hasher;
    const observe::Digest pages = m_dirty.digest(bytes);
    const observe::Digest globals = globals_digest(*m_instance);
    hasher.update(ByteSpan(pages.data(), pages.size()));
    hasher.update(ByteSpan(globals.data(), globals.size()));
    m_log.dirty_pages(m_dirty.dirty_count(), hasher.finish());
}

}  // namespace esta::kernel
