#include "observe/audit_query.h"

#include <filesystem>
#include <functional>

#include "observe/json.h"
#include "observe/merkle.h"

namespace esta::observe {

namespace {

// Every frame of the log at `path` (a directory or one segment), in order. `visit` returns
// false to stop early.
Result<void> for_each_frame(const std::string& path,
                            const std::function<Result<bool>(const Frame&)>& visit) {
    std::vector<std::string> segments;
    std::error_code error;
    if (std::filesystem::is_directory(path, error)) {
        segments = ESTA_TRY(list_segments(path));
    } else {
        segments.push_back(path);
    }
    for (const std::string& segment : segments) {
        FrameFile file = ESTA_TRY(FrameFile::read(segment, AuditFileType::Segment));
        for (;;) {
            auto frame = ESTA_TRY(file.next());
            if (!frame) break;
            if (!ESTA_TRY(visit(*frame))) return Ok();
        }
    }
    return Ok();
}

}  // namespace

Result<std::vector<RecordView>> read_audit_records(const std::string& path, u64 from, u64 to,
                                                   std::size_t max_count) {
    std::vector<RecordView> records;
    ESTA_TRY(for_each_frame(path, [&](const Frame& frame) -> Result<bool> {
        if (frame.kind != FrameKind::Record) return true;
        RecordView view = ESTA_TRY(parse_record(frame.body));
        if (view.seq > to) return false;
        if (view.seq >= from) records.push_back(std::move(view));
        return records.size() < max_count;
    }));
    return records;
}

bool AuditInclusionProof::verify() const {
    return verify_merkle_inclusion(leaf_hash, leaf_index, checkpoint.checkpoint.tree_size(), path,
                                   checkpoint.checkpoint.merkle_root);
}

std::string AuditInclusionProof::to_json() const {
    const Checkpoint& c = checkpoint.checkpoint;
    std::string out = "{\"seq\":" + std::to_string(seq) +
                      ",\"leaf_index\":" + std::to_string(leaf_index) +
                      ",\"tree_size\":" + std::to_string(c.tree_size()) + ",\"leaf_hash\":\"" +
                      to_hex(leaf_hash) + "\",\"path\":[";
    for (std::size_t i = 0; i < path.size(); ++i) {
        if (i > 0) out.push_back(',');
        out += "\"" + to_hex(path[i]) + "\"";
    }
    out += "],\"checkpoint\":{\"index\":" + std::to_string(c.index) +
           ",\"first_seq\":" + std::to_string(c.first_seq) +
           ",\"last_seq\":" + std::to_string(c.last_seq) + ",\"merkle_root\":\"" +
           to_hex(c.merkle_root) + "\",\"chain_head\":\"" + to_hex(c.chain_head) + "\",\"key\":\"" +
           to_hex(c.key) + "\",\"signature\":\"" + to_hex(checkpoint.signature) + "\"}}";
    return out;
}

Result<AuditInclusionProof> prove_audit_record(const std::string& path, u64 seq) {
    std::vector<Digest> leaves;
    std::optional<u64> leaf_index;
    std::optional<AuditInclusionProof> proof;
    ESTA_TRY(for_each_frame(path, [&](const Frame& frame) -> Result<bool> {
        if (frame.kind == FrameKind::Record) {
            const RecordView view = ESTA_TRY(parse_record(frame.body));
            if (view.seq == seq) leaf_index = leaves.size();
            leaves.push_back(merkle_leaf_hash(frame.body));
            return true;
        }
        if (frame.kind == FrameKind::Checkpoint && leaf_index) {
            SignedCheckpoint checkpoint = ESTA_TRY(signed_checkpoint_from_frame(frame));
            if (checkpoint.checkpoint.tree_size() != leaves.size()) {
                return Err(Status::Corrupt, "audit.proof_tree_size");
            }
            AuditInclusionProof made;
            made.seq = seq;
            made.leaf_index = *leaf_index;
            made.leaf_hash = leaves[*leaf_index];
            made.path = merkle_inclusion_proof(leaves, *leaf_index);
            made.checkpoint = std::move(checkpoint);
            proof = std::move(made);
            return false;
        }
        leaves.clear();  // A checkpoint or anchor closes the interval.
        return true;
    }));
    if (!proof)
        return Err(Status::NotFound,
                   leaf_index ? "audit.proof_not_checkpointed" : "audit.proof_no_such_record");
    return std::move(*proof);
}

std::string record_to_json(const RecordView& record) {
    std::string out = "{\"seq\":" + std::to_string(record.seq) + ",\"ts\":";
    append_value_json(out, Value::timestamp(record.timestamp_ns));
    out += ",\"kind\":";
    append_json_string(out, record.kind);
    if (const Value* event = record.body.find("event")) {
        out += ",\"event\":";
        append_value_json(out, *event);
    }
    if (const Value* data = record.body.find("data")) {
        out += ",\"data\":";
        append_value_json(out, *data);
    }
    if (record.kind == "genesis") {
        for (const char* key : {"node", "key", "checkpoint_every"}) {
            if (const Value* field = record.body.find(key)) {
                out += ",\"";
                out += key;
                out += "\":";
                append_value_json(out, *field);
            }
        }
    }
    out.push_back('}');
    return out;
}

}  // namespace esta::observe
