// The envelope codec (P-3): an Envelope as one Envelope frame (frame.h). The body is the
// envelope's fields in a fixed order, little-endian, every string and byte run prefixed by
// its u32 length (docs/PROTOCOL.md has the table). Decoding checks every length against
// the bytes that remain and the limits, every enum against its range, every string for
// UTF-8, and refuses trailing bytes, so any accepted frame re-encodes to the same bytes.
#pragma once

#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "protocol/envelope.h"
#include "protocol/frame.h"

namespace esta::protocol {

// Limits on decoded sizes beyond the frame limit; counts are checked before any
// allocation they would size.
struct CodecLimits {
    FrameLimits frame{};
    u32 max_payload_bytes = kMaxPayloadBytes;
    u32 max_headers = 256;
    u32 max_trace_state = 32;  // W3C tracestate allows 32 list members.
    u32 max_string_bytes = 64u << 10;
};

// Appends one Envelope frame to `out`.
void encode_envelope(const Envelope& envelope, std::vector<u8>& out);
std::vector<u8> encode_envelope(const Envelope& envelope);

// Decodes exactly one Envelope frame (no bytes may follow). Frame errors are those of
// decode_frame(); body errors are Malformed "envelope.*" with the offset in the frame,
// PayloadTooLarge "envelope.payload_too_large" and Limit "envelope.too_many_headers".
Result<Envelope> decode_envelope(ByteSpan bytes, const CodecLimits& limits = {});

// The body alone, for callers that framed it themselves (the journal, the dead-letter
// queue). `version` is the frame's version.
void encode_envelope_body(const Envelope& envelope, std::vector<u8>& out);
Result<Envelope> decode_envelope_body(ByteSpan body, u8 version, const CodecLimits& limits = {},
                                      std::size_t base_offset = kFrameHeaderBytes);

}  // namespace esta::protocol
