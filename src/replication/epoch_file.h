// An epoch kept in the first 8 bytes of a file (little-endian): the lock-file witness's
// last granted epoch and a fenced file's newest announced one.
#pragma once

#include "base/result.h"
#include "base/types.h"

namespace esta::replication {

// The epoch `fd` holds; 0 when the file is shorter than 8 bytes. Errors: IoError.
Result<u64> read_epoch_at(int fd);
// Writes `epoch` at offset 0 and syncs it. Errors: IoError.
Result<void> write_epoch_at(int fd, u64 epoch);

}  // namespace esta::replication
