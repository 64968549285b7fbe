// Frames (P-3, V-1): the unit every durable or shared protocol byte stream is made of —
// envelopes on the wire, journal records, dead letters. Layout (little-endian):
//
//   offset 0  u8  magic 0xE5      offset 4  u32 body length
//   offset 1  u8  magic 0x7A      offset 8  u32 CRC32C over bytes 0..8 and the body
//   offset 2  u8  wire version    offset 12 body
//   offset 3  u8  kind
//
// Decoding never trusts a field before checking it: the length against the limit and the
// bytes present, the checksum before the version and kind are believed.
#pragma once

#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "base/types.h"
#include "protocol/envelope.h"

namespace esta::protocol {

inline constexpr u8 kFrameMagic0 = 0xE5;
inline constexpr u8 kFrameMagic1 = 0x7A;
// The wire version this build writes; it reads this one and every older one (V-1).
inline constexpr u8 kWireVersion = 1;
inline constexpr std::size_t kFrameHeaderBytes = 12;

enum class FrameKind : u8 {
    Envelope = 1,
    SegmentHeader = 2,
    JournalRecord = 3,
    DeadLetter = 4,
};

struct FrameLimits {
    // The largest body accepted: a maximal payload plus room for the envelope's fields.
    u32 max_body_bytes = kMaxPayloadBytes + (64u << 10);
};

struct Frame {
    FrameKind kind = FrameKind::Envelope;
    u8 version = kWireVersion;
    ByteSpan body;         // Points into the decoded input.
    std::size_t size = 0;  // Header plus body: where the next frame starts.
};

// Starts a frame of `kind` at the end of `out` and returns its start; write the body with
// a ByteWriter on the same vector, then call finish_frame(out, start).
std::size_t begin_frame(std::vector<u8>& out, FrameKind kind);
void finish_frame(std::vector<u8>& out, std::size_t start);

void append_frame(std::vector<u8>& out, FrameKind kind, ByteSpan body);

// Decodes the frame at the start of `bytes` (more bytes may follow). Errors, each with its
// reason in Error::context:
//   Malformed "frame.truncated_header" / "frame.truncated_body" (limit = needed, actual = have)
//   Malformed "frame.bad_magic"
//   PayloadTooLarge "frame.oversized" (limit, actual)
//   Corrupt "frame.checksum_mismatch" (limit = stored CRC, actual = computed CRC)
//   NotSupported "frame.version_unsupported" (limit = newest readable, actual = version)
//   Malformed "frame.version_zero", "frame.unknown_kind"
Result<Frame> decode_frame(ByteSpan bytes, const FrameLimits& limits = {});

// A one-line reason for a frame or envelope decoding error, naming the version needed
// when the frame is newer than this build ("wire version 3 needs estalogic with wire
// version >= 3; this build reads <= 1").
std::string describe_decode_error(const Error& error);

}  // namespace esta::protocol
