// Reading and writing module files for the commands that handle modules (sign, embed, check):
// a read is bounded by the engine's module size limit, and a write goes to a temporary file
// renamed into place, so `-o` may name the input and a failed write leaves no half module.
#pragma once

#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/types.h"

namespace esta::app {

// sysexits(3) codes the module commands share.
inline constexpr int kExitDataError = 65;     // EX_DATAERR: invalid module, or refused.
inline constexpr int kExitNoInput = 66;       // EX_NOINPUT: a file cannot be read.
inline constexpr int kExitCannotCreate = 73;  // EX_CANTCREAT: the output cannot be written.

struct FileRead {
    std::vector<u8> bytes;
    std::string error;  // Empty on success: otherwise why, for people.
};

// The whole file at `path`, refused when larger than `max_bytes`.
FileRead read_file_bounded(const std::string& path, std::size_t max_bytes);

// Writes `bytes` to `path` through `path.tmp-<pid>` and rename(2). Empty on success,
// otherwise why.
std::string write_file_replacing(const std::string& path, ByteSpan bytes);

}  // namespace esta::app
