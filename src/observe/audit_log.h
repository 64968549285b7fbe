// AuditLog: the node's integrity-chained audit log (REQUIREMENTS O-2) in append-only segment
// files under one directory. Format: audit_format.h and docs/AUDIT.md.
//
// Every append becomes a canonical record chained by SHA-256 to the one before, back to a
// genesis record naming the node and its Ed25519 key. Every `checkpoint_every` records, at
// close() and on request, a signed checkpoint covers the records since the previous one with
// an RFC 6962 Merkle root and the chain head, and is handed to the exporter. Segments roll
// over only right after a checkpoint, and each new segment starts with a copy of it (the
// anchor), so old segments can be archived and the rest still verifies.
#pragma once

#include <memory>
#include <mutex>
#include <string>

#include "observe/audit_format.h"
#include "observe/audit_sink.h"
#include "observe/checkpoint_export.h"
#include "observe/clock.h"
#include "observe/file_io.h"
#include "observe/merkle.h"

namespace esta::observe {

inline constexpr const char* kAuditLockFile = "audit.lock";

enum class AuditDurability : u8 {
    SyncEachRecord,    // fdatasync after every record: nothing acknowledged is ever lost.
    SyncAtCheckpoint,  // fdatasync at checkpoints only: faster; a crash may lose the tail.
};

struct AuditLogOptions {
    std::string directory;
    std::string node = "node-1";
    u64 checkpoint_every = 10'000;
    u64 segment_max_bytes = u64{64} << 20;
    AuditDurability durability = AuditDurability::SyncAtCheckpoint;
};

class AuditLog final : public AuditSink {
  public:
    // Creates the directory and genesis record, or reopens an existing log: the log is
    // verified first (with `key`'s public half as the trusted key) and appending continues
    // after its last record. Errors: IoError; Corrupt when the existing log fails
    // verification (run `estalogic verify-log` to see why); Invalid for bad options. A
    // partial frame at the very end (a crash mid-write) is cut off, and the cut is recorded
    // as an `audit.torn_frame_removed` record.
    // One writer per log: the log holds an exclusive lock on DIRECTORY/audit.lock until
    // close(), and another open() meanwhile (a second node, `estalogic audit show` against a
    // running node) fails with Unavailable "audit.in_use" instead of forking the chain.
    // `clock` must outlive the log; `exporter` may be null.
    static Result<std::unique_ptr<AuditLog>> open(AuditLogOptions options, Ed25519PrivateKey key,
                                                  const Clock& clock,
                                                  std::unique_ptr<CheckpointExporter> exporter);

    // Writes the shutdown checkpoint if close() was not called (errors are lost then).
    ~AuditLog() override;

    // Invalid for floats, invalid UTF-8 or nesting deeper than 30 in `data` (the record
    // could not be read back), or a clock earlier than the last record.
    Result<u64> append(std::string_view event, const Value::Map& data) override;
    // Signs a checkpoint now if any record is not yet covered.
    Result<void> checkpoint();
    // Writes the shutdown checkpoint and closes the files. Further appends fail.
    Result<void> close();

    u64 next_seq() const;
    u64 checkpoint_count() const;

    struct Passkey {};
    AuditLog(Passkey, AuditLogOptions options, Ed25519PrivateKey key, const Clock& clock,
             std::unique_ptr<CheckpointExporter> exporter);

  private:
    Result<void> create_locked();
    Result<void> recover_locked();
    Result<u64> append_locked(std::string_view event, const Value::Map& data);
    Result<void> write_record_locked(ByteSpan body);
    Result<void> checkpoint_locked(CheckpointReason reason);
    Result<void> open_segment_locked(u64 first_seq, const SignedCheckpoint* anchor);

    AuditLogOptions m_options;
    Ed25519PrivateKey m_key;
    const Clock& m_clock;
    std::unique_ptr<CheckpointExporter> m_exporter;

    mutable std::mutex m_mutex;
    UniqueFd m_lock;  // flock(LOCK_EX) on audit.lock while open.
    UniqueFd m_segment;
    u64 m_segment_bytes = 0;
    u64 m_next_seq = 0;
    Digest m_head{};
    i64 m_last_timestamp_ns = 0;
    u64 m_interval_first_seq = 0;
    std::vector<Digest> m_pending_leaves;
    MerkleHasher m_merkle;  // Reused context (under m_mutex).
    u64 m_checkpoints = 0;
    Digest m_prev_checkpoint{};
    bool m_closed = false;
    std::vector<u8> m_frame;  // Reused frame buffer (under m_mutex).
};

}  // namespace esta::observe
