#include "protocol/frame.h"

#include <cstring>
#include <string>

#include "protocol/byte_writer.h"
#include "protocol/crc32c.h"

namespace esta::protocol {

namespace {

u32 load_u32(const u8* data) {
    return u32{data[0]} | u32{data[1]} << 8 | u32{data[2]} << 16 | u32{data[3]} << 24;
}

// Kind 5 carries primary/standby replication messages (replication/messages.h).
constexpr u8 kLastKnownKind = 5;

bool is_known_kind(u8 kind) {
    return kind >= u8(FrameKind::Envelope) && kind <= kLastKnownKind;
}

}  // namespace

std::size_t begin_frame(std::vector<u8>& out, FrameKind kind) {
    const std::size_t start = out.size();
    ByteWriter writer(out);
    writer.put_u8(kFrameMagic0);
    writer.put_u8(kFrameMagic1);
    writer.put_u8(kWireVersion);
    writer.put_u8(u8(kind));
    writer.put_u32(0);  // Body length, patched by finish_frame().
    writer.put_u32(0);  // CRC32C, patched by finish_frame().
    return start;
}

void finish_frame(std::vector<u8>& out, std::size_t start) {
    ESTA_ASSERT(out.size() >= start + kFrameHeaderBytes);
    const std::size_t body_size = out.size() - start - kFrameHeaderBytes;
    ESTA_ASSERT(body_size <= UINT32_MAX);
    ByteWriter writer(out);
    writer.patch_u32(start + 4, static_cast<u32>(body_size));
    // The checksum covers the first eight header bytes and the body: a flipped version,
    // kind or length bit is caught just like a flipped payload bit.
    u32 crc = crc32c(ByteSpan(out.data() + start, 8));
    crc = crc32c(ByteSpan(out.data() + start + kFrameHeaderBytes, body_size), crc);
    writer.patch_u32(start + 8, crc);
}

void append_frame(std::vector<u8>& out, FrameKind kind, ByteSpan body) {
    const std::size_t start = begin_frame(out, kind);
    out.insert(out.end(), body.begin(), body.end());
    finish_frame(out, start);
}

Result<Frame> decode_frame(ByteSpan bytes, const FrameLimits& limits) {
    // (1) Header present and recognizable.
    if (bytes.size() < kFrameHeaderBytes) {
        return Err(Status::Malformed, "frame.truncated_header",
                   Detail{.limit = kFrameHeaderBytes, .actual = bytes.size()});
    }
    const u8* header = bytes.data();
    if (header[0] != kFrameMagic0 || header[1] != kFrameMagic1) {
        return Err(Status::Malformed, "frame.bad_magic", Detail{.offset = 0});
    }
    // (2) The length is bounded before it is used for anything.
    const u32 body_size = load_u32(header + 4);
    if (body_size > limits.max_body_bytes) {
        return Err(Status::PayloadTooLarge, "frame.oversized",
                   Detail{.limit = limits.max_body_bytes, .actual = body_size});
    }
    const std::size_t available = bytes.size() - kFrameHeaderBytes;
    if (available < body_size) {
        return Err(Status::Malformed, "frame.truncated_body",
                   Detail{.limit = body_size, .actual = available});
    }
    // (3) The checksum, before any other header field is believed.
    const u32 stored = load_u32(header + 8);
    u32 computed = crc32c(bytes.first(8));
    computed = crc32c(bytes.subspan(kFrameHeaderBytes, body_size), computed);
    if (stored != computed) {
        return Err(Status::Corrupt, "frame.checksum_mismatch",
                   Detail{.limit = stored, .actual = computed});
    }
    // (4) Version and kind.
    const u8 version = header[2];
    if (version == 0) return Err(Status::Malformed, "frame.version_zero", Detail{.offset = 2});
    if (version > kWireVersion) {
        return Err(Status::NotSupported, "frame.version_unsupported",
                   Detail{.limit = kWireVersion, .actual = version});
    }
    if (!is_known_kind(header[3])) {
        return Err(Status::Malformed, "frame.unknown_kind",
                   Detail{.offset = 3, .actual = header[3]});
    }
    return Frame{static_cast<FrameKind>(header[3]), version,
                 bytes.subspan(kFrameHeaderBytes, body_size), kFrameHeaderBytes + body_size};
}

std::string describe_decode_error(const Error& error) {
    if (error.code == Status::NotSupported && error.detail.actual != Detail::kUnset &&
        error.detail.limit != Detail::kUnset) {
        return std::string(error.context) + ": format version " +
               std::to_string(error.detail.actual) +
               " is newer than this build; it needs an estalogic that reads version " +
               std::to_string(error.detail.actual) + " (this build reads versions 1.." +
               std::to_string(error.detail.limit) + ")";
    }
    return error.to_string();
}

}  // namespace esta::protocol
