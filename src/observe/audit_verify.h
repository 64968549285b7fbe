// Verifies an audit log (REQUIREMENTS O-2): the hash chain from its genesis (or from the
// checkpoint a segment starts at, when older segments were archived), every checkpoint's
// signature, Merkle root and chain head, timestamps, and — when given — the checkpoint copies
// exported off the node. Reports OK with counts, or the first bad record and why.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "observe/audit_format.h"

namespace esta::observe {

enum class AuditFinding : u8 {
    Ok,
    Malformed,            // A frame or body that is not the format at all.
    UnsupportedVersion,   // Written by a newer format version than this reader knows.
    Edited,               // A record's bytes changed.
    Deleted,              // Records are missing from the middle.
    Inserted,             // A record that was never appended is present.
    Reordered,            // Records are out of order.
    Truncated,            // Records are missing from the end.
    TimestampRegression,  // A record is older than the one before it.
    BadSignature,         // A checkpoint's signature does not verify.
    WrongKey,             // Signed by a key other than the trusted one.
    Rewritten,            // Re-chained and re-signed on the node: differs from the export.
};

std::string_view finding_name(AuditFinding finding);

// Where the chain stands after the last verified frame: enough for the writer to continue
// appending after a restart.
struct AuditChainState {
    u64 next_seq = 0;
    Digest head{};
    i64 last_timestamp_ns = 0;
    u64 interval_first_seq = 0;          // First record not yet covered by a checkpoint.
    std::vector<Digest> pending_leaves;  // Their Merkle leaf hashes.
    u64 checkpoints = 0;                 // Index of the last checkpoint.
    Digest prev_checkpoint{};
    std::optional<SignedCheckpoint> last_checkpoint;
    std::string node;
    std::optional<PublicKeyBytes> key;
    u64 checkpoint_every = 0;
};

struct AuditVerifyOptions {
    // When set, the genesis and every checkpoint must name and be signed by this key.
    std::optional<Ed25519PublicKey> trusted_key;
    // Checkpoints exported off the node; each must match the local one with its index, and
    // one beyond the local log's end shows that the log was truncated.
    std::vector<SignedCheckpoint> exported;
    // A running (or crashed) node's log ends with records no checkpoint covers yet. Without
    // this flag that is reported as Truncated, since it cannot be told apart from a cut.
    bool allow_open_tail = false;
};

struct AuditVerifyReport {
    AuditFinding finding = AuditFinding::Ok;
    std::optional<u64> bad_seq;  // The first bad record, when one can be named.
    std::string location;        // "audit-…seg @ offset 1234".
    std::string reason;          // Plain words: what is wrong.

    // Set when the log ends inside a frame: where that partial frame starts. A crash during
    // a write leaves exactly this; AuditLog::open cuts it off when it is at the very end.
    struct TornFrame {
        std::string path;
        u64 offset = 0;
    };
    std::optional<TornFrame> torn_frame;

    u64 records = 0;  // Records verified (including genesis).
    u64 checkpoints = 0;
    u64 segments = 0;
    u64 exported_checked = 0;
    u64 first_seq = 0;          // 0, or where verification started after archiving.
    u64 open_tail_records = 0;  // Records after the last checkpoint.
    bool key_pinned = false;
    AuditChainState state;

    bool ok() const { return finding == AuditFinding::Ok; }
    // One line: "OK: …" or "BAD (edited): record 42 …".
    std::string summary() const;
};

// `path` is a log directory (its audit-*.seg files) or a single segment file. A Result error
// only when nothing can be read at all (missing path, no segments).
Result<AuditVerifyReport> verify_audit_log(const std::string& path,
                                           const AuditVerifyOptions& options);

// Reads an exported checkpoint file (see CheckpointExporter); each entry's structure is
// checked, its signature is left to the verifier.
Result<std::vector<SignedCheckpoint>> read_exported_checkpoints(const std::string& path);

}  // namespace esta::observe
