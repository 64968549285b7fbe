// KernelDriverBridge: a driver behind a kernel capability (ABI.md "Driver calls"). The
// kernel's `call` on a driver handle checks the handle and the right this bridge names for
// the op, then lands here; the bridge hands the request to a Driver (KvDriver, SqlDriver,
// TopicDriver, guarded or remote) with the handle's scope, a binding for transactions and
// a deadline on the driver's clock, and maps the answer onto the ABI's statuses.
//
// One bridge per driver port (one grant: a key prefix, a set of statements, a topic). The
// kernel never sees a connection or a host name; the module never sees the scope.
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "drivers/contract.h"
#include "drivers/kernel_bridge/driver_executor.h"
#include "kernel/driver_port.h"
#include "kernel/guardrails/fault_region.h"
#include "kernel/guardrails/region_tree.h"

namespace esta::kernel {
class KernelGuard;
class Scheduler;
}  // namespace esta::kernel

namespace esta::drivers {

// The right each guest op needs on the handle, per kind, exactly for the op codes ABI.md
// lists: key-value reads (GET, HGET, HGETALL, MGET) READ; writes (SET, INCRBY, HSET, EXPIRE)
// WRITE; DEL DELETE; EVAL READ|WRITE (a registered script may do both). SQL: EXECUTE for
// EXEC, BEGIN, COMMIT and ROLLBACK. Topic: PRODUCE WRITE. Anything else (the driver's own
// MULTI/pipeline ops, the kernel's consuming ops) is INVALID_ARGS for a guest.
Result<kernel::Rights> guest_op_rights(DriverKind kind, i32 op);

// The kernel object type a kind's handles have: keyspace, statement, topic.
kernel::ObjectType port_object_type(DriverKind kind);

// A driver's error as a guest may see it: ABI statuses pass through; internal codes become
// INVALID_ARGS (the request did not parse: Malformed, Invalid) or DRIVER_ERROR (anything
// else went wrong on the driver's side). The context string is kept.
Error guest_error(const Error& error);

// The kernel time a caller's `call` deadline was measured from. The syscall adds the
// guest's timeout to the caller's current time (Process::current_time(): the time of the
// message it handles, T-2), which may lie behind the kernel's clock; asking for the same
// time recovers the guest's timeout exactly.
using CallerTime = std::function<Nanos(kernel::ProcessId)>;
// Each process's current time, from the scheduler running it (borrowed; outlives the result).
CallerTime scheduler_time(const kernel::Scheduler& scheduler);
// The clock's time for every caller (tools and tests without a scheduler).
CallerTime clock_time(const protocol::Clock& clock);

// Fault containment for drivers (K-40): where a bridge reports its driver's faults, with
// the error's status code; called on whichever thread ran the call (the executor's).
using FaultReport = std::function<void(kernel::FaultKind kind, i64 code)>;
// The fault a driver's error is, if it is one: the driver failing (down or circuit open,
// timed out, full, an I/O, integrity or internal error) as opposed to an answer about the
// request (absent, denied, malformed, refused by the service: DRIVER_ERROR).
std::optional<kernel::FaultKind> driver_fault_kind(Status code);
// Reports to `guard`'s `region` (KernelGuard::add_driver; borrowed, outlives the bridge):
// the fault goes through the region's gateway, which pushes back past its bound (the guard
// audits that).
FaultReport guard_faults(kernel::KernelGuard& guard, kernel::RegionId region);

class KernelDriverBridge final : public kernel::KernelDriver {
  public:
    // `driver` and `driver_clock` (the one the driver was built with) are borrowed and
    // outlive the bridge; the bridge outlives every DriverPort made with it. `port` is the
    // port's object id, which keys transactions together with the caller.
    // With `executor` (borrowed, outlives the bridge; shared by every bridge over `driver`),
    // requests run on its thread and the caller parks meanwhile (start()); without, they
    // run inline on the scheduler thread (deterministic tests, tools).
    KernelDriverBridge(Driver& driver, Scope scope, kernel::ObjectId port, CallerTime caller_time,
                       const protocol::Clock& driver_clock, DriverExecutor* executor = nullptr);

    Result<kernel::Rights> op_rights(i32 op) const override;
    // (1) the op is one of the kind's guest ops, (2) the deadline is converted to the
    // driver's clock (TIMEOUT without running when it already passed), (3) the driver runs
    // it with the scope, (4) its error is mapped with guest_error().
    Result<kernel::abi::AbiValue> call(kernel::ProcessId caller, i32 op,
                                       const kernel::abi::AbiValue& request,
                                       Nanos deadline) override;
    // The same steps, the driver's part on the executor when there is one; the op check
    // and the deadline conversion happen here, on the caller's thread. A full executor is
    // LIMIT (D-1's in-flight bound).
    void start(kernel::ProcessId caller, i32 op, const kernel::abi::AbiValue& request,
               Nanos deadline, kernel::DriverReply reply) override;

    // Forgets what `caller` left bound to this port (an open SQL transaction is rolled
    // back). The runtime calls it when the process ends; on the executor, after the
    // process's calls already queued.
    void release(kernel::ProcessId caller) override;

    // The binding a caller's transactions are keyed by: unique per (port, process).
    u64 binding(kernel::ProcessId caller) const;

    // Each driver fault (driver_fault_kind()) of a call through this bridge goes to
    // `report`; set before the bridge serves calls.
    void report_faults(FaultReport report) { m_faults = std::move(report); }

    const Scope& scope() const { return m_scope; }
    kernel::ObjectId port() const { return m_port; }

  private:
    // What a call carries to the driver besides the scope (owned: it may cross threads).
    struct Prepared {
        u64 binding = 0;
        Nanos deadline = 0;  // On the driver's clock.
        std::string process;
    };
    // Steps (1) and (2), on the caller's thread.
    Result<Prepared> prepare(kernel::ProcessId caller, i32 op, Nanos deadline) const;
    // Steps (3) and (4).
    Result<kernel::abi::AbiValue> run(i32 op, const kernel::abi::AbiValue& request,
                                      const Prepared& prepared);

    Driver& m_driver;
    DriverExecutor* m_executor;
    Scope m_scope;
    kernel::ObjectId m_port;
    CallerTime m_caller_time;
    const protocol::Clock& m_driver_clock;
    FaultReport m_faults;
};

}  // namespace esta::drivers
