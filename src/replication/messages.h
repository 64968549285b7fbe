// The replication protocol's messages (REQUIREMENTS K-61, K-62; docs/PROTOCOL.md,
// "Replication"): one frame of kind Replication each (protocol/frame.h: magic, version,
// length, CRC32C), body little-endian:
//
//   u8 type, u64 epoch (the sender's leadership epoch), then by type:
//   Hello      u64 next_sequence              standby -> primary: the first entry it needs
//   Entries    u32 count, count x entry       primary -> standby, in sequence order
//              entry = 32-byte chain hash, u8 has_output, [32-byte output digest],
//                      u32 length, a JournalRecord frame (journal_record.h)
//   Ack        u64 sequence                   standby -> primary: applied through here
//   Heartbeat  u64 last_sequence              primary -> standby, every 100 ms
//   Checkpoint u64 sequence, 32-byte chain hash at it, u32 length, state bytes
//   Refused    u64 current_epoch              "your epoch is stale": the sender is fenced
//   CheckpointPart u64 sequence, 32-byte chain hash, u64 total, u64 offset, u32 length,
//              bytes: one piece of a checkpoint whose state does not fit one frame; the
//              pieces go in order and the standby restores once it has `total` bytes
//
// Decoding never trusts a count or a length before checking it against what is present.
#pragma once

#include <optional>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "observe/crypto.h"
#include "protocol/frame.h"
#include "protocol/journal_record.h"

namespace esta::replication {

using Digest = observe::Digest;

// The frame kind of every replication message (docs/PROTOCOL.md: kind 5; frame.cc
// accepts it).
inline constexpr protocol::FrameKind kReplicationFrame = static_cast<protocol::FrameKind>(5);

enum class MessageType : u8 {
    Hello = 1,
    Entries = 2,
    Ack = 3,
    Heartbeat = 4,
    Checkpoint = 5,
    Refused = 6,
    CheckpointPart = 7
};

// One shipped journal entry: the record, its place in the SHA-256 chain, and the digest of
// the outputs the primary produced for it (compared by a standby that re-executes).
struct Entry {
    protocol::JournalRecord record;
    Digest chain{};
    std::optional<Digest> output;
};

struct Hello {
    u64 next_sequence = 1;
};
struct Entries {
    std::vector<Entry> entries;
};
struct Ack {
    u64 sequence = 0;
};
struct Heartbeat {
    u64 last_sequence = 0;
};
struct Checkpoint {
    u64 sequence = 0;  // The state after applying every entry through this sequence.
    Digest chain{};    // The chain hash at `sequence`: the tail continues from it.
    std::vector<u8> state;
};
struct Refused {
    u64 current_epoch = 0;
};
struct CheckpointPart {
    u64 sequence = 0;
    Digest chain{};
    u64 total = 0;   // The whole state's size.
    u64 offset = 0;  // Where `bytes` go in it.
    std::vector<u8> bytes;
};

// A checkpoint state larger than this ships as CheckpointParts of at most this size, so
// every frame stays within the frame limit (protocol/frame.h); one larger in all than
// kMaxCheckpointBytes is refused by the standby.
inline constexpr std::size_t kCheckpointPartBytes = 512u << 10;
inline constexpr u64 kMaxCheckpointBytes = u64{1} << 32;

struct Message {
    u64 epoch = 0;
    std::variant<Hello, Entries, Ack, Heartbeat, Checkpoint, Refused, CheckpointPart> body;
};

// Appends `message` as one frame to `out`.
void encode(std::vector<u8>& out, const Message& message);
// Decodes one frame's body (decode_frame accepted it as kind Replication). Malformed with
// a reason for a bad type, count or length.
Result<Message> decode_body(ByteSpan body);

// The chain (K-61): chain(n) = SHA-256(chain(n-1) || the record's frame bytes); chain(0)
// is all zeros. A standby recomputes it for every entry and refuses a mismatch.
Digest chain_next(const Digest& previous, const protocol::JournalRecord& record);

}  // namespace esta::replication
