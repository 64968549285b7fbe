// The two module styles of ABI.md: an actor runs its own loop from `_start` (blocking in
// recv); a reactive module exports estalogic_handle, which the kernel calls once per message
// (and estalogic_init once after instantiation). A module declares its style in its
// estalogic.manifest section; the process finds it from the exports.
#pragma once

#include "base/types.h"

namespace esta::kernel {

enum class ModuleStyle : u8 { Actor, Reactive };

}  // namespace esta::kernel
