// CRC32C (Castagnoli, reflected polynomial 0x82F63B78), the checksum of every frame (P-3).
// A table-driven slicing-by-8 implementation runs everywhere; on x86-64 with SSE4.2 the
// crc32 instruction computes the same function faster. Both give identical results, and
// the tests compare them on random inputs.
#pragma once

#include "base/bytes.h"
#include "base/types.h"

namespace esta::protocol {

// CRC32C of `bytes`, continuing from `crc` (the value a previous call returned; 0 to
// start). Picks the fastest implementation the CPU offers.
u32 crc32c(ByteSpan bytes, u32 crc = 0);

// The portable table-driven implementation.
u32 crc32c_portable(ByteSpan bytes, u32 crc = 0);

// True when crc32c_hardware() may be called on this CPU.
bool crc32c_hardware_available();
// The SSE4.2 implementation; only call it when crc32c_hardware_available().
u32 crc32c_hardware(ByteSpan bytes, u32 crc = 0);

}  // namespace esta::protocol
