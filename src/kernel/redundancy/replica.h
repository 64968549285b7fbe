// Replica (REQUIREMENTS K-60): one of the two engine instances of a critical process. It owns
// its store, instance and execution (so its memory, globals, value stack and frames are its
// own copies), its copy of the input message, the effects it produced for the current
// message and, parked in an outbox until the comparison releases them, their bytes.
//
// The guest sees the lockstep host interface (module "lockstep"):
//   input(ptr, cap) -> len                     its own copy of the message
//   now() -> i64, random() -> i64              kernel answers; journaled (AnswerJournal)
//   send(target: i64, ptr, len) -> 0           an outgoing message: an effect, parked
//   audit(ptr, len) -> 0                       an audit record: an effect, parked
//   driver(driver: i64, op, req, req_len, reply, reply_cap) -> reply_len (or -1)
//                                              a sync point: the replica stops until both
//                                              requests were compared and the one real
//                                              call's reply is handed to both
// and exports handle() -> i32, called once per message.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "base/result.h"
#include "base/types.h"
#include "kernel/ids.h"
#include "kernel/redundancy/answer_journal.h"
#include "kernel/redundancy/effect_log.h"
#include "kernel/redundancy/released_state.h"
#include "wasm/fault_hooks.h"
#include "wasm/wasm.h"

namespace esta::kernel {

// The kernel's side of a lockstep process: the answers replica 0 asks for, and where
// released effects go. Set by the kernel (tests: fakes with real bytes).
struct LockstepServices {
    std::function<Nanos()> now;
    std::function<u64()> random;
    // Called once per compared driver request; the reply goes to both replicas.
    std::function<Result<std::vector<u8>>(u64 driver, u32 operation, ByteSpan request)> driver;
    // Released effects, in the order the replicas produced them.
    std::function<void(u64 target, ByteSpan payload)> deliver;
    std::function<void(ByteSpan record)> audit;
    // The time stamped on safety reports (not an answer to a guest); 0 when unset.
    std::function<Nanos()> clock;
};

// A bit flip to inject into one replica at a chosen point of one message (tests, the fault
// campaign): after `at_fuel` instructions of the handler, bit `bit_seed % fault_bits` of
// `target`.
struct FaultPlan {
    u32 replica = 0;
    u64 at_fuel = 0;
    wasm::FaultTarget target = wasm::FaultTarget::Memory;
    u64 bit_seed = 0;
    // A stuck fault: injected again in the retry (the default is a transient upset).
    bool every_attempt = false;
};

// The next grant of a replica's run of one message: up to the planned fault's instruction
// (a slice that suspends there, so the flip can be made) or else the message's budget, less
// `given`, the fuel granted so far (a resumed call keeps what it had left), which it advances.
wasm::ExecutionConfig next_slice(const std::optional<FaultPlan>& fault, u64 message_fuel,
                                 u64& given);

// Where a replica stopped.
struct ReplicaStop {
    enum class Kind : u8 { Sync, Returned, Trapped, Exited };
    Kind kind = Kind::Returned;
    u64 code = 0;  // Returned value, trap kind or exit code.
};

struct ParkedEffect {
    EffectKind kind;
    u64 target;
    std::vector<u8> bytes;
};

class Replica {
  public:
    // Instantiates `module` with the lockstep imports. Errors: the instantiation's, or
    // Status::NotFound when the module does not export handle().
    static Result<std::unique_ptr<Replica>> create(
        u32 index, std::shared_ptr<const wasm::CompiledModule> module, AnswerJournal& journal,
        const LockstepServices& services, u64 message_fuel);
    Replica(const Replica&) = delete;
    Replica& operator=(const Replica&) = delete;

    // Starts a message attempt: a private copy of `input`, an empty log and outbox.
    void begin(u64 sequence, ByteSpan input, const FaultPlan* fault);
    // Runs until a sync point or the end of the handler.
    ReplicaStop run();
    // The pending driver request's reply (nullopt: the call failed; the guest sees -1).
    void give_reply(std::optional<std::vector<u8>> reply);
    // Appends the handler's outcome and the digest of the pages this message dirtied
    // (against `released`) plus the globals; `dirty` receives those pages.
    void finish(const ReplicaStop& stop, const ReleasedState& released);

    const EffectLog& log() const { return m_log; }
    const std::vector<ParkedEffect>& outbox() const { return m_outbox; }
    const ParkedEffect* pending_request() const;
    const DirtyPageTracker& dirty() const { return m_dirty; }
    wasm::Instance& instance() { return *m_instance; }
    wasm::Store& store() { return m_store; }
    const wasm::CompiledModule& module() const { return *m_module; }
    // Whether the planned fault was applied in this attempt, and to which bit.
    bool fault_injected() const { return m_fault_injected; }
    u64 fuel_used() const { return m_fuel_used; }

  private:
    Replica(u32 index, std::shared_ptr<const wasm::CompiledModule> module, AnswerJournal& journal,
            const LockstepServices& services, u64 message_fuel);
    Result<void> instantiate();
    std::optional<u64> answer(AnswerKind kind);
    wasm::HostResult driver_call(wasm::HostContext& context, std::span<const wasm::Value> args,
                                 std::span<wasm::Value> results);
    void inject_fault();

    u32 m_index;
    std::shared_ptr<const wasm::CompiledModule> m_module;
    AnswerJournal& m_journal;
    const LockstepServices& m_services;
    u64 m_message_fuel;
    wasm::Store m_store;
    wasm::Instance* m_instance = nullptr;
    wasm::FuncRef m_handle = nullptr;
    std::optional<wasm::Execution> m_execution;

    std::vector<u8> m_input;
    EffectLog m_log;
    std::vector<ParkedEffect> m_outbox;
    std::size_t m_answers = 0;  // Answers consumed in this attempt.
    bool m_started = false;
    u64 m_fuel_used = 0;
    u64 m_fuel_given = 0;                  // Fuel granted to this attempt's invocation so far.
    std::optional<std::size_t> m_pending;  // Outbox index of the request at the sync point.
    std::optional<std::optional<std::vector<u8>>> m_reply;
    std::optional<FaultPlan> m_fault;
    bool m_fault_injected = false;
    DirtyPageTracker m_dirty;
};

}  // namespace esta::kernel
