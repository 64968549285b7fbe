// The syscall layer: ABI v1's imports (module `estalogic`) as host functions. Every
// function of the ABI table (abi_table.h) is registered with the table's signature, so a
// guest linked against sdk/c/estalogic.h always links; a function whose service is missing
// (SyscallServices) answers NOT_SUPPORTED.
//
// Each syscall decodes, then checks, then invokes (STYLE.md): every pointer, length, flag,
// handle and right is checked before any state changes; after that only work that cannot
// fail remains. A blocking call (recv on an empty mailbox, send into a full BlockSender
// mailbox, a revocation that needs more steps) suspends the guest; the engine calls the
// same host function again on resume, so each syscall is written to be retried.
#pragma once

#include <array>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string_view>

#include "kernel/cap_tree.h"
#include "kernel/deterministic_random.h"
#include "kernel/driver_port.h"
#include "kernel/process.h"
#include "kernel/syscalls/services.h"
#include "protocol/clock.h"
#include "protocol/input_log.h"
#include "wasm/wasm.h"

namespace esta::kernel {

// Told when a syscall makes another process runnable (a message it waits for arrived, room
// freed in a mailbox it is blocked on). The scheduler implements it.
class ProcessWaker {
  public:
    virtual ~ProcessWaker() = default;
    virtual void wake(ProcessId process) = 0;
};

struct SyscallConfig {
    u32 revoke_steps_per_call = 256;  // K-16: bounded work before the guest is suspended.
    // With several scheduler threads: held around every syscall, so mailboxes, handle
    // tables and the capability tree change under one lock (the guest runs without it).
    std::recursive_mutex* kernel_lock = nullptr;
};

// How a syscall ended, before it is turned into a host-function result.
struct SyscallResult {
    enum class Kind : u8 { Value, Block, Exit };
    Kind kind = Kind::Value;
    i64 value = 0;  // Value: >= 0 success, -status failure. Exit: the exit code.

    static SyscallResult of(i64 value) { return {Kind::Value, value}; }
    static SyscallResult failed(Status status) {
        return {Kind::Value, -static_cast<i64>(static_cast<i32>(status))};
    }
    static SyscallResult block() { return {Kind::Block, 0}; }
    static SyscallResult exit(i32 code) { return {Kind::Exit, code}; }
};

class LockstepGate;  // redundancy/lockstep_gate.h

// The handle values a send or reply moves (read_moved_handles below).
struct MovedHandles {
    std::array<HandleValue, kMaxMessageHandles> values{};
    u32 count = 0;
};

class Syscalls final : public ImportProvider {
  public:
    // All three outlive the processes they serve. `clock` stamps messages and measures
    // receive deadlines (an injected clock in tests).
    Syscalls(CapTree& tree, const protocol::Clock& clock, ProcessWaker& waker,
             SyscallConfig config = {}, SyscallServices services = {});

    // Defines every ABI function under module `estalogic` for `process`.
    void define_imports(wasm::Store& store, Process& process, wasm::Linker& linker) override;

    // Runs one syscall by its ABI name with wasm arguments, as the host function does;
    // `memory` is the caller's memory 0 (nullptr: every pointer is out of bounds).
    SyscallResult invoke(std::string_view name, Process& process, wasm::LinearMemory* memory,
                         std::span<const wasm::Value> args);
    // Whether `name` has an implementation (the rest answer NOT_SUPPORTED).
    static bool implemented(std::string_view name);

    // Driver calls in flight (driver_calls.h); the kernel lock is held for each. Delivers
    // the drivers' completed answers to their parked callers, in submission order (with
    // `wait_for_all`: after every call in flight has answered). Returns how many.
    std::size_t deliver_driver_replies(bool wait_for_all);
    std::size_t driver_calls_in_flight() const { return m_driver_calls->in_flight(); }
    DriverCalls& driver_calls() { return *m_driver_calls; }
    // `pid` ended: every driver it called forgets what the process left bound there.
    void release_drivers(ProcessId pid);

    struct Call {
        Process& process;
        wasm::LinearMemory* memory;
        std::span<const wasm::Value> args;
        CheckContext context;

        i32 i32_arg(std::size_t index) const { return static_cast<i32>(args[index].as_i32()); }
        u32 u32_arg(std::size_t index) const { return args[index].as_i32(); }
        i64 i64_arg(std::size_t index) const { return static_cast<i64>(args[index].as_i64()); }
    };

  private:
    // syscalls/handle.cc
    SyscallResult cap_lookup(Call& call);
    SyscallResult cap_derive(Call& call);
    SyscallResult cap_revoke(Call& call);
    SyscallResult cap_drop(Call& call);
    SyscallResult cap_info(Call& call);
    // syscalls/message.cc
    SyscallResult send(Call& call);
    SyscallResult recv(Call& call);
    // syscalls/process.cc
    SyscallResult exit(Call& call);
    SyscallResult yield(Call& call);
    SyscallResult now(Call& call);
    // syscalls/observe.cc
    SyscallResult random(Call& call);
    SyscallResult log(Call& call);
    SyscallResult metric(Call& call);
    SyscallResult span_begin(Call& call);
    SyscallResult span_end(Call& call);
    DeterministicRandom& random_for(ProcessId process);
    // syscalls/audit.cc
    SyscallResult audit(Call& call);
    // syscalls/driver.cc
    SyscallResult call(Call& call);
    SyscallResult resume_driver_call(Call& call);
    // The one place a driver's answer reaches the process (copied into its buffer).
    SyscallResult deliver_driver_answer(Call& call, DriverAnswer answer);
    // syscalls/reply_call.cc
    SyscallResult call_endpoint(Call& call);
    SyscallResult reply(Call& call);
    // syscalls/spawn.cc
    SyscallResult spawn(Call& call);

    // K-60: the gate that holds `process`'s effects while it handles a message in lockstep;
    // null when its effects apply at once.
    static LockstepGate* holding(Process& process);
    // K-60: a held effect spends a use of `node` only at release; this checks one more use
    // on top of those `gate` already holds (USES_EXHAUSTED, audited as a denial, as a live
    // check would be) and promises it.
    Result<void> hold_use(LockstepGate& gate, const CapNode& node, Rights asked,
                          const CheckContext& context);
    // K-60: before a critical process's sync-point syscall acts, its checker replica must
    // have made the identical request (LockstepGate::agree); called without the kernel lock.
    static void lockstep_sync(std::string_view name, Process& process, wasm::LinearMemory* memory,
                              std::span<const wasm::Value> args);
    // K-60: a retried message's sync point given the answer its refused attempt got.
    static SyscallResult answer_again(const protocol::SyscallAnswer& answer,
                                      wasm::LinearMemory* memory);
    // send's step (3): spend a use of `target` (the capability the send was checked
    // through), journal a persistent message, move the handles, queue.
    SyscallResult queue_message(Process& sender, CapNode& target, Endpoint& destination,
                                Message message, Admission admission, const MovedHandles& moved,
                                const CheckContext& context, bool persistent,
                                const observe::MessageTrace* parent = nullptr);
    // A held send, applied once the replicas agreed: admitted again (a refusal now is
    // reported and the message dropped, as the sender was told long ago), then queued. It
    // goes through the capability it was checked through when held, which a later
    // capability change of the same message (cap_drop, cap_revoke) does not undo: an
    // ordinary process's send would have been queued before that change. Its producer
    // span's parent is `parent`, what the sender worked under when it sent.
    void release_send(Process& sender, Ref<CapNode> target, Ref<Endpoint> destination,
                      Message message, CheckContext context, bool persistent,
                      const observe::MessageTrace& parent);

    using Handler = SyscallResult (Syscalls::*)(Call&);
    static Handler find_handler(std::string_view name);

    CapTree& m_tree;
    const protocol::Clock& m_clock;
    ProcessWaker& m_waker;
    SyscallConfig m_config;
    SyscallServices m_services;
    // Each process's generator, created on its first `random` (keyed by pid value).
    std::map<u32, DeterministicRandom> m_random;
    std::shared_ptr<DriverCalls> m_driver_calls = std::make_shared<DriverCalls>();
    // The driver ports each process called (keyed by pid value), released when it ends.
    std::map<u32, std::vector<Ref<DriverPort>>> m_driver_users;
};

// Guest memory helpers shared by the syscall files: a range of the caller's memory, checked
// (OUT_OF_BOUNDS when outside it or when the caller has no memory).
Result<std::span<u8>> guest_range(wasm::LinearMemory* memory, u32 address, u32 length);

// The handle values a send or reply moves (handles_ptr, handles_n): more than four or one
// named twice is INVALID_ARGS, a range outside memory OUT_OF_BOUNDS.
Result<MovedHandles> read_moved_handles(wasm::LinearMemory* memory, u32 address, u32 count);
// Each moved handle must be usable and hold TRANSFER (the ABI's check order, per handle in
// turn); nothing changes.
Result<void> check_movable(HandleTable& table, const MovedHandles& moved,
                           const CheckContext& context);

}  // namespace esta::kernel
