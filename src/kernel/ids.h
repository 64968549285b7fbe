// The kernel's identifiers, each its own type so a ProcessId cannot be passed where an
// ObjectId is wanted, and kernel time (REQUIREMENTS T-2: time is an input, never read
// from the host inside a decision).
#pragma once

#include "base/strong_id.h"
#include "base/types.h"
#include "protocol/clock.h"

namespace esta::kernel {

struct ProcessIdTag {};
struct ObjectIdTag {};
struct CapIdTag {};

// A process as the kernel knows it. 0 is the kernel itself (the issuer of root grants).
using ProcessId = StrongId<ProcessIdTag, u32>;
// A kernel object (endpoint, module, timer, ...). Assigned in creation order.
using ObjectId = StrongId<ObjectIdTag, u64>;
// One capability (a node of the derivation tree); names it in audit and revocation records.
using CapId = StrongId<CapIdTag, u64>;

inline constexpr ProcessId kKernelProcess{0};

// Nanoseconds since the Unix epoch on the kernel's (injected, journaled) clock.
using Nanos = protocol::Nanos;
using protocol::kNanosPerMilli;
using protocol::kNanosPerSecond;
inline constexpr Nanos kNanosPerMinute = 60 * kNanosPerSecond;
inline constexpr Nanos kNanosPerHour = 60 * kNanosPerMinute;
inline constexpr Nanos kNanosPerDay = 24 * kNanosPerHour;

}  // namespace esta::kernel
