// spawn (ABI.md "Functions"): a process from a module handle (EXECUTE), granted handles the
// caller holds: moved (TRANSFER), or derived for the child when the grant is a map
// {handle, rights, restriction keys...} (DELEGATE; the caller keeps its handle).
#include <algorithm>
#include <optional>

#include "base/assert.h"

#include "kernel/abi_value.h"
#include "kernel/cap_encoding.h"
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
    // Set for a derived grant: the child's rights and added restrictions.
    std::optional<std::pair<Rights, Restrictions>> derived;
};

Result<HandleValue> handle_value_of(const abi::AbiValue& value) {
    const i64* handle = value.get<i64>();
    if (!handle || *handle < 0 || *handle > i64{0xFFFF'FFFF})
        return Err(Status::InvalidArgs, "spawn.grant_not_a_handle");
    return HandleValue(static_cast<u32>(*handle));
}

// A derived grant: {handle: i64, rights: i64, ...cap_derive's restriction keys}.
Result<DecodedGrant> decode_derived(const std::string& name, const abi::ValueMap& entries) {
    DecodedGrant grant{name, HandleValue(0), std::pair<Rights, Restrictions>{}};
    bool has_handle = false, has_rights = false;
    abi::ValueMap restrictions;
    for (const auto& [key, value] : entries) {
        if (key == "handle") {
            grant.value = ESTA_TRY(handle_value_of(value));
            has_handle = true;
        } else if (key == "rights") {
            const i64* bits = value.get<i64>();
            if (!bits || *bits < 0) return Err(Status::InvalidArgs, "spawn.grant_rights");
            grant.derived->first = Rights::from_bits(static_cast<u64>(*bits));
            has_rights = true;
        } else {
            restrictions.emplace_back(key, value);
        }
    }
    if (!has_handle || !has_rights) return Err(Status::InvalidArgs, "spawn.derived_grant_fields");
    grant.derived->second = ESTA_TRY(decode_restriction_map(restrictions));
    return grant;
}

// The grants map: name -> handle value (i64, moved) or a derived grant's map. Empty bytes
// mean no grants.
Result<std::vector<DecodedGrant>> decode_grants(std::span<const u8> bytes) {
    std::vector<DecodedGrant> grants;
    if (bytes.empty()) return grants;
    auto decoded = ESTA_TRY(abi::decode_value(bytes));
    const abi::ValueMap* map = decoded.get<abi::ValueMap>();
    if (!map) return Err(Status::InvalidArgs, "spawn.grants_not_a_map");
    if (map->size() > kMaxSpawnGrants) return Err(Status::Limit, "spawn.too_many_grants");
    for (const auto& [name, value] : *map) {
        DecodedGrant grant;
        if (const abi::ValueMap* derived = value.get<abi::ValueMap>()) {
            grant = ESTA_TRY(decode_derived(name, *derived));
        } else {
            grant = DecodedGrant{name, ESTA_TRY(handle_value_of(value)), std::nullopt};
        }
        // A name given twice, or a handle moved twice (the second grant would be empty).
        for (const DecodedGrant& earlier : grants) {
            bool moved_twice = !grant.derived && !earlier.derived && earlier.value == grant.value;
            if (moved_twice || earlier.name == grant.name)
                return Err(Status::InvalidArgs, "spawn.duplicate_grant");
        }
        grants.push_back(std::move(grant));
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
    u32 moved = 0;
    for (const DecodedGrant& grant : *grants) {
        if (grant.derived) {
            auto checked = handles.check_derive(grant.value, grant.derived->first,
                                                grant.derived->second, call.context);
            if (!checked) return from(checked.error());
            continue;
        }
        auto checked = handles.get_object(grant.value, std::nullopt, Right::Transfer, call.context);
        if (!checked) return from(checked.error());
        ++moved;
    }
    // The moved grants leave the table before the process handle arrives.
    if (handles.size() - moved >= handles.max_handles())
        return SyscallResult::failed(Status::Limit);

    // (3) Invoke. Taking checked handles cannot fail; the assertion guards the invariant.
    SpawnRequest request;
    request.module = (*module)->module();
    request.entry.assign(reinterpret_cast<const char*>(entry->data()), entry->size());
    request.priority = static_cast<Priority>(priority);
    request.parent = call.process.pid();
    request.now = call.context.now;
    // Derived grants first: a handle both derived from and moved is still here for them.
    for (DecodedGrant& grant : *grants) {
        if (!grant.derived) continue;
        auto handle = handles.derive_out(grant.value, grant.derived->first,
                                         std::move(grant.derived->second), call.context);
        ESTA_ASSERT(handle.has_value());
        request.grants.push_back(Grant{std::move(grant.name), std::move(*handle)});
    }
    for (DecodedGrant& grant : *grants) {
        if (grant.derived) continue;
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
