// cap_lookup, cap_derive, cap_revoke, cap_drop, cap_info (ABI.md "Functions").
#include <string_view>

#include "kernel/cap_encoding.h"
#include "kernel/syscalls/syscalls.h"

namespace esta::kernel {

namespace {

SyscallResult from(const Error& error) {
    return SyscallResult::failed(error.code);
}

}  // namespace

SyscallResult Syscalls::cap_lookup(Call& call) {
    auto name = guest_range(call.memory, call.u32_arg(0), call.u32_arg(1));
    if (!name) return from(name.error());
    std::string_view text(reinterpret_cast<const char*>(name->data()), name->size());
    auto value = call.process.lookup_grant(text);
    if (!value) return from(value.error());
    return SyscallResult::of(value->value());
}

SyscallResult Syscalls::cap_derive(Call& call) {
    // (1) Decode: the restrictions first, so a malformed map changes nothing.
    auto bytes = guest_range(call.memory, call.u32_arg(2), call.u32_arg(3));
    if (!bytes) return from(bytes.error());
    auto restrictions = decode_restrictions(*bytes);
    if (!restrictions) return from(restrictions.error());
    // (2) Check and (3) invoke: the table checks the parent in the ABI's order, then issues.
    Rights rights = Rights::from_bits(static_cast<u64>(call.i64_arg(1)));
    auto value = call.process.handles().derive(HandleValue(call.u32_arg(0)), rights,
                                               std::move(*restrictions), call.context);
    if (!value) return from(value.error());
    return SyscallResult::of(value->value());
}

SyscallResult Syscalls::cap_revoke(Call& call) {
    auto progress = call.process.handles().revoke(HandleValue(call.u32_arg(0)), call.context,
                                                  m_config.revoke_steps_per_call);
    if (!progress) return from(progress.error());
    // Partial: suspend (the guest stays Ready) and continue when the engine retries the call;
    // the kernel's latency stays bounded whatever the tree's size (K-16).
    if (progress->state == RevokeState::Partial) return SyscallResult::block();
    return SyscallResult::of(static_cast<i64>(progress->revoked));
}

SyscallResult Syscalls::cap_drop(Call& call) {
    auto handle = call.process.handles().remove(HandleValue(call.u32_arg(0)));
    if (!handle) return from(handle.error());
    return SyscallResult::of(0);  // The handle is dropped here.
}

SyscallResult Syscalls::cap_info(Call& call) {
    auto out = guest_range(call.memory, call.u32_arg(1), call.u32_arg(2));
    if (!out) return from(out.error());
    auto handle = call.process.handles().lookup(HandleValue(call.u32_arg(0)), call.context);
    if (!handle) return from(handle.error());
    std::vector<u8> record = abi::encode_value(describe_capability(**handle));
    if (record.size() > out->size()) return SyscallResult::failed(Status::BufferTooSmall);
    std::copy(record.begin(), record.end(), out->begin());
    return SyscallResult::of(static_cast<i64>(record.size()));
}

}  // namespace esta::kernel
