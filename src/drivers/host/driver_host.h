// DriverHost: the serving side of an out-of-process driver (`estalogic driver KIND`). It
// reads call frames from one connected socket, runs each through the driver and writes the
// reply, one at a time, until the peer hangs up. A frame that fails its checksum or does
// not decode ends the connection: the stream can no longer be trusted to be in step.
#pragma once

#include "drivers/host/call_wire.h"

namespace esta::drivers::host {

struct ServeReport {
    u64 calls = 0;
    Error ended{Status::Ok, "", {}};  // Why serving stopped (Unavailable: the peer left).
};

ServeReport serve(int fd, Driver& driver, const ValueCodec& codec);

// Confines the calling process to the system calls a driver needs after setup (sockets it
// already holds, memory, time, futexes, polling; no exec, no new files beyond what the
// client libraries open for reconnects). Errors: Internal when libseccomp refuses.
Result<void> confine_driver_process();

}  // namespace esta::drivers::host
