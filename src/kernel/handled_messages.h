// HandledMessages: told when a reactive handler finished a message without trapping, and
// whether it succeeded (returned 0). A consumer that must not acknowledge its input before
// the handler is done (ABI.md: consumed records' offsets are committed after the handler
// returns 0) listens here. A message whose handler trapped is never reported; if the
// supervisor retries it under the same sequence, the retry's outcome is.
//
// Called with the kernel lock held; implementations must not call back into the kernel.
#pragma once

#include "base/types.h"
#include "kernel/ids.h"

namespace esta::kernel {

class HandledMessages {
  public:
    virtual ~HandledMessages() = default;
    virtual void handled(ProcessId receiver, u64 seq, bool succeeded) = 0;
};

}  // namespace esta::kernel
