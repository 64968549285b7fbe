#include "observe/audit_verify.h"

#include <algorithm>
#include <filesystem>
#include <map>

#include "observe/json.h"
#include "observe/merkle.h"

namespace esta::observe {

namespace {

// How far ahead a missing sequence number is looked for, to tell a reorder from a deletion.
constexpr int kReorderLookahead = 64;

std::string short_key(const PublicKeyBytes& key) {
    return to_hex(ByteSpan(key).first(8));
}

std::string seq_text(u64 seq) {
    return std::to_string(seq);
}

// V-1: say which version was found and which this reader knows, so the fix is obvious.
std::string newer_version_reason(const char* what, u64 found) {
    return std::string(what) + " written by audit format version " + std::to_string(found) +
           "; this estalogic reads versions up to " + std::to_string(kAuditFormatVersion) +
           " — verify it with a newer estalogic";
}

class Verifier {
  public:
    explicit Verifier(const AuditVerifyOptions& options) : m_options(options) {
        m_report.key_pinned = options.trusted_key.has_value();
    }

    AuditVerifyReport run(const std::vector<std::string>& segments) {
        for (std::size_t i = 0; i < segments.size(); ++i) {
            if (!verify_segment(segments[i], i == 0, i + 1 == segments.size())) {
                return std::move(m_report);
            }
        }
        if (!check_exports()) return std::move(m_report);
        AuditChainState& state = m_report.state;
        m_report.open_tail_records = state.pending_leaves.size();
        if (!state.pending_leaves.empty() && !m_options.allow_open_tail) {
            fail(AuditFinding::Truncated, state.next_seq, m_last_location,
                 "the log ends at record " + seq_text(state.next_seq - 1) + " with " +
                     std::to_string(state.pending_leaves.size()) +
                     " record(s) after the last checkpoint: it was truncated, or the node "
                     "stopped without a clean shutdown");
        }
        return std::move(m_report);
    }

  private:
    bool fail(AuditFinding finding, std::optional<u64> seq, std::string location,
              std::string reason) {
        m_report.finding = finding;
        m_report.bad_seq = seq;
        m_report.location = std::move(location);
        m_report.reason = std::move(reason);
        return false;
    }

    static std::string where(const FrameFile& file, u64 offset) {
        return std::filesystem::path(file.name()).filename().string() + " offset " +
               std::to_string(offset);
    }

    bool fail_read_error(const Error& error, const FrameFile& file, u64 offset) {
        if (error.code == Status::NotSupported) {
            return fail(AuditFinding::UnsupportedVersion, std::nullopt, where(file, offset),
                        newer_version_reason("the file was", error.detail.actual));
        }
        if (error.context == std::string_view("audit.frame_torn")) {
            m_report.torn_frame = AuditVerifyReport::TornFrame{file.name(), offset};
            return fail(AuditFinding::Truncated, m_report.state.next_seq, where(file, offset),
                        "the file ends inside a frame (cut mid-record, or a torn write)");
        }
        return fail(AuditFinding::Malformed, m_report.state.next_seq, where(file, offset),
                    "not a valid audit frame (" + error.to_string() + ")");
    }

    bool verify_segment(const std::string& path, bool first_segment, bool last_segment) {
        auto file = FrameFile::read(path, AuditFileType::Segment);
        if (!file) {
            if (file.error().code == Status::NotSupported) {
                return fail(AuditFinding::UnsupportedVersion, std::nullopt,
                            std::filesystem::path(path).filename().string(),
                            newer_version_reason("the file was", file.error().detail.actual));
            }
            return fail(AuditFinding::Malformed, std::nullopt,
                        std::filesystem::path(path).filename().string(),
                        "not an audit segment (" + file.error().to_string() + ")");
        }
        ++m_report.segments;
        bool first_frame = true;
        for (;;) {
            const u64 offset = file->cursor();
            auto next = file->next();
            if (!next) return fail_read_error(next.error(), *file, offset);
            if (!next->has_value()) break;
            const Frame& frame = **next;
            m_last_location = where(*file, frame.offset);
            bool ok = false;
            switch (frame.kind) {
                case FrameKind::Record:
                    if (first_frame && !first_segment) {
                        return fail(AuditFinding::Malformed, std::nullopt, m_last_location,
                                    "a segment after the first must start with its anchor "
                                    "checkpoint");
                    }
                    ok = on_record(*file, frame);
                    break;
                case FrameKind::Checkpoint:
                    ok = on_checkpoint(frame);
                    break;
                case FrameKind::Anchor:
                    if (!first_frame) {
                        return fail(AuditFinding::Inserted, std::nullopt, m_last_location,
                                    "an anchor checkpoint in the middle of a segment");
                    }
                    ok = on_anchor(frame);
                    break;
            }
            if (!ok) return false;
            first_frame = false;
        }
        if (first_frame) {
            return fail(AuditFinding::Truncated, m_report.state.next_seq,
                        where(*file, kFileHeaderSize), "the segment holds no frames");
        }
        if (!last_segment && !m_last_frame_was_checkpoint) {
            return fail(AuditFinding::Truncated, m_report.state.next_seq, m_last_location,
                        "the segment ends at record " + seq_text(m_report.state.next_seq - 1) +
                            " without the checkpoint that closes every full segment");
        }
        return true;
    }

    // True when a record with sequence number `seq` follows within a few frames.
    static bool seq_follows(FrameFile& file, u64 seq) {
        const std::size_t saved = file.cursor();
        bool found = false;
        for (int i = 0; i < kReorderLookahead && !found; ++i) {
            auto next = file.next();
            if (!next || !next->has_value()) break;
            if ((*next)->kind != FrameKind::Record) continue;
            auto view = parse_record((*next)->body);
            found = view && view->seq == seq;
        }
        file.set_cursor(saved);
        return found;
    }

    bool on_record(FrameFile& file, const Frame& frame) {
        AuditChainState& state = m_report.state;
        const u64 expected = state.next_seq;
        const Digest hash = sha256(frame.body);
        auto view = parse_record(frame.body);
        if (!std::equal(hash.begin(), hash.end(), frame.trailer.begin())) {
            return fail(AuditFinding::Edited, view ? view->seq : expected, m_last_location,
                        "the record's content does not match its stored hash: it was edited");
        }
        if (!view) {
            return fail(AuditFinding::Malformed, expected, m_last_location,
                        "the record body is not a canonical audit record (" +
                            view.error().to_string() + ")");
        }
        if (view->version == 0 || view->version > kAuditFormatVersion) {
            return fail(AuditFinding::UnsupportedVersion, view->seq, m_last_location,
                        newer_version_reason("the record was", view->version));
        }
        if (!m_started) {
            if (!start_from_genesis(*view)) return false;
        } else if (view->kind == "genesis") {
            return fail(AuditFinding::Inserted, view->seq, m_last_location,
                        "a second genesis record in the middle of the log");
        } else if (view->kind != "event") {
            return fail(AuditFinding::Malformed, view->seq, m_last_location,
                        "unknown record kind \"" + view->kind + "\"");
        } else if (!check_position(file, *view, expected)) {
            return false;
        }
        if (view->timestamp_ns < state.last_timestamp_ns) {
            return fail(AuditFinding::TimestampRegression, view->seq, m_last_location,
                        "its timestamp is earlier than record " + seq_text(expected - 1) + "'s");
        }
        state.head = hash;
        state.last_timestamp_ns = view->timestamp_ns;
        state.pending_leaves.push_back(m_merkle.leaf(frame.body));
        state.next_seq = view->seq + 1;
        m_last_prev = view->prev;
        m_last_frame_was_checkpoint = false;
        ++m_report.records;
        return true;
    }

    bool start_from_genesis(const RecordView& view) {
        AuditChainState& state = m_report.state;
        if (view.kind != "genesis" || view.seq != 0 || view.prev != Digest{}) {
            return fail(AuditFinding::Deleted, 0, m_last_location,
                        "the log does not start with its genesis record (seq 0) or an anchor "
                        "checkpoint: its beginning is missing");
        }
        const Value* key = view.body.find("key");
        const Value* node = view.body.find("node");
        const Value* every = view.body.find("checkpoint_every");
        const auto* key_bytes = key ? key->as_bytes() : nullptr;
        auto public_key = key_bytes ? Ed25519PublicKey::from_bytes(key_bytes->data)
                                    : Result<Ed25519PublicKey>(Err(Status::Malformed, "genesis"));
        if (!public_key || node == nullptr || node->as_text() == nullptr || every == nullptr ||
            every->as_i64() == nullptr) {
            return fail(AuditFinding::Malformed, 0, m_last_location,
                        "the genesis record lacks its node, key or checkpoint interval");
        }
        if (!adopt_key(*public_key, 0, "the genesis record")) return false;
        state.node = *node->as_text();
        state.checkpoint_every = static_cast<u64>(*every->as_i64());
        m_started = true;
        return true;
    }

    bool adopt_key(const Ed25519PublicKey& key, std::optional<u64> seq, const std::string& what) {
        if (m_options.trusted_key && !(*m_options.trusted_key == key)) {
            return fail(AuditFinding::WrongKey, seq, m_last_location,
                        what + " names key " + short_key(key.bytes()) + "…, not the trusted key " +
                            short_key(m_options.trusted_key->bytes()) +
                            "…: the log was re-created or re-signed by someone else");
        }
        m_log_key = key;
        m_report.state.key = key.bytes();
        return true;
    }

    bool check_position(FrameFile& file, const RecordView& view, u64 expected) {
        const AuditChainState& state = m_report.state;
        if (view.seq > expected) {
            if (seq_follows(file, expected)) {
                return fail(AuditFinding::Reordered, expected, m_last_location,
                            "record " + seq_text(view.seq) + " comes before record " +
                                seq_text(expected) + ": records were reordered");
            }
            return fail(AuditFinding::Deleted, expected, m_last_location,
                        view.seq == expected + 1
                            ? "record " + seq_text(expected) + " is missing (deleted)"
                            : "records " + seq_text(expected) + ".." + seq_text(view.seq - 1) +
                                  " are missing (deleted)");
        }
        if (view.seq < expected) {
            const bool twin = view.seq + 1 == expected && view.prev == m_last_prev;
            return fail(AuditFinding::Inserted, view.seq, m_last_location,
                        twin
                            ? "two records claim seq " + seq_text(view.seq) +
                                  " and both link to the record before: one was inserted"
                            : "a record with seq " + seq_text(view.seq) + " appears after record " +
                                  seq_text(expected - 1) + ": it was inserted or replayed");
        }
        if (view.prev != state.head) {
            if (expected == m_report.first_seq) {
                return fail(AuditFinding::Edited, expected, m_last_location,
                            "the first record after the anchor checkpoint does not link to the "
                            "checkpoint's chain head");
            }
            return fail(AuditFinding::Edited, expected - 1, m_last_location,
                        "record " + seq_text(expected - 1) +
                            " was changed: its hash no longer matches the link stored in record " +
                            seq_text(expected));
        }
        return true;
    }

    bool checkpoint_error(const Error& error) {
        if (error.code == Status::NotSupported) {
            return fail(AuditFinding::UnsupportedVersion, std::nullopt, m_last_location,
                        newer_version_reason("the checkpoint was", error.detail.actual));
        }
        return fail(AuditFinding::Malformed, std::nullopt, m_last_location,
                    "the checkpoint body is malformed (" + error.to_string() + ")");
    }

    bool on_checkpoint(const Frame& frame) {
        AuditChainState& state = m_report.state;
        auto parsed = signed_checkpoint_from_frame(frame);
        if (!parsed) return checkpoint_error(parsed.error());
        const Checkpoint& checkpoint = parsed->checkpoint;
        const std::string name = "checkpoint #" + std::to_string(checkpoint.index) + " (records " +
                                 seq_text(checkpoint.first_seq) + ".." +
                                 seq_text(checkpoint.last_seq) + ")";
        if (!m_started) {
            return fail(AuditFinding::Malformed, std::nullopt, m_last_location,
                        name + " comes before the genesis record");
        }
        if (checkpoint.key != m_log_key->bytes()) {
            return fail(AuditFinding::WrongKey, checkpoint.last_seq, m_last_location,
                        name + " names key " + short_key(checkpoint.key) + "…, not the log's key " +
                            short_key(m_log_key->bytes()) + "…");
        }
        if (!parsed->verify(*m_log_key)) {
            return fail(AuditFinding::BadSignature, checkpoint.last_seq, m_last_location,
                        name +
                            ": the signature does not verify with the log's key (forged, or "
                            "re-signed with another key)");
        }
        if (checkpoint.index != state.checkpoints + 1) {
            return fail(checkpoint.index <= state.checkpoints ? AuditFinding::Inserted
                                                              : AuditFinding::Deleted,
                        checkpoint.last_seq, m_last_location,
                        name + " follows checkpoint #" + std::to_string(state.checkpoints));
        }
        if (checkpoint.last_seq + 1 > state.next_seq) {
            return fail(AuditFinding::Deleted, state.next_seq, m_last_location,
                        name + " covers records up to " + seq_text(checkpoint.last_seq) +
                            ", but only records up to " + seq_text(state.next_seq - 1) +
                            " precede it: records were deleted");
        }
        if (checkpoint.last_seq + 1 < state.next_seq ||
            checkpoint.first_seq != state.interval_first_seq) {
            return fail(AuditFinding::Inserted, checkpoint.last_seq + 1, m_last_location,
                        name + " does not cover the records before it (" +
                            seq_text(state.interval_first_seq) + ".." +
                            seq_text(state.next_seq - 1) + "): records were inserted");
        }
        if (checkpoint.chain_head != state.head ||
            checkpoint.merkle_root != m_merkle.root(state.pending_leaves)) {
            return fail(AuditFinding::Edited, checkpoint.first_seq, m_last_location,
                        "records " + seq_text(checkpoint.first_seq) + ".." +
                            seq_text(checkpoint.last_seq) +
                            " do not match the chain head and "
                            "Merkle root " +
                            name + " signed: they were rewritten after signing");
        }
        if (checkpoint.prev_checkpoint != state.prev_checkpoint || checkpoint.node != state.node) {
            return fail(AuditFinding::Edited, checkpoint.first_seq, m_last_location,
                        name + " does not link to the previous checkpoint or names another node");
        }
        if (checkpoint.timestamp_ns < state.last_timestamp_ns) {
            return fail(AuditFinding::TimestampRegression, checkpoint.last_seq, m_last_location,
                        name + " is dated before its last record");
        }
        accept_checkpoint(std::move(*parsed));
        return true;
    }

    void accept_checkpoint(SignedCheckpoint checkpoint) {
        AuditChainState& state = m_report.state;
        state.checkpoints = checkpoint.checkpoint.index;
        state.prev_checkpoint = sha256(checkpoint.body);
        state.pending_leaves.clear();
        state.interval_first_seq = state.next_seq;
        state.last_timestamp_ns =
            std::max(state.last_timestamp_ns, checkpoint.checkpoint.timestamp_ns);
        m_local_checkpoints[checkpoint.checkpoint.index] = checkpoint.fingerprint();
        state.last_checkpoint = std::move(checkpoint);
        m_last_frame_was_checkpoint = true;
        ++m_report.checkpoints;
    }

    bool on_anchor(const Frame& frame) {
        AuditChainState& state = m_report.state;
        auto parsed = signed_checkpoint_from_frame(frame);
        if (!parsed) return checkpoint_error(parsed.error());
        const Checkpoint& checkpoint = parsed->checkpoint;
        if (m_started) {
            // A continuation: the anchor repeats the checkpoint that closed the last segment.
            if (!state.last_checkpoint ||
                parsed->fingerprint() != state.last_checkpoint->fingerprint()) {
                return fail(AuditFinding::Deleted, state.next_seq, m_last_location,
                            "the segment starts at checkpoint #" +
                                std::to_string(checkpoint.index) +
                                ", but the previous segment ended at checkpoint #" +
                                std::to_string(state.checkpoints) + ": segments are missing");
            }
            return true;
        }
        // The oldest segments were archived: trust starts at this signed checkpoint.
        auto key = Ed25519PublicKey::from_bytes(checkpoint.key);
        if (!key) return checkpoint_error(key.error());
        if (!adopt_key(*key, checkpoint.last_seq, "the anchor checkpoint")) return false;
        if (!parsed->verify(*m_log_key)) {
            return fail(AuditFinding::BadSignature, checkpoint.last_seq, m_last_location,
                        "the anchor checkpoint's signature does not verify");
        }
        state.next_seq = checkpoint.last_seq + 1;
        state.head = checkpoint.chain_head;
        state.last_timestamp_ns = checkpoint.timestamp_ns;
        state.node = checkpoint.node;
        state.checkpoints = checkpoint.index - 1;
        state.prev_checkpoint = checkpoint.prev_checkpoint;
        state.interval_first_seq = state.next_seq;
        m_report.first_seq = state.next_seq;
        m_started = true;
        accept_checkpoint(std::move(*parsed));
        --m_report.checkpoints;  // The anchor vouches for archived records; it is not counted.
        return true;
    }

    bool check_exports() {
        const AuditChainState& state = m_report.state;
        std::vector<const SignedCheckpoint*> exported;
        for (const auto& checkpoint : m_options.exported)
            exported.push_back(&checkpoint);
        std::sort(exported.begin(), exported.end(), [](const auto* a, const auto* b) {
            return a->checkpoint.index < b->checkpoint.index;
        });
        for (const SignedCheckpoint* copy : exported) {
            const Checkpoint& checkpoint = copy->checkpoint;
            const std::string name = "exported checkpoint #" + std::to_string(checkpoint.index);
            const Ed25519PublicKey* key = m_options.trusted_key ? &*m_options.trusted_key
                                          : m_log_key           ? &*m_log_key
                                                                : nullptr;
            if (key == nullptr || !copy->verify(*key)) {
                return fail(AuditFinding::BadSignature, checkpoint.last_seq, "exported checkpoints",
                            name + ": the signature does not verify with the log's key");
            }
            ++m_report.exported_checked;
            auto local = m_local_checkpoints.find(checkpoint.index);
            if (local != m_local_checkpoints.end()) {
                if (local->second != copy->fingerprint()) {
                    return fail(AuditFinding::Rewritten, checkpoint.first_seq,
                                "checkpoint #" + std::to_string(checkpoint.index),
                                "the local checkpoint #" + std::to_string(checkpoint.index) +
                                    " differs from the exported copy: the log was rewritten and "
                                    "re-signed on the node");
                }
            } else if (checkpoint.index > state.checkpoints) {
                return fail(AuditFinding::Truncated, state.next_seq, m_last_location,
                            name + " covers records up to " + seq_text(checkpoint.last_seq) +
                                ", but the log ends at record " + seq_text(state.next_seq - 1) +
                                ": it was truncated");
            }
        }
        return true;
    }

    const AuditVerifyOptions& m_options;
    AuditVerifyReport m_report;
    std::optional<Ed25519PublicKey> m_log_key;
    bool m_started = false;
    bool m_last_frame_was_checkpoint = false;
    Digest m_last_prev{};
    std::string m_last_location;
    std::map<u64, Digest> m_local_checkpoints;  // Index -> fingerprint.
    MerkleHasher m_merkle;
};

}  // namespace

std::string_view finding_name(AuditFinding finding) {
    switch (finding) {
        case AuditFinding::Ok:
            return "ok";
        case AuditFinding::Malformed:
            return "malformed";
        case AuditFinding::UnsupportedVersion:
            return "unsupported version";
        case AuditFinding::Edited:
            return "edited";
        case AuditFinding::Deleted:
            return "deleted";
        case AuditFinding::Inserted:
            return "inserted";
        case AuditFinding::Reordered:
            return "reordered";
        case AuditFinding::Truncated:
            return "truncated";
        case AuditFinding::TimestampRegression:
            return "timestamp regression";
        case AuditFinding::BadSignature:
            return "bad signature";
        case AuditFinding::WrongKey:
            return "wrong key";
        case AuditFinding::Rewritten:
            return "rewritten";
    }
    return "unknown";
}

std::string AuditVerifyReport::summary() const {
    if (!ok()) {
        std::string line = "BAD (" + std::string(finding_name(finding)) + "): ";
        if (bad_seq) line += "record " + std::to_string(*bad_seq) + ", ";
        if (!location.empty()) line += location + ": ";
        return line + reason;
    }
    std::string line = "OK: " + std::to_string(records) + " records";
    if (records > 0) {
        line +=
            " (seq " + std::to_string(first_seq) + ".." + std::to_string(state.next_seq - 1) + ")";
    }
    line += ", " + std::to_string(checkpoints) + " checkpoints, " + std::to_string(segments) +
            (segments == 1 ? " segment" : " segments");
    if (exported_checked > 0) {
        line += ", " + std::to_string(exported_checked) + " exported checkpoints match";
    }
    if (first_seq > 0) line += "; verified from an anchor checkpoint (older records archived)";
    if (open_tail_records > 0) {
        line += "; " + std::to_string(open_tail_records) + " records after the last checkpoint";
    }
    if (!key_pinned) line += "; key not pinned (pass --key to check who signed)";
    return line;
}

Result<AuditVerifyReport> verify_audit_log(const std::string& path,
                                           const AuditVerifyOptions& options) {
    std::error_code error;
    std::vector<std::string> segments;
    if (std::filesystem::is_directory(path, error)) {
        segments = ESTA_TRY(list_segments(path));
        if (segments.empty()) return Err(Status::NotFound, "audit.no_segments");
    } else if (std::filesystem::exists(path, error)) {
        segments.push_back(path);
    } else {
        return Err(Status::NotFound, "audit.path");
    }
    return Verifier(options).run(segments);
}

Result<std::vector<SignedCheckpoint>> read_exported_checkpoints(const std::string& path) {
    FrameFile file = ESTA_TRY(FrameFile::read(path, AuditFileType::CheckpointExport));
    std::vector<SignedCheckpoint> checkpoints;
    for (;;) {
        auto frame = ESTA_TRY(file.next());
        if (!frame) break;
        if (frame->kind != FrameKind::Checkpoint) {
            return Err(Status::Malformed, "audit.export_frame", {.offset = frame->offset});
        }
        checkpoints.push_back(ESTA_TRY(signed_checkpoint_from_frame(*frame)));
    }
    return checkpoints;
}

}  // namespace esta::observe
