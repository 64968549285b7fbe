// The audit log's durable format, version 1 (REQUIREMENTS O-2, V-1). docs/AUDIT.md is the
// prose version of this header; change both together.
//
// File  = magic (8 bytes) + format version (u32 LE) + frames.
// Frame = kind (u8) + body length (u32 LE) + body (a canonical Value map) + trailer:
//         Record: SHA-256 of the body (32 bytes);
//         Checkpoint, Anchor: Ed25519 signature over kCheckpointDomain || body (64 bytes).
// A record's body holds "prev", the SHA-256 of the previous record's body, which makes the
// hash chain; checkpoints sign the chain head and the RFC 6962 Merkle root of their records.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "observe/crypto.h"
#include "observe/value.h"

namespace esta::observe {

inline constexpr u32 kAuditFormatVersion = 1;
inline constexpr u32 kMaxFrameBody = 16u << 20;
inline constexpr std::size_t kFileHeaderSize = 12;
// Domain separation: a checkpoint signature can never be replayed as another kind of
// signature made with the same key (module signatures, for example).
inline constexpr std::string_view kCheckpointDomain{"estalogic.audit.checkpoint.v1\0", 30};

enum class AuditFileType : u8 { Segment, CheckpointExport };

enum class FrameKind : u8 {
    Record = 1,
    Checkpoint = 2,
    // The first frame of every segment after the first: a copy of the checkpoint that closed
    // the previous segment, so a segment verifies on its own once older ones are archived.
    Anchor = 3,
};

std::size_t frame_trailer_size(FrameKind kind);

struct Frame {
    FrameKind kind = FrameKind::Record;
    ByteSpan body;
    ByteSpan trailer;
    u64 offset = 0;  // Of the kind byte, from the start of the file.
};

void append_file_header(std::vector<u8>& out, AuditFileType type);
void append_frame(std::vector<u8>& out, FrameKind kind, ByteSpan body, ByteSpan trailer);

// A whole audit file in memory, read frame by frame. Segments are bounded (64 MiB by
// default), so holding one is cheap next to verifying it.
class FrameFile {
  public:
    // Malformed if the magic is wrong; NotSupported (detail: limit = newest version this
    // reader knows, actual = the file's) if the file is from a newer format.
    static Result<FrameFile> read(const std::string& path, AuditFileType type);
    static Result<FrameFile> from_bytes(std::vector<u8> bytes, std::string name,
                                        AuditFileType type);

    // The next frame, nullopt at a clean end, Malformed (detail.offset) when the file ends
    // inside a frame or a frame is impossible (unknown kind, oversized body).
    Result<std::optional<Frame>> next();

    std::size_t cursor() const { return m_cursor; }
    void set_cursor(std::size_t cursor) { m_cursor = cursor; }
    const std::string& name() const { return m_name; }

  private:
    FrameFile(std::vector<u8> bytes, std::string name)
        : m_bytes(std::move(bytes)), m_name(std::move(name)), m_cursor(kFileHeaderSize) {}

    std::vector<u8> m_bytes;
    std::string m_name;
    std::size_t m_cursor;
};

// The fields every record has. The full map stays available in `body`.
struct RecordView {
    u64 version = 0;
    u64 seq = 0;
    i64 timestamp_ns = 0;
    std::string kind;  // "genesis" or "event".
    Digest prev{};
    Value body;
};

// Decodes a record body (canonical, no floats) and checks the common fields' types.
Result<RecordView> parse_record(ByteSpan body);

std::vector<u8> make_genesis_body(std::string_view node, const PublicKeyBytes& key,
                                  u64 checkpoint_every, i64 timestamp_ns);
std::vector<u8> make_event_body(u64 seq, i64 timestamp_ns, std::string_view event,
                                const Value::Map& data, const Digest& prev);

enum class CheckpointReason : u8 { Interval, Shutdown, Explicit };
std::string_view checkpoint_reason_name(CheckpointReason reason);

struct Checkpoint {
    u64 version = kAuditFormatVersion;
    u64 index = 0;      // 1 for the first checkpoint of a chain.
    u64 first_seq = 0;  // The Merkle tree covers records first_seq..last_seq.
    u64 last_seq = 0;
    Digest merkle_root{};
    Digest chain_head{};       // SHA-256 of record last_seq's body.
    Digest prev_checkpoint{};  // SHA-256 of the previous checkpoint's body; zeros for #1.
    i64 timestamp_ns = 0;
    std::string node;
    PublicKeyBytes key{};
    std::string reason;

    u64 tree_size() const { return last_seq - first_seq + 1; }
};

std::vector<u8> encode_checkpoint(const Checkpoint& checkpoint);
Result<Checkpoint> parse_checkpoint(ByteSpan body);
// What the signature covers: kCheckpointDomain || body.
std::vector<u8> checkpoint_signing_message(ByteSpan body);

struct SignedCheckpoint {
    Checkpoint checkpoint;
    std::vector<u8> body;
    Signature signature{};

    bool verify(const Ed25519PublicKey& key) const;
    // Identity of the exact bytes (body and signature), to compare copies.
    Digest fingerprint() const;
};

Result<SignedCheckpoint> signed_checkpoint_from_frame(const Frame& frame);

// Segment files are named audit-<first seq, 20 digits>.seg so that names sort by position.
std::string segment_file_name(u64 first_seq);
// The segment files in `directory`, in chain order. NotFound if the directory is missing.
Result<std::vector<std::string>> list_segments(const std::string& directory);

}  // namespace esta::observe
