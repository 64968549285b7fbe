// Reading an audit log for people: records by sequence range, and Merkle inclusion proofs
// that tie one record to a signed checkpoint. Reading does not verify: callers that need
// trust run verify_audit_log first (the CLI does).
#pragma once

#include <string>
#include <vector>

#include "observe/audit_format.h"

namespace esta::observe {

// Records with from <= seq <= to, at most `max_count`, in log order.
Result<std::vector<RecordView>> read_audit_records(const std::string& path, u64 from, u64 to,
                                                   std::size_t max_count);

struct AuditInclusionProof {
    u64 seq = 0;
    u64 leaf_index = 0;  // Position in the checkpoint's tree (seq - first_seq).
    Digest leaf_hash{};
    std::vector<Digest> path;  // RFC 6962 audit path, leaf to root.
    SignedCheckpoint checkpoint;

    // Checks the path against the checkpoint's Merkle root (not the signature).
    bool verify() const;
    // {"seq":…,"leaf_index":…,"tree_size":…,"leaf_hash":"…","path":[…],
    //  "checkpoint":{"index":…,"first_seq":…,"last_seq":…,"merkle_root":"…",
    //  "signature":"…","key":"…"}}
    std::string to_json() const;
};

// The proof for record `seq`. NotFound when there is no such record, or no checkpoint covers
// it yet (the node is still running: wait for the next checkpoint).
Result<AuditInclusionProof> prove_audit_record(const std::string& path, u64 seq);

// JSON of one record: {"seq":…,"ts":"…","kind":"…","event":"…","data":{…}}.
std::string record_to_json(const RecordView& record);

}  // namespace esta::observe
