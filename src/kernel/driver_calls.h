// DriverCalls: driver `call`s in flight (REQUIREMENTS D-1, ABI.md "Driver calls"). A guest's
// call on a driver handle never holds a scheduler thread while the driver works: the
// syscall opens a slot, starts the request on the driver (which may answer inline or later,
// from a thread of its own), and parks the caller, which holds no thread, like recv.
//
// An answer is *completed* by the driver (any thread) and *delivered* by the kernel (under
// the kernel lock): delivery marks the slot and wakes the caller, whose retried syscall
// copies the reply out. Only delivered answers are visible to the guest, so when an answer
// reaches a process is the kernel's decision, taken at defined points:
//   - deterministic runs (run_until_idle, test harnesses): once nothing is ready, wait for
//     every call in flight, then deliver all answers in submission order;
//   - scheduler threads: the completion notifies the kernel, which delivers at once.
// An answer the driver gives inline (before start() returns) is used by the syscall
// directly, with no park and no wake: a synchronous driver behaves exactly as before.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "base/result.h"
#include "kernel/abi_value.h"
#include "kernel/ids.h"

namespace esta::kernel {

class ProcessWaker;

// The driver's answer to one call: the reply value, or the status the guest sees.
using DriverAnswer = Result<abi::AbiValue>;
// Called once by the driver with its answer, on any thread.
using DriverReply = std::function<void(DriverAnswer)>;

// One call's slot. Its fields are guarded by the DriverCalls mutex.
class DriverCallSlot {
  public:
    DriverCallSlot(ProcessId caller, u64 seq) : m_caller(caller), m_seq(seq) {}
    ProcessId caller() const { return m_caller; }
    u64 seq() const { return m_seq; }

  private:
    friend class DriverCalls;
    ProcessId m_caller;
    u64 m_seq;
    // Inside the driver's start(): an answer now, on the starting thread, is inline. An
    // answer from another thread is never inline, however early it comes, so whether the
    // caller parks does not depend on the driver's timing.
    bool m_starting = true;
    std::thread::id m_starter = std::this_thread::get_id();
    bool m_inline = false;
    bool m_delivered = false;
    std::optional<DriverAnswer> m_answer;
};

class DriverCalls final : public std::enable_shared_from_this<DriverCalls> {
  public:
    // Syscall side (kernel lock held). A slot for `caller`'s next call.
    std::shared_ptr<DriverCallSlot> open(ProcessId caller);
    // The completion to hand the driver; it keeps this object alive, so a driver may
    // answer after the kernel is gone (the answer is then dropped).
    DriverReply completion(const std::shared_ptr<DriverCallSlot>& slot);
    // After the driver's start() returned: the answer when it came inline (the slot is then
    // closed); nullopt when the call is in flight (the caller parks).
    std::optional<DriverAnswer> settle_inline(const std::shared_ptr<DriverCallSlot>& slot);
    // A parked caller's retry: the answer once delivered (the slot is then closed).
    std::optional<DriverAnswer> take_delivered(const std::shared_ptr<DriverCallSlot>& slot);

    // Kernel side (kernel lock held). Delivers completed answers in submission order and
    // wakes their callers; with `wait_for_all`, first waits until every call in flight has
    // completed (deterministic runs). Returns the number delivered.
    std::size_t deliver(ProcessWaker& waker, bool wait_for_all);
    // Calls started and not yet delivered (inline answers never count).
    std::size_t in_flight() const;
    // Scheduler threads: called (without any lock held) after each completion, so the
    // kernel delivers it at once. Clearing it waits for a notification in progress.
    void set_notify(std::function<void()> notify);

  private:
    void complete(const std::shared_ptr<DriverCallSlot>& slot, DriverAnswer answer);

    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    std::map<u64, std::shared_ptr<DriverCallSlot>> m_open;  // By seq: submission order.
    u64 m_next_seq = 1;
    std::size_t m_completed = 0;  // Open slots with an answer, not yet delivered.
    std::function<void()> m_notify;
    u32 m_notifying = 0;
};

}  // namespace esta::kernel
