#include "kernel/syscalls/syscalls.h"

#include <cstring>

#include "kernel/abi_signature.h"
#include "kernel/abi_table.h"
#include "kernel/redundancy/lockstep_gate.h"
#include "kernel/syscalls/syscall_capture.h"

namespace esta::kernel {

namespace {

struct Entry {
    std::string_view name;
    SyscallResult (Syscalls::*handler)(Syscalls::Call&);
};

}  // namespace

Result<std::span<u8>> guest_range(wasm::LinearMemory* memory, u32 address, u32 length) {
    if (!memory) {
        return Err(Status::OutOfBounds, "syscall: the caller has no memory",
                   Detail{.offset = address, .actual = length});
    }
    return memory->span(address, length);
}

Result<MovedHandles> read_moved_handles(wasm::LinearMemory* memory, u32 address, u32 count) {
    if (count > kMaxMessageHandles) {
        return Err(Status::InvalidArgs, "syscall: more handles than a message moves",
                   Detail{.limit = kMaxMessageHandles, .actual = count});
    }
    auto bytes = ESTA_TRY(guest_range(memory, address, count * 4));
    MovedHandles moved;
    moved.count = count;
    for (u32 i = 0; i < count; ++i) {
        u32 value = 0;
        std::memcpy(&value, bytes.data() + 4 * i, 4);  // Little-endian host and guest.
        moved.values[i] = HandleValue(value);
        for (u32 j = 0; j < i; ++j) {
            if (moved.values[j] == moved.values[i])
                return Err(Status::InvalidArgs, "syscall: a handle moved twice");
        }
    }
    return moved;
}

Result<void> check_movable(HandleTable& table, const MovedHandles& moved,
                           const CheckContext& context) {
    for (u32 i = 0; i < moved.count; ++i)
        ESTA_TRY(table.get_object(moved.values[i], std::nullopt, Right::Transfer, context));
    return Ok();
}

Syscalls::Syscalls(CapTree& tree, const protocol::Clock& clock, ProcessWaker& waker,
                   SyscallConfig config, SyscallServices services)
    : m_tree(tree), m_clock(clock), m_waker(waker), m_config(config), m_services(services) {}

Syscalls::Handler Syscalls::find_handler(std::string_view name) {
    static constexpr Entry kEntries[] = {
        {"cap_lookup", &Syscalls::cap_lookup},
        {"cap_derive", &Syscalls::cap_derive},
        {"cap_revoke", &Syscalls::cap_revoke},
        {"cap_drop", &Syscalls::cap_drop},
        {"cap_info", &Syscalls::cap_info},
        {"send", &Syscalls::send},
        {"recv", &Syscalls::recv},
        {"exit", &Syscalls::exit},
        {"yield", &Syscalls::yield},
        {"now", &Syscalls::now},
        {"random", &Syscalls::random},
        {"log", &Syscalls::log},
        {"metric", &Syscalls::metric},
        {"span_begin", &Syscalls::span_begin},
        {"span_end", &Syscalls::span_end},
        {"audit", &Syscalls::audit},
        {"call", &Syscalls::call},
        {"reply", &Syscalls::reply},
        {"spawn", &Syscalls::spawn},
    };
    for (const Entry& entry : kEntries) {
        if (entry.name == name) return entry.handler;
    }
    return nullptr;
}

bool Syscalls::implemented(std::string_view name) {
    return find_handler(name) != nullptr;
}

SyscallResult Syscalls::invoke(std::string_view name, Process& process, wasm::LinearMemory* memory,
                               std::span<const wasm::Value> args) {
    Handler handler = find_handler(name);
    // A critical process (K-60) makes only the syscalls whose effects can be held, and
    // within a message each answer is journaled for its checker replica.
    LockstepGate* gate = process.lockstep();
    if (gate != nullptr && !LockstepGate::allowed(name)) handler = nullptr;
    const bool to_gate = gate != nullptr && gate->in_message();
    const abi::Function* function =
        m_services.answers || to_gate ? abi::find_function(name) : nullptr;
    if (!function) {
        if (!handler) return SyscallResult::failed(Status::NotSupported);
        Call call{process, memory, args, CheckContext{process.pid(), process.current_time()}};
        return (this->*handler)(call);
    }
    // Journaled (T-1): what the process asked and what it was told, once the call completes
    // (a call that blocks is retried and captured again).
    SyscallCapture capture(*function, memory, args);
    SyscallResult result = SyscallResult::failed(Status::NotSupported);
    const protocol::SyscallAnswer* kept = nullptr;
    if (to_gate && LockstepGate::sync_point(name))
        kept = gate->kept(capture_request(*function, memory, args));
    if (to_gate && gate->take_refusal()) {
        // K-60: a sync point the replicas disagreed on; nothing of it acts.
        result = SyscallResult::failed(Status::Unavailable);
    } else if (kept != nullptr) {
        // K-60: a retried message's sync point acted in the refused attempt; its answer
        // again, not the act.
        result = answer_again(*kept, memory);
    } else if (handler) {
        Call call{process, memory, args, CheckContext{process.pid(), process.current_time()}};
        result = (this->*handler)(call);
    }
    if (result.kind != SyscallResult::Kind::Block) {
        protocol::SyscallAnswer answer = std::move(capture).finish(
            result.value, result.kind == SyscallResult::Kind::Exit, memory);
        KernelAnswerRecorder* recorder = m_services.answers;
        if (to_gate && gate->in_message()) {
            gate->answered(answer);
            // K-60: journaled once the replicas agreed, so a retried message's first
            // attempt is not on the record.
            if (recorder != nullptr) {
                gate->journal([recorder, pid = process.pid(), time = m_clock.now_ns(),
                               held = std::move(answer)] { recorder->answered(pid, held, time); });
            }
        } else if (recorder != nullptr) {
            recorder->answered(process.pid(), std::move(answer), m_clock.now_ns());
        }
    }
    return result;
}

SyscallResult Syscalls::answer_again(const protocol::SyscallAnswer& answer,
                                     wasm::LinearMemory* memory) {
    for (const auto& write : answer.writes) {
        if (memory == nullptr || !memory->in_bounds(write.address, write.bytes.size()))
            return SyscallResult::failed(Status::OutOfBounds);
        std::memcpy(memory->base() + write.address, write.bytes.data(), write.bytes.size());
    }
    return SyscallResult::of(answer.result);
}

void Syscalls::lockstep_sync(std::string_view name, Process& process, wasm::LinearMemory* memory,
                             std::span<const wasm::Value> args) {
    LockstepGate* gate = process.lockstep();
    if (gate == nullptr || !gate->in_message() || !LockstepGate::sync_point(name)) return;
    // A parked call's retries are the request already agreed on.
    if (process.pending_driver_call() || process.pending_call()) return;
    const abi::Function* function = abi::find_function(name);
    if (function != nullptr) (void)gate->agree(capture_request(*function, memory, args));
}

LockstepGate* Syscalls::holding(Process& process) {
    LockstepGate* gate = process.lockstep();
    return gate != nullptr && gate->in_message() ? gate : nullptr;
}

Result<void> Syscalls::hold_use(LockstepGate& gate, const CapNode& node, Rights asked,
                                const CheckContext& context) {
    if (!node.chain_restricted()) return Ok();
    if (auto left = node.check_uses(&gate.pending_uses()); !left)
        return m_tree.deny(&node, left.error(), asked, context);
    gate.pending_uses().add(node);
    return Ok();
}

void Syscalls::define_imports(wasm::Store& store, Process& process, wasm::Linker& linker) {
    Process* target = &process;  // The store is the process's: the functions cannot outlive it.
    for (const abi::Function& function : abi::functions()) {
        std::string_view name = function.name;
        bool wide = function.result == abi::ValType::I64;
        auto host = [this, target, name, wide](wasm::HostContext& context,
                                               std::span<const wasm::Value> args,
                                               std::span<wasm::Value> results) {
            // K-60: a critical process's sync point waits for its checker replica here,
            // without the kernel lock.
            lockstep_sync(name, *target, context.memory(), args);
            SyscallResult result = [&] {
                if (!m_config.kernel_lock) return invoke(name, *target, context.memory(), args);
                std::lock_guard<std::recursive_mutex> lock(*m_config.kernel_lock);
                return invoke(name, *target, context.memory(), args);
            }();
            switch (result.kind) {
                case SyscallResult::Kind::Block:
                    return wasm::HostResult::block();
                case SyscallResult::Kind::Exit:
                    return wasm::HostResult::exit(static_cast<u32>(result.value));
                case SyscallResult::Kind::Value:
                    break;
            }
            if (!results.empty()) {
                results[0] = wide ? wasm::Value::i64(static_cast<u64>(result.value))
                                  : wasm::Value::i32(static_cast<u32>(result.value));
            }
            return wasm::HostResult::ok();
        };
        wasm::FuncRef ref = store.create_host_function(abi::wasm_signature(function), host);
        linker.define(abi::kImportModule, name, wasm::Extern::of(ref));
    }
}

}  // namespace esta::kernel
