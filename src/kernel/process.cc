#include "kernel/process.h"

#include <algorithm>
#include <memory>

#include "kernel/message_trace.h"
#include "kernel/redundancy/lockstep_gate.h"
#include "kernel/syscalls/services.h"

namespace esta::kernel {

std::string_view process_state_name(ProcessState state) {
    switch (state) {
#define ESTA_PROCESS_STATE_NAME(name) \
    case ProcessState::name:          \
        return #name;
        ESTA_PROCESS_STATE_LIST(ESTA_PROCESS_STATE_NAME)
#undef ESTA_PROCESS_STATE_NAME
    }
    return "unknown";
}

bool is_allowed_transition(ProcessState from, ProcessState to) {
    using enum ProcessState;
    if (from == Completed) return false;  // Final: nothing comes back.
    if (to == Completed) return true;     // Returning, exiting, trapping or being killed.
    switch (from) {
        case Created:
            return to == Ready;
        case Ready:
            return to == Running;
        case Running:
            return to == Ready || to == Waiting || to == Blocked;
        case Waiting:
        case Blocked:
            return to == Ready;
        case Completed:
            return false;
    }
    return false;
}

std::string ExitReason::to_string() const {
    switch (kind) {
        case Kind::Normal:
            return "normal";
        case Kind::Code:
            return "code(" + std::to_string(code) + ")";
        case Kind::Killed:
            return "killed";
        case Kind::Crashed:
            if (trap) return "crashed(trap " + std::to_string(wasm::trap_code(trap->kind)) + ")";
            return "crashed(" + std::string(status_name(error)) + ")";
    }
    return "unknown";
}

Process::Process(Key, ProcessId pid, ObjectIdAllocator& ids, CapTree& tree, SpawnRequest& request)
    : KernelObject(ids.next(), Resource{ObjectType::Process, std::to_string(pid.value()), {}}),
      m_pid(pid),
      m_parent(request.parent),
      m_priority(request.priority),
      m_budgets(request.budgets),
      m_store(std::make_unique<wasm::Store>()),
      m_execution(*m_store, request.budgets.stack),
      m_handles(tree, pid, request.budgets.handles),
      m_endpoint(request.endpoint
                     ? request.endpoint
                     : make_ref<Endpoint>(ids.next(), std::to_string(pid.value()), pid,
                                          request.mailbox.value_or(
                                              MailboxConfig::for_priority(request.priority)))),
      m_current_time(request.now) {
    m_supervised = request.supervised;
    m_observer = request.observer;
    m_recorder = request.recorder;
}

Process::~Process() = default;

Result<Ref<Process>> Process::spawn(SpawnRequest request, ProcessId pid, ObjectIdAllocator& ids,
                                    CapTree& tree, ImportProvider& imports) {
    // (1) Check the request before building anything.
    if (!request.module) return Err(Status::InvalidArgs, "spawn: no module");
    if (request.priority == Priority::System && !request.kernel_work) {
        return Err(Status::InvalidArgs, "spawn: System priority is the kernel's own");
    }
    for (std::size_t i = 0; i < request.grants.size(); ++i) {
        for (std::size_t j = i + 1; j < request.grants.size(); ++j) {
            if (request.grants[i].name == request.grants[j].name) {
                return Err(Status::InvalidArgs, "spawn: duplicate grant name", Detail{.index = j});
            }
        }
    }
    if (request.grants.size() > request.budgets.handles.max_handles) {
        return Err(
            Status::Limit, "spawn: more grants than the handle limit",
            Detail{.limit = request.budgets.handles.max_handles, .actual = request.grants.size()});
    }
    // (2) Instantiate in the process's own store.
    auto process = make_ref<Process>(Key{}, pid, ids, tree, request);
    ESTA_TRY(process->instantiate(request.module, request.entry, imports));
    if (request.lockstep != nullptr) {
        // K-60: the checker replica, starting from the leader's state after its init.
        if (process->m_style != ModuleStyle::Reactive)
            return Err(Status::InvalidArgs, "spawn: a critical process must be reactive");
        const std::string handler =
            request.entry == "_start" ? std::string("estalogic_handle") : request.entry;
        process->m_lockstep = ESTA_TRY(LockstepGate::create(
            request.module, handler, "process." + std::to_string(pid.value()), *request.lockstep));
        ESTA_TRY(process->m_lockstep->attach(*process->m_instance));
    }
    // (3) Install the grants; the insertions cannot fail after the limit check above.
    for (Grant& grant : request.grants) {
        HandleValue value = ESTA_TRY(process->m_handles.insert(std::move(grant.handle)));
        process->m_grants.emplace_back(std::move(grant.name), value);
    }
    return process;
}

Result<void> Process::instantiate(std::shared_ptr<const wasm::CompiledModule> module,
                                  const std::string& entry, ImportProvider& imports) {
    wasm::Linker linker;
    imports.define_imports(*m_store, *this, linker);
    wasm::ExecutionConfig start_config{.fuel = m_budgets.fuel_per_slice};
    auto instantiated = ESTA_TRY(
        wasm::instantiate(*m_store, std::move(module), linker, m_budgets.memory, start_config));
    if (instantiated.trap) {
        return Err(Status::Invalid, "spawn: the start function trapped",
                   Detail{.actual = wasm::trap_code(instantiated.trap->kind)});
    }
    m_instance = instantiated.instance;
    ESTA_TRY(resolve_entry(entry));
    if (m_style == ModuleStyle::Reactive) {
        ESTA_TRY(resolve_migrate());
        // estalogic_init runs once, to completion, within one slice of fuel.
        if (wasm::FuncRef init = m_instance->function("estalogic_init")) {
            auto outcome = wasm::invoke(*m_store, init, {}, start_config, m_budgets.stack);
            if (!outcome || !outcome->completed() ||
                (!outcome->results.empty() && outcome->results[0].as_i32() != 0)) {
                return Err(Status::Invalid, "spawn: estalogic_init failed");
            }
        }
    }
    return Ok();
}

Result<void> Process::resolve_entry(const std::string& entry) {
    auto found = m_instance->find_export(entry);
    if (!found && entry == "_start") {
        found = m_instance->find_export("estalogic_handle");
        if (found) m_style = ModuleStyle::Reactive;
    }
    if (!found) return Err(Status::NotFound, "spawn: no such entry export");
    if (found->kind != wasm::ExternKind::Func) {
        return Err(Status::WrongType, "spawn: the entry is not a function");
    }
    const wasm::FuncType& type = wasm::function_type(found->function);
    bool returns_ok =
        type.results.empty() || (type.results.size() == 1 && type.results[0] == wasm::ValType::I32);
    if (m_style == ModuleStyle::Reactive) returns_ok = type.results.size() == 1 && returns_ok;
    if (!type.params.empty() || !returns_ok) {
        return Err(Status::WrongType, "spawn: the entry must be () -> () or () -> i32");
    }
    m_entry = found->function;
    return Ok();
}

// A live upgrade's migration hook (ABI.md "Module exports"): optional, () -> i32 like the
// handler, so it runs the same way with the upgrade message in hand.
Result<void> Process::resolve_migrate() {
    auto found = m_instance->find_export("estalogic_migrate");
    if (!found) return Ok();
    const wasm::FuncType* type =
        found->kind == wasm::ExternKind::Func ? &wasm::function_type(found->function) : nullptr;
    if (!type || !type->params.empty() || type->results.size() != 1 ||
        type->results[0] != wasm::ValType::I32) {
        return Err(Status::WrongType, "spawn: estalogic_migrate must be () -> i32");
    }
    m_migrate = found->function;
    return Ok();
}

Result<HandleValue> Process::add_grant(std::string name, Handle handle) {
    if (lookup_grant(name)) return Err(Status::InvalidArgs, "grant: name already granted");
    HandleValue value = ESTA_TRY(m_handles.insert(std::move(handle)));
    m_grants.emplace_back(std::move(name), value);
    return value;
}

Result<HandleValue> Process::lookup_grant(std::string_view name) const {
    auto it = std::find_if(m_grants.begin(), m_grants.end(),
                           [name](const auto& grant) { return grant.first == name; });
    if (it == m_grants.end()) return Err(Status::NotFound, "cap_lookup: nothing granted");
    return it->second;
}

Result<void> Process::transition(ProcessState to) {
    if (!is_allowed_transition(m_state, to)) {
        return Err(Status::Invalid, "process: transition not allowed by K-1",
                   Detail{.index = static_cast<u64>(m_state), .actual = static_cast<u64>(to)});
    }
    m_state = to;
    return Ok();
}

void Process::prepare_wait(ProcessState waiting_or_blocked) {
    ESTA_ASSERT(waiting_or_blocked == ProcessState::Waiting ||
                waiting_or_blocked == ProcessState::Blocked);
    m_pending_wait = waiting_or_blocked;
}

namespace {
// Holds the kernel lock when there is one (several scheduler threads).
class OptionalLock {
  public:
    explicit OptionalLock(std::recursive_mutex* mutex) : m_mutex(mutex) {
        if (m_mutex) m_mutex->lock();
    }
    ~OptionalLock() {
        if (m_mutex) m_mutex->unlock();
    }
    OptionalLock(const OptionalLock&) = delete;
    OptionalLock& operator=(const OptionalLock&) = delete;

  private:
    std::recursive_mutex* m_mutex;
};
}  // namespace

Result<SliceResult> Process::run_slice(const std::atomic<bool>* preempt,
                                       const std::atomic<bool>* interrupt,
                                       std::recursive_mutex* kernel_lock) {
    {
        OptionalLock lock(kernel_lock);
        auto begun = ESTA_TRY(begin_slice());
        if (begun.state != ProcessState::Running) return begun;
    }
    wasm::ExecutionConfig config{.fuel = m_budgets.fuel_per_slice,
                                 .fuel_mode = wasm::FuelMode::Slice,
                                 .interrupt = interrupt,
                                 .preempt = preempt};
    auto outcome =
        m_started ? m_execution.resume(config) : m_execution.invoke(handler(), {}, config);
    m_started = true;
    if (m_lockstep && m_style == ModuleStyle::Reactive && outcome &&
        outcome->kind == wasm::Outcome::Kind::Completed && m_lockstep->in_message()) {
        // K-60: the handler returned; wait for the checker replica and compare pages here,
        // not under the kernel lock (the kernel decides on the comparison after).
        m_lockstep->finish(*m_instance, outcome->results.empty()
                                            ? 0
                                            : static_cast<i32>(outcome->results[0].as_i32()));
    }
    OptionalLock lock(kernel_lock);
    return end_slice(std::move(outcome));
}

Result<SliceResult> Process::begin_slice() {
    if (m_state != ProcessState::Ready) {
        return Err(Status::Invalid, "run_slice: the process is not ready",
                   Detail{.actual = static_cast<u64>(m_state)});
    }
    ESTA_TRY(transition(ProcessState::Running));
    m_pending_wait.reset();
    if (m_style == ModuleStyle::Reactive && !m_started) {
        // Between messages: take the next one for the handler (or the one the lockstep
        // replicas disagreed on, again), or wait for one.
        const bool redo = m_redo && m_lockstep_copy;
        if (redo) {
            m_current_message = std::move(*m_lockstep_copy);  // With its handles.
            m_redo = false;
        } else {
            auto next = mailbox().receive(message_types::kAny, Timeout::poll(), m_current_time);
            if (!next) {
                mailbox().park_receiver(message_types::kAny, Timeout::forever());
                ESTA_TRY(transition(ProcessState::Waiting));
                return SliceResult{m_state, 0};
            }
            m_current_message = std::move(**next);
        }
        m_current_time = m_current_message->time;  // T-2: the handled message's time.
        m_message_in_hand = m_current_message->copy_without_handles();
        m_delivered_handles.clear();
        m_reply_to = m_current_message->reply_to;
        if (m_observer && !redo) {  // A retry is handled under the same consumer span.
            m_observer->message_received(message_facts(*m_current_message, m_pid, mailbox().size()),
                                         message_trace(*m_current_message));
        }
        if (m_lockstep) {
            m_lockstep_copy = m_current_message->copy_without_handles();
            m_lockstep->message_taken(*m_instance, m_current_message->seq);
            // Its guest spans leave with its effects, once.
            if (m_observer) m_observer->guest_spans_hold(m_pid.value());
            // K-60: on the record once the replicas agreed (a retry is delivered again).
            if (m_recorder) {
                auto delivered =
                    std::make_shared<Message>(m_current_message->copy_without_handles());
                delivered->handle_count = m_current_message->handle_count;  // The count only.
                m_lockstep->journal([recorder = m_recorder, pid = m_pid, delivered] {
                    recorder->delivered(pid, *delivered);
                });
            }
        } else if (m_recorder) {
            m_recorder->delivered(m_pid, *m_current_message);
        }
    }
    return SliceResult{m_state, 0};
}

Result<SliceResult> Process::end_slice(Result<wasm::Outcome> outcome) {
    if (!outcome) {
        // The engine refused to run (a kernel bug, not the guest's doing): crash it loudly.
        complete(ExitReason::crashed(outcome.error().code));
        return SliceResult{m_state, 0};
    }
    m_fuel_used += outcome->fuel_used;
    switch (outcome->kind) {
        case wasm::Outcome::Kind::Completed: {
            i32 code =
                outcome->results.empty() ? 0 : static_cast<i32>(outcome->results[0].as_i32());
            if (m_style == ModuleStyle::Reactive) {
                finish_message(code);  // The process lives on for the next message.
                break;
            }
            complete(code == 0 ? ExitReason::normal() : ExitReason::with_code(code));
            break;
        }
        case wasm::Outcome::Kind::Exited: {
            i32 code = static_cast<i32>(outcome->exit_code);
            complete(code == 0 ? ExitReason::normal() : ExitReason::with_code(code));
            break;
        }
        case wasm::Outcome::Kind::Trapped:
            complete(ExitReason::crashed(outcome->trap));
            break;
        case wasm::Outcome::Kind::Suspended:
            // A host call asked to wait (recv, a driver call), or the slice ended.
            ESTA_TRY(transition(m_pending_wait.value_or(ProcessState::Ready)));
            m_pending_wait.reset();
            break;
    }
    return SliceResult{m_state, outcome->fuel_used};
}

void Process::redo_message() {
    m_redo = true;
    if (m_observer) m_observer->guest_spans_settle(m_pid.value(), false);
    if (!m_lockstep_copy) return;
    // The retry is delivered as the message was: the handles recv put in the table go back
    // aboard (one the refused attempt dropped or passed on is gone, as after a trap, T-4).
    for (HandleValue value : m_lockstep_delivered) {
        auto handle = m_handles.remove(value);
        if (handle) m_lockstep_copy->attach(*handle);
    }
    m_lockstep_delivered.clear();
}

void Process::message_agreed() {
    m_lockstep_copy.reset();
    m_lockstep_delivered.clear();
    if (m_observer) {
        m_observer->guest_spans_settle(m_pid.value(), true);
        m_observer->message_handled(m_pid.value());
    }
}

wasm::FuncRef Process::handler() const {
    bool upgrade = m_current_message && m_current_message->type == message_types::kModuleUpgrade;
    return upgrade && m_migrate ? m_migrate : m_entry;
}

void Process::finish_message(i32 code) {
    m_last_code = code;
    if (code < 0) ++m_failed_messages;
    if (m_lockstep && m_lockstep_copy) {
        // K-60: the message may be handled again: its handles stay with it until the
        // replicas' comparison decides (message_agreed, redo_message).
        if (m_current_message) {
            for (u32 i = 0; i < m_current_message->handle_count; ++i)
                m_lockstep_copy->attach(m_current_message->handles[i]);
            m_current_message->handle_count = 0;
        }
        m_lockstep_delivered = m_delivered_handles;
    }
    m_current_message.reset();  // Handles it carried and the handler did not take drop here.
    if (m_message_in_hand) m_finished_seq = m_message_in_hand->seq;
    m_message_in_hand.reset();
    m_delivered_handles.clear();
    m_started = false;
    // A critical process's message is handled once its replicas agreed (message_agreed).
    if (m_observer && !m_lockstep) m_observer->message_handled(m_pid.value());
    m_state = ProcessState::Ready;  // Running -> Ready: the next slice takes the next message.
}

void Process::kill() {
    if (m_state == ProcessState::Completed) return;
    complete(ExitReason::killed());
}

void Process::complete(ExitReason reason) {
    ESTA_ASSERT(m_state != ProcessState::Completed);
    m_state = ProcessState::Completed;
    m_exit = std::move(reason);
    m_execution.reset();  // Abandon a suspended call.
    if (m_lockstep) {
        m_lockstep->discard();  // Nothing held of an unfinished message leaves,
        if (m_observer) m_observer->guest_spans_settle(m_pid.value(), false);  // nor its spans.
    }
    if (m_exit->trap && m_message_in_hand) reclaim_message_handles();
    m_current_message.reset();
    if (m_pending_call) m_pending_call->slot->abandon();
    m_pending_call.reset();
    // A supervised process's endpoint outlives it: the supervisor decides (restart on it,
    // or close it). Its parked-receiver registration is this process's, so it goes.
    if (!m_supervised) m_endpoint->detach_receiver();
    m_handles.clear();
    m_grants.clear();
}

void Process::reclaim_message_handles() {
    Message& in_hand = *m_message_in_hand;
    if (m_current_message) {
        // Trapped before its recv: the handles are still aboard.
        for (u32 i = 0; i < m_current_message->handle_count; ++i)
            in_hand.attach(m_current_message->handles[i]);
        m_current_message->handle_count = 0;
    } else {
        // Delivered: those still in the table (not dropped or passed on) come back.
        for (HandleValue value : m_delivered_handles) {
            auto handle = m_handles.remove(value);
            if (handle) in_hand.attach(*handle);
        }
    }
    m_delivered_handles.clear();
}

}  // namespace esta::kernel
