// spawn (ABI.md "Functions"): a process from a module handle (EXECUTE), granted handles the
// caller holds (TRANSFER; moved). Grants wrapped in a restriction map (derive-and-grant)
// are not offered yet: NOT_SUPPORTED.
#include <algorithm>
#include <optional>

#include "base/assert.h"

#include "kernel/abi_value.h"
#include "kernel/module_object.h"
#include "kernel/syscalls/syscalls.h"

namespace esta::kernel {

namespace {

constexpr u32 kMaxEntryBytes = 255;
constexpr u32 kMaxSpawnGrants = 64;

SyscallResult from(const Error& error) {
    return SyscallResult::failed(error.code);
}

struct DecodedGrant {
    std::string name;
    HandleValue value;
};

// The grants map: name -> handle value (i64). Empty bytes mean no grants.
Result<std::vector<DecodedGrant>> decode_grants(std::span<const u8> bytes) {
    std::vector<DecodedGrant> grants;
    if (bytes.empty()) return grants;
    auto decoded = ESTA_TRY(abi::decode_value(bytes));
    const abi::ValueMap* map = decoded.get<abi::ValueMap>();
    if (!map) return Err(Status::InvalidArgs, "spawn.grants_not_a_map");
    if (map->size() > kMaxSpawnGrants) return Err(Status::Limit, "spawn.too_many_grants");
    for (const auto& [name, value] : *map) {
        if (value.get<abi::ValueMap>()) return Err(Status::NotSupported, "spawn.derived_grant");
        const i64* handle = value.get<i64>();
        if (!handle || *handle < 0 || *handle > i64{0xFFFF'FFFF})
            return Err(Status::InvalidArgs, "spawn.grant_not_a_handle");
        HandleValue handle_value(static_cast<u32>(*handle));
        // A handle moved twice would leave the second grant empty.
        for (const DecodedGrant& earlier : grants) {
            if (earlier.value == handle_value || earlier.name == name)
                return Err(Status::InvalidArgs, "spawn.duplicate_grant");
        }
        grants.push_back(DecodedGrant{name, handle_value});
    }
    return grants;
}

}  // namespace

SyscallResult Syscalls::spawn(Call& call) {
    if (!m_services.spawner) return SyscallResult::failed(Status::NotSupported);
    // (1) Decode.
    HandleValue module_handle(call.u32_arg(0));
    if (call.u32_arg(2) == 0 || call.u32_arg(2) > kMaxEntryBytes)
        return SyscallResult::failed(Status::InvalidArgs);
    auto entry = guest_range(call.memory, call.u32_arg(1), call.u32_arg(2));
    if (!entry) return from(entry.error());
    auto grant_bytes = guest_range(call.memory, call.u32_arg(3), call.u32_arg(4));
    if (!grant_bytes) return from(grant_bytes.error());
    auto grants = decode_grants(*grant_bytes);
    if (!grants) return from(grants.error());
    u32 priority = call.u32_arg(5);
    if (priority >= kPriorityCount) return SyscallResult::failed(Status::InvalidArgs);

    // (2) Check: the module, every grant, and room for the new process's handle.
    auto& handles = call.process.handles();
    auto module = handles.get<ModuleObject>(module_handle, Right::Execute, call.context);
    if (!module) return from(module.error());
    for (const DecodedGrant& grant : *grants) {
        auto checked = handles.get_object(grant.value, std::nullopt, Right::Transfer, call.context);
        if (!checked) return from(checked.error());
    }
    // The grants leave the table before the process handle arrives.
    if (handles.size() - grants->size() >= handles.max_handles())
        return SyscallResult::failed(Status::Limit);

    // (3) Invoke. Taking checked handles cannot fail; the assertion guards the invariant.
    SpawnRequest request;
    request.module = (*module)->module();
    request.entry.assign(reinterpret_cast<const char*>(entry->data()), entry->size());
    request.priority = static_cast<Priority>(priority);
    request.parent = call.process.pid();
    request.now = call.context.now;
    for (DecodedGrant& grant : *grants) {
        auto handle = handles.take_for_transfer(grant.value, call.context);
        ESTA_ASSERT(handle.has_value());
        request.grants.push_back(Grant{std::move(grant.name), std::move(*handle)});
    }
    // A failed spawn drops the grants (Process::spawn leaves nothing behind).
    auto child = m_services.spawner->spawn(std::move(request));
    if (!child) return from(child.error());
    Handle child_handle = m_tree.grant(*child, default_rights(ObjectType::Process), {},
                                       call.process.pid(), call.context.now);
    auto value = handles.insert(std::move(child_handle));
    if (!value) return from(value.error());
    return SyscallResult::of(value->value());
}

}  // namespace esta::kernel
