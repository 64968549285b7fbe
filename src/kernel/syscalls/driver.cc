// call (ABI.md "Functions", "Driver calls"): request/reply on a driver handle; on an
// endpoint it is syscalls/reply_call.cc's.
#include <algorithm>
#include <cstring>
#include <optional>

#include "kernel/driver_port.h"
#include "kernel/syscalls/syscalls.h"

namespace esta::kernel {

namespace {
SyscallResult from(const Error& error) {
    return SyscallResult::failed(error.code);
}
}  // namespace

SyscallResult Syscalls::call(Call& call) {
    // A retry of a parked call continues it; otherwise an endpoint's request is the
    // guest's own bytes, a driver's a value: the kind decides.
    if (call.process.pending_driver_call()) return resume_driver_call(call);
    if (call.process.pending_call()) return call_endpoint(call);
    if (auto found = call.process.handles().lookup(HandleValue(call.u32_arg(0)), call.context);
        found && (*found)->node().type() == ObjectType::Endpoint) {
        return call_endpoint(call);
    }
    // (1) Decode: every range, the request value and the deadline.
    HandleValue handle(call.u32_arg(0));
    i32 op = call.i32_arg(1);
    i64 timeout_ms = call.i64_arg(6);
    if (timeout_ms < 0) return SyscallResult::failed(Status::InvalidArgs);
    auto request_bytes = guest_range(call.memory, call.u32_arg(2), call.u32_arg(3));
    if (!request_bytes) return from(request_bytes.error());
    auto response = guest_range(call.memory, call.u32_arg(4), call.u32_arg(5));
    if (!response) return from(response.error());
    auto request = abi::decode_value(*request_bytes);
    if (!request) return SyscallResult::failed(Status::InvalidArgs);
    // A huge timeout saturates instead of overflowing the deadline.
    constexpr i64 kMaxTimeoutMs = (i64{1} << 62) / kNanosPerMilli;
    Nanos deadline = call.context.now + std::min(timeout_ms, kMaxTimeoutMs) * kNanosPerMilli;

    // (2) Check: the kind first (which right the op needs depends on it), then the handle
    // again with that right, in the ABI's order.
    auto& handles = call.process.handles();
    auto object = handles.get_object(handle, std::nullopt, Rights::none(), call.context);
    if (!object) return from(object.error());
    DriverPort* port = DriverPort::from(**object);
    if (!port) return SyscallResult::failed(Status::WrongType);
    auto rights = port->driver().op_rights(op);
    if (!rights) return from(rights.error());
    auto checked = handles.get_object(handle, port->type(), *rights, call.context);
    if (!checked) return from(checked.error());
    auto used = handles.consume_use(handle, call.context);
    if (!used) return from(used.error());

    // (3) Invoke: start the request on the driver. An inline answer is the call's result
    // now; otherwise the caller parks (holding no thread) until the kernel delivers it.
    ProcessId pid = call.process.pid();
    if (observe::KernelObserver* observer = m_services.observer) {
        observer->driver_call_started(observe::DriverCallFacts{
            pid.value(), object_type_name(port->type()), port->resource().name, op});
    }
    std::vector<Ref<DriverPort>>& used_ports = m_driver_users[pid.value()];
    if (std::none_of(used_ports.begin(), used_ports.end(),
                     [port](const Ref<DriverPort>& used) { return used.get() == port; }))
        used_ports.push_back(Ref<DriverPort>(port));
    std::shared_ptr<DriverCallSlot> slot = m_driver_calls->open(pid);
    port->driver().start(pid, op, *request, deadline, m_driver_calls->completion(slot));
    if (std::optional<DriverAnswer> answer = m_driver_calls->settle_inline(slot))
        return deliver_driver_answer(call, std::move(*answer));
    call.process.pending_driver_call() = std::move(slot);
    call.process.prepare_wait(ProcessState::Blocked);
    return SyscallResult::block();
}

SyscallResult Syscalls::resume_driver_call(Call& call) {
    std::shared_ptr<DriverCallSlot>& slot = call.process.pending_driver_call();
    std::optional<DriverAnswer> answer = m_driver_calls->take_delivered(slot);
    if (!answer) {
        call.process.prepare_wait(ProcessState::Blocked);  // Woken early: keep waiting.
        return SyscallResult::block();
    }
    slot.reset();
    return deliver_driver_answer(call, std::move(*answer));
}

SyscallResult Syscalls::deliver_driver_answer(Call& call, DriverAnswer answer) {
    if (observe::KernelObserver* observer = m_services.observer) {
        observer->driver_call_ended(call.process.pid().value(),
                                    answer ? 0 : static_cast<i32>(answer.error().code));
    }
    if (!answer) return from(answer.error());
    auto response = guest_range(call.memory, call.u32_arg(4), call.u32_arg(5));
    if (!response) return from(response.error());
    std::vector<u8> encoded = abi::encode_value(*answer);
    if (encoded.size() > response->size()) return SyscallResult::failed(Status::BufferTooSmall);
    std::memcpy(response->data(), encoded.data(), encoded.size());
    return SyscallResult::of(static_cast<i64>(encoded.size()));
}

std::size_t Syscalls::deliver_driver_replies(bool wait_for_all) {
    return m_driver_calls->deliver(m_waker, wait_for_all);
}

void Syscalls::release_drivers(ProcessId pid) {
    auto it = m_driver_users.find(pid.value());
    if (it == m_driver_users.end()) return;
    std::vector<Ref<DriverPort>> ports = std::move(it->second);
    m_driver_users.erase(it);
    for (const Ref<DriverPort>& port : ports)
        port->driver().release(pid);
}

}  // namespace esta::kernel
