// RecordConsumer: the kernel consuming a topic on a process's behalf (ABI.md "Driver calls",
// topic; D-3). As one member of the grant's consumer group it polls the topic driver and
// sends each record to the process as a message of type 0x0100 (record_message.h). A
// record's offset is committed only once the process's handler returned 0 on it and on
// every earlier record of its partition: at-least-once. A record whose handler failed or
// trapped stays uncommitted, so the group delivers it again from there (to the next member
// that takes the partition, e.g. after a restart); the records after it in its partition
// are not committed past it either, and once `max_outstanding` records wait, polling stops.
//
// The kernel reports finished handlers (HandledMessages) under its lock; the consumer only
// notes them there. pump() does the driver's work (commit, poll) outside the kernel lock.
//
// A live upgrade moves the consumption to the process's new version (retarget): the
// records sent from then on go to it, while those already sent to the old version are
// finished (and committed) by the old one. A record is tracked by its receiver and its
// mailbox sequence, as each version's mailbox counts on its own.
#pragma once

#include <deque>
#include <map>
#include <mutex>
#include <utility>
#include <vector>

#include "drivers/contract.h"
#include "drivers/kernel_bridge/driver_bridge.h"
#include "kernel/runtime/kernel_runtime.h"

namespace esta::drivers {

struct ConsumerOptions {
    std::size_t max_batch = 32;         // Records asked for in one poll.
    std::size_t max_outstanding = 256;  // Sent but not yet committed.
};

class RecordConsumer final : public kernel::HandledMessages {
  public:
    // `kernel`, `topics` (a topic driver) and `clock` (the driver's) are borrowed and outlive
    // the consumer. `scope` is the consuming grant's; `member` names this group member.
    RecordConsumer(kernel::Kernel& kernel, kernel::ProcessId target, Driver& topics, Scope scope,
                   u64 member, const protocol::Clock& clock, ConsumerOptions options = {});
    ~RecordConsumer() override;
    RecordConsumer(const RecordConsumer&) = delete;
    RecordConsumer& operator=(const RecordConsumer&) = delete;

    // Commits what the handler finished, then polls (the driver waits up to `wait` for a
    // first record) and sends what came. Returns the records sent. A record the process's
    // mailbox refuses is not lost: its partition is sought back to it, and the refusal is
    // returned.
    Result<std::size_t> pump(Nanos wait);
    // Commits the offsets the handler's successes allow so far.
    Result<void> commit_finished();
    // Records sent and not yet committed.
    std::size_t outstanding() const;

    void handled(kernel::ProcessId receiver, u64 seq, bool succeeded) override;

    // From now on records go to `to` when they went to `from`; nothing otherwise.
    void retarget(kernel::ProcessId from, kernel::ProcessId to);
    // Each driver fault (driver_fault_kind(): down, timed out, full) of a poll, commit or
    // seek goes to `report`, like a guest's topic call through its bridge (K-40: the
    // topic driver's region); set before the first pump().
    void report_faults(FaultReport report) { m_faults = std::move(report); }

  private:
    struct Sent {
        i64 offset = 0;
        bool done = false;
    };
    Result<Value> call(u32 op, Value request, Nanos wait);
    Result<void> send_record(const Value& record);

    using Delivery = std::pair<kernel::ProcessId, u64>;  // Receiver, mailbox sequence.

    kernel::Kernel& m_kernel;
    Driver& m_topics;
    Scope m_scope;
    u64 m_member;
    const protocol::Clock& m_clock;
    ConsumerOptions m_options;
    FaultReport m_faults;
    mutable std::mutex m_mutex;
    kernel::ProcessId m_target;                  // m_mutex: where records go now.
    std::vector<kernel::ProcessId> m_receivers;  // m_mutex: every target so far.
    // Reported by the kernel, not yet applied: (delivery, succeeded).
    std::vector<std::pair<Delivery, bool>> m_finished;
    // Only pump()'s thread touches these.
    std::map<Delivery, std::pair<i32, i64>> m_by_seq;  // -> (partition, offset).
    std::map<i32, std::deque<Sent>> m_sent;            // Per partition, in offset order.
};

}  // namespace esta::drivers
