#include "drivers/kernel_bridge/driver_bridge.h"

#include <string>

#include "kernel/guardrails/kernel_guard.h"
#include "kernel/scheduler.h"

namespace esta::drivers {

using kernel::Right;
using kernel::Rights;

Result<Rights> guest_op_rights(DriverKind kind, i32 op) {
    switch (kind) {
        case DriverKind::KeyValue:
            switch (op) {
                case kv_op::kGet:
                case kv_op::kHGet:
                case kv_op::kHGetAll:
                case kv_op::kMGet:
                    return Rights(Right::Read);
                case kv_op::kSet:
                case kv_op::kIncrBy:
                case kv_op::kHSet:
                case kv_op::kExpire:
                    return Rights(Right::Write);
                case kv_op::kDel:
                    return Rights(Right::Delete);
                case kv_op::kEval:
                    return Right::Read | Right::Write;
                default:
                    break;
            }
            break;
        case DriverKind::Sql:
            switch (op) {
                case sql_op::kExec:
                case sql_op::kBegin:
                case sql_op::kCommit:
                case sql_op::kRollback:
                    return Rights(Right::Execute);
                default:
                    break;
            }
            break;
        case DriverKind::Topic:
            if (op == topic_op::kProduce) return Rights(Right::Write);
            break;
    }
    return Err(Status::InvalidArgs, "driver.unknown_op", Detail{.actual = static_cast<u64>(op)});
}

kernel::ObjectType port_object_type(DriverKind kind) {
    switch (kind) {
        case DriverKind::KeyValue:
            return kernel::ObjectType::RedisKeyspace;
        case DriverKind::Sql:
            return kernel::ObjectType::PgStatement;
        case DriverKind::Topic:
            return kernel::ObjectType::KafkaTopic;
    }
    return kernel::ObjectType::RedisKeyspace;
}

Error guest_error(const Error& error) {
    if (is_abi_status(error.code) && error.code != Status::Ok) return error;
    Error mapped = error;
    switch (error.code) {
        case Status::Malformed:
        case Status::Invalid:
            mapped.code = Status::InvalidArgs;
            break;
        default:
            // Ok here would be a driver bug (an error saying success); the guest must still
            // see a failure.
            mapped.code = Status::DriverError;
            break;
    }
    return mapped;
}

std::optional<kernel::FaultKind> driver_fault_kind(Status code) {
    switch (code) {
        case Status::Timeout:
            return kernel::FaultKind::Timeout;
        case Status::Limit:
            return kernel::FaultKind::ResourceExhausted;
        case Status::Unavailable:
        case Status::IoError:
        case Status::Corrupt:
        case Status::Internal:
            return kernel::FaultKind::DriverError;
        default:
            return std::nullopt;
    }
}

FaultReport guard_faults(kernel::KernelGuard& guard, kernel::RegionId region) {
    return [&guard, region](kernel::FaultKind kind, i64 code) {
        (void)guard.driver_fault(region, kind, code);  // Limit: pushed back, audited there.
    };
}

CallerTime scheduler_time(const kernel::Scheduler& scheduler) {
    return [&scheduler](kernel::ProcessId caller) -> Nanos {
        const kernel::Process* process = scheduler.find(caller);
        return process != nullptr ? process->current_time() : 0;
    };
}

CallerTime clock_time(const protocol::Clock& clock) {
    return [&clock](kernel::ProcessId) { return clock.now_ns(); };
}

KernelDriverBridge::KernelDriverBridge(Driver& driver, Scope scope, kernel::ObjectId port,
                                       CallerTime caller_time, const protocol::Clock& driver_clock,
                                       DriverExecutor* executor)
    : m_driver(driver),
      m_executor(executor),
      m_scope(std::move(scope)),
      m_port(port),
      m_caller_time(std::move(caller_time)),
      m_driver_clock(driver_clock) {
    // Bindings put the port id in the high half and the process id in the low half.
    ESTA_ASSERT(port.value() <= 0xffff'ffffu);
}

Result<Rights> KernelDriverBridge::op_rights(i32 op) const {
    return guest_op_rights(m_driver.kind(), op);
}

u64 KernelDriverBridge::binding(kernel::ProcessId caller) const {
    return (m_port.value() << 32) | caller.value();
}

Result<KernelDriverBridge::Prepared> KernelDriverBridge::prepare(kernel::ProcessId caller, i32 op,
                                                                 Nanos deadline) const {
    // (1) Only the guest ops of this kind; the kernel checked the right of exactly these.
    ESTA_TRY(op_rights(op));
    // (2) The kernel measured the deadline from the caller's time; the driver waits on its
    // own clock. The budget is what carries over.
    Nanos remaining = deadline - m_caller_time(caller);
    if (remaining <= 0) return Err(Status::Timeout, "driver.deadline_passed");
    return Prepared{binding(caller), m_driver_clock.now_ns() + remaining,
                    "pid " + std::to_string(caller.value())};
}

Result<kernel::abi::AbiValue> KernelDriverBridge::run(i32 op, const kernel::abi::AbiValue& request,
                                                      const Prepared& prepared) {
    // (3) The driver checks the scope (and audits a denial) and runs the op.
    CallContext context{m_scope, prepared.binding, prepared.deadline, Caller::Module,
                        prepared.process};
    auto reply = m_driver.call(static_cast<u32>(op), request, context);
    if (!reply && m_faults) {
        if (auto kind = driver_fault_kind(reply.error().code))
            m_faults(*kind, static_cast<i64>(reply.error().code));
    }
    // (4) Only ABI statuses reach the guest.
    if (!reply) return guest_error(reply.error());
    return std::move(*reply);
}

Result<kernel::abi::AbiValue> KernelDriverBridge::call(kernel::ProcessId caller, i32 op,
                                                       const kernel::abi::AbiValue& request,
                                                       Nanos deadline) {
    Prepared prepared = ESTA_TRY(prepare(caller, op, deadline));
    return run(op, request, prepared);
}

void KernelDriverBridge::start(kernel::ProcessId caller, i32 op,
                               const kernel::abi::AbiValue& request, Nanos deadline,
                               kernel::DriverReply reply) {
    auto prepared = prepare(caller, op, deadline);
    if (!prepared) return reply(prepared.error());
    if (m_executor == nullptr) return reply(run(op, request, *prepared));
    // The scope is the bridge's (it outlives the executor's work); the rest is copied.
    auto task = [this, op, request, prepared = std::move(*prepared), reply]() {
        reply(run(op, request, prepared));
    };
    if (!m_executor->submit(std::move(task))) {
        if (m_faults)
            m_faults(kernel::FaultKind::ResourceExhausted, static_cast<i64>(Status::Limit));
        reply(Err(Status::Limit, "driver.in_flight", Detail{.limit = m_executor->max_in_flight()}));
    }
}

void KernelDriverBridge::release(kernel::ProcessId caller) {
    u64 bound = binding(caller);
    if (m_executor == nullptr) return m_driver.release(bound);
    m_executor->submit_always([this, bound] { m_driver.release(bound); });
}

}  // namespace esta::drivers
