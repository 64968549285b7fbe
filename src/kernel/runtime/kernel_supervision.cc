// Supervision wiring (REQUIREMENTS K-30..K-32, T-4): a crashed process's report, the fate
// of the message it was handling, and its restart on the kernel clock. The decisions are
// supervisor.h's; this file carries them out.
#include "kernel/runtime/kernel_runtime.h"
#include "kernel/runtime/kill_process.h"

#include "kernel/message_trace.h"

namespace esta::kernel {

Result<std::vector<ProcessId>> Kernel::supervise(RestartStrategy strategy,
                                                 std::vector<ChildSpec> children) {
    std::lock_guard<std::recursive_mutex> lock(m_lock);
    std::vector<std::string> names;
    for (const ChildSpec& child : children)
        names.push_back(child.name);
    auto supervisor = ESTA_TRY(Supervisor::create(strategy, std::move(names)));
    std::size_t group = m_groups.size();
    std::vector<ProcessId> pids;
    for (std::size_t i = 0; i < children.size(); ++i) {
        ProcessId pid(m_next_pid);
        Record record{nullptr,
                      std::move(children[i].spec),
                      std::make_pair(group, i),
                      0,
                      0,
                      children[i].name,
                      std::nullopt};
        auto started = start_process(pid, record, nullptr);
        if (!started) {
            // Nothing half-started stays behind: the children already running end.
            for (ProcessId earlier : pids) {
                Record& done = m_records.at(earlier);
                worker_of(earlier).scheduler.remove(earlier);
                kill_process(*done.process, m_recorder, m_clock.now_ns());
                done.process->endpoint()->detach_receiver();
                done.supervision.reset();
            }
            return started.error();
        }
        ++m_next_pid;
        m_records.emplace(pid, std::move(record));
        pids.push_back(pid);
    }
    m_groups.push_back(Group{std::move(supervisor), pids});
    return pids;
}

void Kernel::on_crash(Process& process, Nanos now) {
    ProcessId pid = process.pid();
    Record& record = m_records.at(pid);
    const ExitReason& exit = *process.exit_reason();
    CrashReport report;
    report.pid = pid;
    report.exit = exit.to_string();
    report.time = now;
    if (exit.trap) {
        report.trap = exit.trap->kind;
        report.trap_function = exit.trap->function;
        report.trap_offset = exit.trap->code_offset;
    }
    // The message being handled, with the handles it brought (dropped here unless retried).
    std::optional<Message> in_hand = process.take_message_in_hand();
    if (m_safety != nullptr) {
        if (record.taken && in_hand && in_hand->seq == record.taken->seq) {
            m_safety->handled(pid, record.taken->seq, record.taken->at,
                              process.fuel_used() - record.taken->fuel, now);
        }
        m_safety->crashed(pid, exit.trap ? static_cast<u32>(exit.trap->kind) : 0, now);
    }
    record.taken.reset();
    if (!record.supervision) {
        m_crashes.push_back(std::move(report));
        return;  // Unsupervised: the process is gone (its endpoint closed with it).
    }

    // (1) The message being handled (K-31, T-4): poison -> dead-letter sink, the process
    // continues with the next message; 3001/3002 -> delivered once more, first in line,
    // with the handles it carried.
    if (exit.trap && in_hand) {
        Message& message = *in_hand;
        report.message_seq = message.seq;
        auto disposition = m_poison.on_handler_trap(pid, message, *exit.trap, now);
        if (disposition) {
            report.disposition = *disposition;
            if (*disposition == MessageDisposition::Retry) {
                process.mailbox().requeue_front(std::move(message));
                process.reply_to() = nullptr;  // The redelivered copy carries it.
                ++m_retried;
            } else if (*disposition == MessageDisposition::DeadLettered) {
                ++m_dead_lettered;
                if (m_observer) {
                    m_observer->dead_lettered(message_facts(message, pid, process.mailbox().size()),
                                              report.exit);
                }
                // Durably dead-lettered, so no longer pending in the journal.
                if (m_persistent != nullptr) (void)m_persistent->consumed(pid, message.seq);
            }
        }
    }

    // (2) The supervisor's plan: which children restart, at which level, not before when.
    auto [group_index, child] = *record.supervision;
    Group& group = m_groups[group_index];
    auto plan = group.supervisor.on_child_failure(child, now);
    if (!plan) {
        process.endpoint()->detach_receiver();
        m_crashes.push_back(std::move(report));
        return;
    }
    report.level = plan->level;
    report.restart_at = plan->not_before;
    if (plan->level == EscalationLevel::RestartSystem) {
        restart_system(pid, plan->not_before, now);
    } else {
        for (std::size_t index : plan->children)
            schedule_restart(group.children[index], plan->not_before, plan->level);
    }
    m_crashes.push_back(std::move(report));
}

void Kernel::schedule_restart(ProcessId pid, Nanos not_before, EscalationLevel level) {
    if (m_retired.count(pid)) return;
    for (PendingRestart& existing : m_restarts) {
        if (existing.pid != pid) continue;
        existing.not_before = std::max(existing.not_before, not_before);
        existing.level = std::max(existing.level, level);
        return;
    }
    m_restarts.push_back(PendingRestart{pid, not_before, level});
}

void Kernel::restart_system(ProcessId failed, Nanos not_before, Nanos now) {
    // K-30 L5: what the kernel can do itself is restart every supervised child, clean and
    // reloaded, under supervisors that start over; the node decides the rest.
    ++m_system_restarts;
    for (Group& group : m_groups) {
        group.supervisor.reset();
        for (ProcessId child : group.children)
            schedule_restart(child, not_before, EscalationLevel::RestartSystem);
    }
    if (m_config.safety != nullptr) {
        m_config.safety->report(SafetyEvent{.event = "supervision.system_restart",
                                            .subject = "kernel.supervisor",
                                            .detail = "L5 restart system",
                                            .severity = SafetySeverity::Alarm,
                                            .actual = static_cast<i64>(failed.value()),
                                            .limit = 0,
                                            .at = now});
    }
    if (m_config.system != nullptr) m_config.system->restart_system(failed, now);
}

Result<void> Kernel::prepare_restart(Record& record, Mailbox& mailbox, EscalationLevel level,
                                     Nanos now) {
    if (level >= EscalationLevel::RestartClean) {
        // Clean: nothing queued is handed to the new instance; it goes to the dead-letter
        // sink, where an operator can replay it, and waiting callers hear now.
        while (true) {
            auto next = mailbox.receive(message_types::kAny, Timeout::poll(), now);
            if (!next || !next->has_value()) break;
            dead_letter_unhandled(record.process->pid(), **next, now, std::nullopt);
        }
    }
    if (level >= EscalationLevel::ReloadModule && record.spec.reload) {
        record.spec.module = ESTA_TRY(record.spec.reload());
    }
    return Ok();
}

void Kernel::settle_stable_children(Nanos now) {
    for (auto it = m_stable_checks.begin(); it != m_stable_checks.end();) {
        if (it->due > now) {
            ++it;
            continue;
        }
        Record& record = m_records.at(it->pid);
        // Still the incarnation the check was set for, and alive: stable (K-30).
        if (record.supervision && record.restarts == it->restarts &&
            record.process->state() != ProcessState::Completed) {
            auto [group, child] = *record.supervision;
            (void)m_groups[group].supervisor.on_child_stable(child);
        }
        it = m_stable_checks.erase(it);
    }
}

void Kernel::start_due_restarts(Nanos now) {
    if (m_shutting_down) return;
    for (auto it = m_restarts.begin(); it != m_restarts.end();) {
        if (it->not_before > now) {
            ++it;
            continue;
        }
        ProcessId pid = it->pid;
        if (m_safety != nullptr && !m_safety->may_restart(pid, now)) {
            ++it;  // Held while its containment region is quarantined (K-40).
            continue;
        }
        Record& record = m_records.at(pid);
        Process& old = *record.process;
        if (old.state() != ProcessState::Completed) {
            // A sibling restarted with the failed child; one still running on another
            // thread is taken at a later tick, after its slice.
            if (!worker_of(pid).scheduler.remove(pid)) {
                ++it;
                continue;
            }
            kill_process(old, m_recorder, now);
            m_syscalls.release_drivers(pid);
            settle_reply(old);
        }
        Ref<Endpoint> endpoint = old.endpoint();
        EscalationLevel level = it->level;
        it = m_restarts.erase(it);
        auto prepared = prepare_restart(record, endpoint->mailbox(), level, now);
        auto started = prepared ? start_process(pid, record, endpoint)
                                : Result<Ref<Process>>(prepared.error());
        if (!started) {
            // The module no longer starts: the child stays down, its endpoint closes.
            endpoint->detach_receiver();
            wake_orphaned_callers(*endpoint);
            CrashReport report;
            report.pid = pid;
            report.exit = "restart failed: " + started.error().to_string();
            report.time = now;
            m_crashes.push_back(std::move(report));
            continue;
        }
        ++record.restarts;
        if (m_observer) m_observer->process_restarted(pid.value(), record.restarts);
        m_stable_checks.push_back(StableCheck{pid, now + m_config.stable_after, record.restarts});
    }
}

}  // namespace esta::kernel
