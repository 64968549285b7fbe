// Parsing sizes given on the command line ("65536", "64KiB", "16MiB", "1GiB").
#pragma once

#include <optional>
#include <string_view>

#include "base/types.h"

namespace esta::app {

// Bytes, optionally with a binary suffix KiB, MiB or GiB (also K/M/G); nullopt when the
// text is not such a size or overflows 64 bits.
std::optional<u64> parse_size(std::string_view text);

}  // namespace esta::app
