#include "kernel/runtime/kernel_runtime.h"

#include "kernel/module_object.h"

#include <algorithm>

#include "kernel/message_trace.h"
#include "kernel/redundancy/lockstep_gate.h"

namespace esta::kernel {

namespace {

u32 thread_count(u32 configured) {
    if (configured != 0) return configured;
    return std::max(1u, std::thread::hardware_concurrency());
}

SyscallConfig with_lock(SyscallConfig config, std::recursive_mutex& lock) {
    config.kernel_lock = &lock;
    return config;
}

// A critical spawn without lockstep support fails (LockstepGate::create says why).
const KernelLockstepSupport kNoLockstep{};

SyscallServices with_spawner(SyscallServices services, KernelSpawner& spawner) {
    services.spawner = &spawner;
    return services;
}

}  // namespace

Kernel::Kernel(const protocol::Clock& clock, CapabilityAudit& audit, DeadLetterSink& dead_letters,
               KernelConfig config, SyscallServices services)
    : m_clock(clock),
      m_config(config),
      m_dead_letters(dead_letters),
      m_persistent(services.persistent),
      m_observer(services.observer),
      m_recorder(services.answers),
      m_safety(services.safety),
      m_lockstep(services.lockstep),
      m_tree(audit),
      m_syscalls(m_tree, clock, *this, with_lock(config.syscalls, m_lock),
                 with_spawner(services, *this)),
      m_poison(dead_letters),
      m_watchdog(thread_count(config.threads), config.watchdog_limit),
      m_fairness(config.fairness_window) {
    for (u32 i = 0; i < thread_count(config.threads); ++i)
        m_workers.push_back(std::make_unique<Worker>(config.scheduler));
    roll_window(clock.now_ns());
    if (m_observer) {
        m_observer->process_counts_source([this] {
            std::lock_guard<std::recursive_mutex> lock(m_lock);
            SchedulerStats all = scheduler_totals();
            return observe::ProcessCounts{all.ready, all.running, all.waiting, all.blocked};
        });
    }
}

Kernel::~Kernel() {
    if (m_observer) m_observer->process_counts_source(nullptr);
    shutdown();
}

SpawnRequest Kernel::request_for(const ProcessSpec& spec, ProcessId pid) {
    SpawnRequest request;
    request.module = spec.module;
    request.entry = spec.entry;
    request.priority = spec.priority;
    request.budgets = spec.budgets;
    request.budgets.fuel_per_slice =
        spec.slice_fuel.value_or(slice_fuel(spec.priority, m_config.fuel_per_milli));
    request.mailbox = spec.mailbox;
    request.now = m_clock.now_ns();
    request.observer = m_observer;
    request.recorder = m_recorder;
    if (spec.critical) request.lockstep = m_lockstep != nullptr ? m_lockstep : &kNoLockstep;
    for (const GrantSpec& grant : spec.grants) {
        request.grants.push_back(Grant{grant.name, m_tree.grant(grant.object, grant.rights, {}, pid,
                                                                request.now, grant.badge)});
    }
    return request;
}

Result<Ref<Process>> Kernel::start_process(ProcessId pid, Record& record, Ref<Endpoint> endpoint) {
    SpawnTiming timing;
    timing.began = m_clock.now_ns();
    StartKind kind = endpoint ? StartKind::Restart : StartKind::Spawn;
    SpawnRequest request = request_for(record.spec, pid);
    if (m_recorder) {
        // Before the module is instantiated: its start function may already make syscalls.
        protocol::ProcessStart start{record.spec.name, record.spec.entry, record.spec.module_sha256,
                                     record.lives++};
        m_recorder->started(pid, start, request.now);
    }
    request.endpoint = std::move(endpoint);
    request.supervised = record.supervision.has_value();
    auto process = ESTA_TRY(Process::spawn(std::move(request), pid, m_ids, m_tree, m_syscalls));
    timing.instantiated = m_clock.now_ns();
    record.process = process;
    if (m_observer) m_observer->process_spawned(pid.value(), 0, record.spec.entry);
    record.taken.reset();
    Worker& worker = worker_of(pid);
    ESTA_TRY(worker.scheduler.add(process, timing.instantiated));
    worker.wake.notify_one();
    timing.scheduled = m_clock.now_ns();
    // The region: the supervision name, else the name the spec gives the process.
    if (m_safety != nullptr)
        m_safety->started(pid, record.name.empty() ? record.spec.name : record.name, kind, timing);
    return process;
}

Result<ProcessId> Kernel::spawn(ProcessSpec spec) {
    std::lock_guard<std::recursive_mutex> lock(m_lock);
    ProcessId pid(m_next_pid);
    Record record{nullptr, std::move(spec), std::nullopt, 0, 0, {}, std::nullopt};
    ESTA_TRY(start_process(pid, record, nullptr));
    ++m_next_pid;
    m_records.emplace(pid, std::move(record));
    return pid;
}

Result<Ref<Process>> Kernel::spawn(SpawnRequest request) {
    // From the spawn syscall: the caller's grants are already handles; the kernel lock is
    // held by the syscall.
    ProcessId pid(m_next_pid);
    request.budgets.fuel_per_slice = slice_fuel(request.priority, m_config.fuel_per_milli);
    request.now = m_clock.now_ns();
    request.observer = m_observer;
    request.recorder = m_recorder;
    if (m_recorder)
        m_recorder->started(pid, protocol::ProcessStart{{}, request.entry, {}, 0}, request.now);
    SpawnTiming timing;
    timing.began = request.now;
    Priority priority = request.priority;
    ProcessId parent = request.parent;
    std::string entry = request.entry;
    auto process = ESTA_TRY(Process::spawn(std::move(request), pid, m_ids, m_tree, m_syscalls));
    if (m_observer) m_observer->process_spawned(pid.value(), parent.value(), entry);
    timing.instantiated = m_clock.now_ns();
    ++m_next_pid;
    ProcessSpec spec;
    spec.priority = priority;
    m_records.emplace(pid, Record{process, std::move(spec), std::nullopt, 0, 1, {}, std::nullopt});
    Worker& worker = worker_of(pid);
    ESTA_TRY(worker.scheduler.add(process, timing.instantiated));
    worker.wake.notify_one();
    timing.scheduled = m_clock.now_ns();
    if (m_safety != nullptr) m_safety->started(pid, {}, StartKind::Spawn, timing);
    return process;
}

Result<void> Kernel::grant(ProcessId pid, GrantSpec grant) {
    std::lock_guard<std::recursive_mutex> lock(m_lock);
    auto it = m_records.find(pid);
    if (it == m_records.end()) return Err(Status::NotFound, "kernel.grant: no such process");
    Process& process = *it->second.process;
    if (process.state() == ProcessState::Completed)
        return Err(Status::NotFound, "kernel.grant: the process ended");
    Handle handle =
        m_tree.grant(grant.object, grant.rights, {}, pid, m_clock.now_ns(), grant.badge);
    ESTA_TRY(process.add_grant(grant.name, std::move(handle)));
    it->second.spec.grants.push_back(std::move(grant));  // A restart grants it again.
    return Ok();
}

Ref<Endpoint> Kernel::endpoint(ProcessId pid) {
    std::lock_guard<std::recursive_mutex> lock(m_lock);
    auto it = m_records.find(pid);
    return it == m_records.end() ? nullptr : it->second.process->endpoint();
}

Ref<KernelObject> Kernel::module_object(std::string name,
                                        std::shared_ptr<const wasm::CompiledModule> module) {
    std::lock_guard<std::recursive_mutex> lock(m_lock);
    return make_ref<ModuleObject>(m_ids.next(), std::move(name), std::move(module));
}

Result<u64> Kernel::send(ProcessId pid, MessageType type, std::vector<u8> payload, u8 priority) {
    SendOptions options;
    options.priority = priority;
    return send(pid, type, std::move(payload), options);
}

Result<u64> Kernel::send(ProcessId pid, MessageType type, std::vector<u8> payload,
                         SendOptions options) {
    std::lock_guard<std::recursive_mutex> lock(m_lock);
    auto it = m_records.find(pid);
    if (it == m_records.end()) return Err(Status::NotFound, "kernel.send: no such process");
    Endpoint& endpoint = *it->second.process->endpoint();
    if (!endpoint.receiver_alive()) return Err(Status::NotFound, "kernel.send: process ended");
    Message message;
    message.type = type;
    message.sender = kKernelProcess;
    message.priority = options.priority;
    message.time = m_clock.now_ns();
    message.deadline = options.deadline;
    message.on_miss = options.on_miss;
    message.payload = std::move(payload);
    auto admission = endpoint.mailbox().admit(message);
    if (!admission || *admission == Admission::BlockSender) {
        Status status = admission ? Status::MailboxFull : admission.error().code;
        if (m_observer) {
            m_observer->message_refused(message_facts(message, pid, endpoint.mailbox().size()),
                                        static_cast<i32>(status));
        }
        if (!admission) {
            if (m_safety != nullptr)
                m_safety->refused(kKernelProcess, admission.error(), message.time);
            return admission.error();
        }
        return Err(Status::MailboxFull, "kernel.send: the kernel never blocks");
    }
    if (m_observer) {
        // External input starts a trace (or joins none): the kernel's PRODUCER span roots it.
        stamp_trace(message, m_observer->message_sent(
                                 message_facts(message, pid, endpoint.mailbox().size() + 1)));
    }
    SendReceipt receipt = endpoint.mailbox().push(std::move(message), *admission);
    if (options.deadline) watch_deadlines(pid, endpoint.mailbox());
    if (m_observer && receipt.discarded) {
        m_observer->message_refused(
            message_facts(*receipt.discarded, pid, endpoint.mailbox().size()),
            static_cast<i32>(Status::MailboxFull));
    }
    if (receipt.wake_receiver) wake(pid);
    return receipt.seq;
}

std::vector<Message> Kernel::take(Endpoint& endpoint, std::size_t max) {
    std::lock_guard<std::recursive_mutex> lock(m_lock);
    std::vector<Message> taken;
    Nanos now = m_clock.now_ns();
    while (taken.size() < max) {
        auto received = endpoint.mailbox().receive(message_types::kAny, Timeout::poll(), now);
        if (!received || !*received) break;
        taken.push_back(std::move(**received));
        if (auto sender = endpoint.mailbox().take_unblocked_sender()) wake(*sender);
    }
    return taken;
}

void Kernel::wake(ProcessId pid) {
    Worker& worker = worker_of(pid);
    worker.scheduler.wake(pid);
    worker.wake.notify_one();
}

Result<bool> Kernel::run_one(u32 index) {
    Worker& worker = *m_workers[index];
    Ref<Process> process;
    Nanos now = 0;
    Nanos picked = 0;
    std::optional<std::pair<u64, Nanos>> next;  // The message a reactive handler will take.
    {
        std::lock_guard<std::recursive_mutex> lock(m_lock);
        now = m_clock.now_ns();
        start_due_restarts(now);
        settle_stable_children(now);
        sweep_deadlines(now);
        process = worker.scheduler.pick(now);
        if (!process) return false;
        picked = now;
        if (m_safety != nullptr && process->style() == ModuleStyle::Reactive &&
            !process->message_in_hand()) {
            if (const Message* message = process->mailbox().peek(message_types::kAny))
                next = std::make_pair(message->seq, message->time);
        }
    }
    u64 fuel_before = process->fuel_used();
    m_watchdog.begin(index, protocol::SystemClock().now_ns());
    auto slice = process->run_slice(worker.scheduler.preempt_flag(),
                                    m_watchdog.interrupt_flag(index), &m_lock);
    m_watchdog.end(index);
    std::lock_guard<std::recursive_mutex> lock(m_lock);
    now = m_clock.now_ns();
    auto report = ESTA_TRY(worker.scheduler.finish(process->pid(), std::move(slice), now));
    note_delivery(*process, next, fuel_before, picked);
    after_slice(*process, report, now);
    return true;
}

void Kernel::note_delivery(Process& process, const std::optional<std::pair<u64, Nanos>>& next,
                           u64 fuel_before, Nanos picked) {
    if (!next || m_safety == nullptr) return;
    auto it = m_records.find(process.pid());
    if (it == m_records.end()) return;
    m_safety->delivered(process.pid(), next->first, next->second, picked);
    it->second.taken = Record::Taken{next->first, picked, fuel_before};
}

void Kernel::roll_window(Nanos now) {
    Nanos start = m_fairness.window_start();
    m_fairness.roll(now);
    if (m_fairness.window_start() == start) return;
    m_window_switches_base = 0;
    for (const auto& worker : m_workers)
        m_window_switches_base += worker->scheduler.context_switches();
}

void Kernel::after_slice(Process& process, const SliceReport& report, Nanos now) {
    roll_window(now);
    m_fairness.record(process.pid(), process.priority(), report.fuel_used, report.state);
    if (m_observer) observe_slice(process, report);
    std::optional<u64> finished = process.take_finished_seq();
    if (finished && process.lockstep() != nullptr && !settle_lockstep(process, now))
        finished.reset();  // Run again, or dead-lettered: not handled.
    if (auto seq = finished) {
        m_poison.on_handled(process.pid(), *seq);
        auto it = m_records.find(process.pid());
        if (m_safety != nullptr && it != m_records.end() && it->second.taken &&
            it->second.taken->seq == *seq) {
            const Record::Taken& taken = *it->second.taken;
            m_safety->handled(process.pid(), *seq, taken.at, process.fuel_used() - taken.fuel, now);
            it->second.taken.reset();
        }
        // A lost marker means one more delivery after a restart, never a lost message.
        if (m_persistent != nullptr) (void)m_persistent->consumed(process.pid(), *seq);
        for (HandledMessages* listener : m_handled)
            listener->handled(process.pid(), *seq, process.last_handler_code() == 0);
    }
    if (process.state() == ProcessState::Completed) {
        m_syscalls.release_drivers(process.pid());
        const ExitReason& exit = *process.exit_reason();
        if (m_recorder)
            m_recorder->ended(process.pid(), {exit.to_string(), process.fuel_used()}, now);
        if (exit.kind == ExitReason::Kind::Crashed) {
            on_crash(process, now);
        } else if (process.supervised()) {
            process.endpoint()->detach_receiver();  // Ended on its own: no restart.
        }
    }
    settle_reply(process);
    wake_orphaned_callers(*process.endpoint());
    handle_misses(process, now);
}

void Kernel::watch_handled(HandledMessages* listener) {
    std::lock_guard lock(m_lock);
    m_handled.push_back(listener);
}

void Kernel::unwatch_handled(HandledMessages* listener) {
    std::lock_guard lock(m_lock);
    std::erase(m_handled, listener);
}

void Kernel::wake_orphaned_callers(Endpoint& endpoint) {
    for (ProcessId caller : endpoint.take_orphaned_callers())
        wake(caller);
}

void Kernel::observe_slice(Process& process, const SliceReport& report) {
    m_observer->slice_ended(process.pid().value(), report.fuel_used);
    if (process.state() != ProcessState::Completed) return;
    const ExitReason& exit = *process.exit_reason();
    std::optional<u32> trap;
    if (exit.kind == ExitReason::Kind::Crashed)
        trap = exit.trap ? wasm::trap_code(exit.trap->kind) : static_cast<u32>(exit.error);
    m_observer->process_exited(process.pid().value(), exit.to_string(), trap);
}

void Kernel::settle_reply(Process& process) {
    // A request whose handler ended, or finished the message, without answering fails, so
    // its caller is not left waiting (a retried message keeps its reply-to in the copy).
    Ref<CallSlot>& reply_to = process.reply_to();
    if (!reply_to) return;
    bool between_messages = process.style() == ModuleStyle::Reactive && !process.message_in_hand();
    if (process.state() != ProcessState::Completed && !between_messages) return;
    if (reply_to->fail()) wake(reply_to->caller());
    reply_to = nullptr;
}

Result<u64> Kernel::run_until_idle(u64 max_slices) {
    if (m_threads_running) return Err(Status::Invalid, "kernel: the threads are running");
    u64 slices = 0;
    while (slices < max_slices) {
        bool progressed = false;
        for (u32 i = 0; i < m_workers.size() && slices < max_slices; ++i) {
            bool ran = ESTA_TRY(run_one(i));
            if (ran) {
                ++slices;
                progressed = true;
            }
        }
        if (progressed) continue;
        // Idle with driver calls in flight: wait for all of them, then deliver their
        // answers in submission order, so a run does not depend on the drivers' timing.
        std::lock_guard<std::recursive_mutex> lock(m_lock);
        if (m_syscalls.driver_calls_in_flight() == 0) break;
        if (m_syscalls.deliver_driver_replies(true) == 0) break;
    }
    return slices;
}

bool Kernel::idle_locked() const {
    // A driver call in flight will wake its caller: not idle yet.
    if (m_syscalls.driver_calls_in_flight() != 0) return false;
    for (const auto& worker : m_workers) {
        SchedulerStats stats = worker->scheduler.stats();
        if (stats.ready != 0 || stats.running != 0) return false;
    }
    return true;
}

std::optional<ProcessInfo> Kernel::process(ProcessId pid) {
    std::lock_guard<std::recursive_mutex> lock(m_lock);
    auto it = m_records.find(pid);
    if (it == m_records.end()) return std::nullopt;
    Process& process = *it->second.process;
    bool running = process.state() == ProcessState::Running;
    return ProcessInfo{process.state(),
                       process.priority(),
                       running ? std::nullopt : process.exit_reason(),
                       running ? 0 : process.fuel_used(),
                       running ? 0 : process.failed_messages(),
                       it->second.restarts};
}

SchedulerStats Kernel::scheduler_totals() const {
    SchedulerStats all;
    for (const auto& worker : m_workers) {
        SchedulerStats one = worker->scheduler.stats();
        all.running += one.running;
        all.ready += one.ready;
        all.waiting += one.waiting;
        all.blocked += one.blocked;
        all.context_switches += one.context_switches;
        all.preemptions += one.preemptions;
    }
    return all;
}

KernelStats Kernel::stats() {
    std::lock_guard<std::recursive_mutex> lock(m_lock);
    KernelStats stats;
    SchedulerStats all = scheduler_totals();
    stats.running = all.running;
    stats.ready = all.ready;
    stats.waiting = all.waiting;
    stats.blocked = all.blocked;
    stats.context_switches = all.context_switches;
    stats.preemptions = all.preemptions;
    Nanos now = m_clock.now_ns();
    roll_window(now);
    Nanos elapsed = now - m_fairness.window_start();
    if (elapsed > 0) {
        stats.context_switches_per_second =
            static_cast<double>(stats.context_switches - m_window_switches_base) * kNanosPerSecond /
            static_cast<double>(elapsed);
    }
    stats.watchdog_interrupts = m_watchdog.fired();
    stats.retried_messages = m_retried;
    stats.dead_lettered = m_dead_lettered;
    stats.system_restarts = m_system_restarts;
    stats.lockstep_retries = m_lockstep_retries;
    stats.lockstep_quarantines = m_lockstep_quarantines;
    stats.deadline_misses_by_policy = m_deadline_misses;
    for (u64 misses : m_deadline_misses)
        stats.deadline_misses += misses;
    stats.fairness = m_fairness.current();
    stats.fairness_last = m_fairness.last();
    return stats;
}

std::vector<CrashReport> Kernel::crash_reports() {
    std::lock_guard<std::recursive_mutex> lock(m_lock);
    return m_crashes;
}

}  // namespace esta::kernel
