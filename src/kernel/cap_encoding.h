// Capabilities in the ABI's value encoding: the restrictions a guest passes to cap_derive,
// and the record cap_info returns. Keys and types are those of abi_table.cc
// (restriction_keys()), so the docs list exactly what is accepted here.
#pragma once

#include "base/bytes.h"
#include "base/result.h"
#include "kernel/abi_value.h"
#include "kernel/handle.h"
#include "kernel/restrictions.h"

namespace esta::kernel {

// Decodes cap_derive's restriction map. An empty input means "no restrictions". Errors:
// INVALID_ARGS (malformed, not a map, an unknown key, a wrong value type, a mask or
// process id out of range), NOT_SUPPORTED (a named time zone).
Result<Restrictions> decode_restrictions(ByteSpan bytes);
// The same from an already decoded map (spawn's derived grants carry one).
Result<Restrictions> decode_restriction_map(const abi::ValueMap& entries);
// The inverse, for the SDK's tests and for cap_info.
abi::AbiValue encode_restrictions(const Restrictions& restrictions);

// cap_info's record: a map with kind (i64 code), kind_name, resource, rights (i64 bits),
// depth, revoked (bool), uses_remaining (i64, when limited) and restrictions (a list of the
// maps this capability and each ancestor added, nearest first).
abi::AbiValue describe_capability(const Handle& handle);

}  // namespace esta::kernel
