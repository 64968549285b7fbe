#include "observe/audit_log.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "observe/audit_verify.h"
#include "observe/merkle.h"

namespace esta::observe {

AuditLog::AuditLog(Passkey, AuditLogOptions options, Ed25519PrivateKey key, const Clock& clock,
                   std::unique_ptr<CheckpointExporter> exporter)
    : m_options(std::move(options)),
      m_key(std::move(key)),
      m_clock(clock),
      m_exporter(std::move(exporter)) {}

namespace {

// The one-writer lock: held for as long as the descriptor stays open (the OS drops it when
// the process dies, so a crashed node never leaves its log locked).
Result<UniqueFd> lock_directory(const std::string& directory) {
    const std::string path = (std::filesystem::path(directory) / kAuditLockFile).string();
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd.valid()) return Err(Status::IoError, "audit.lock_file");
    if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
        if (errno == EWOULDBLOCK) return Err(Status::Unavailable, "audit.in_use");
        return Err(Status::IoError, "audit.lock_file");
    }
    return fd;
}

}  // namespace

Result<std::unique_ptr<AuditLog>> AuditLog::open(AuditLogOptions options, Ed25519PrivateKey key,
                                                 const Clock& clock,
                                                 std::unique_ptr<CheckpointExporter> exporter) {
    if (options.checkpoint_every == 0 || options.node.empty() || options.directory.empty()) {
        return Err(Status::Invalid, "audit.options");
    }
    std::error_code error;
    std::filesystem::create_directories(options.directory, error);
    if (error) return Err(Status::IoError, "audit.create_directory");
    auto log = std::make_unique<AuditLog>(Passkey{}, std::move(options), std::move(key), clock,
                                          std::move(exporter));
    std::lock_guard lock(log->m_mutex);
    log->m_lock = ESTA_TRY(lock_directory(log->m_options.directory));
    const auto segments = ESTA_TRY(list_segments(log->m_options.directory));
    if (segments.empty()) {
        ESTA_TRY(log->create_locked());
    } else {
        ESTA_TRY(log->recover_locked());
    }
    return log;
}

AuditLog::~AuditLog() {
    // A destructor cannot report; callers that care call close() themselves.
    (void)close();
}

Result<void> AuditLog::create_locked() {
    ESTA_TRY(open_segment_locked(0, nullptr));
    const i64 now = m_clock.now_ns();
    const auto body = make_genesis_body(m_options.node, m_key.public_key().bytes(),
                                        m_options.checkpoint_every, now);
    m_last_timestamp_ns = now;
    return write_record_locked(body);
}

Result<void> AuditLog::recover_locked() {
    AuditVerifyOptions verify_options;
    verify_options.trusted_key = m_key.public_key();
    verify_options.allow_open_tail = true;
    const auto segments = ESTA_TRY(list_segments(m_options.directory));
    AuditVerifyReport report = ESTA_TRY(verify_audit_log(m_options.directory, verify_options));
    std::optional<u64> cut_bytes;
    if (report.torn_frame && report.torn_frame->path == segments.back()) {
        // A crash in the middle of a write left a partial last frame. It was never part of
        // the chain, so it is cut off (and the cut is audited below); anything else wrong
        // with the log is for a human to look at.
        std::error_code error;
        const u64 size = std::filesystem::file_size(segments.back(), error);
        if (!error) std::filesystem::resize_file(segments.back(), report.torn_frame->offset, error);
        if (error) return Err(Status::IoError, "audit.cut_torn_frame");
        cut_bytes = size - report.torn_frame->offset;
        report = ESTA_TRY(verify_audit_log(m_options.directory, verify_options));
    }
    if (!report.ok()) return Err(Status::Corrupt, "audit.reopen_verify");
    const AuditChainState& state = report.state;
    // The log keeps the node name its genesis gave it; checkpoints must repeat it.
    m_options.node = state.node;
    m_next_seq = state.next_seq;
    m_head = state.head;
    m_last_timestamp_ns = state.last_timestamp_ns;
    m_interval_first_seq = state.interval_first_seq;
    m_pending_leaves = state.pending_leaves;
    m_checkpoints = state.checkpoints;
    m_prev_checkpoint = state.prev_checkpoint;
    m_segment = ESTA_TRY(open_append(segments.back(), 0640));
    struct stat info {};
    if (::fstat(m_segment.get(), &info) != 0) return Err(Status::IoError, "audit.stat");
    m_segment_bytes = static_cast<u64>(info.st_size);
    if (cut_bytes) {
        Value::Map data;
        data["segment"] = Value::text(std::filesystem::path(segments.back()).filename().string());
        data["cut_bytes"] = Value::integer(static_cast<i64>(*cut_bytes));
        ESTA_TRY(append_locked("audit.torn_frame_removed", data));
    }
    return Ok();
}

Result<void> AuditLog::open_segment_locked(u64 first_seq, const SignedCheckpoint* anchor) {
    const std::string path =
        (std::filesystem::path(m_options.directory) / segment_file_name(first_seq)).string();
    UniqueFd fd = ESTA_TRY(open_append(path, 0640));
    std::vector<u8> start;
    append_file_header(start, AuditFileType::Segment);
    if (anchor != nullptr) append_frame(start, FrameKind::Anchor, anchor->body, anchor->signature);
    ESTA_TRY(write_all(fd.get(), start));
    ESTA_TRY(sync_file(fd.get()));
    m_segment = std::move(fd);
    m_segment_bytes = start.size();
    return Ok();
}

Result<void> AuditLog::write_record_locked(ByteSpan body) {
    const Digest hash = sha256(body);
    m_frame.clear();
    append_frame(m_frame, FrameKind::Record, body, hash);
    ESTA_TRY(write_all(m_segment.get(), m_frame));
    if (m_options.durability == AuditDurability::SyncEachRecord) {
        ESTA_TRY(sync_file(m_segment.get()));
    }
    // The record is on disk: only now does the in-memory chain move.
    m_segment_bytes += m_frame.size();
    m_head = hash;
    m_pending_leaves.push_back(m_merkle.leaf(body));
    ++m_next_seq;
    if (m_pending_leaves.size() >= m_options.checkpoint_every) {
        return checkpoint_locked(CheckpointReason::Interval);
    }
    return Ok();
}

namespace {

// What decode_value will accept back: valid UTF-8 everywhere, no floats, and nesting that
// leaves room for the record's own two levels (record map, data map).
bool is_utf8(std::string_view text) {
    return is_valid_utf8(ByteSpan(reinterpret_cast<const u8*>(text.data()), text.size()));
}

bool auditable(const Value& value, u32 depth) {
    constexpr u32 kMaxDataDepth = DecodeLimits{}.max_depth - 2;
    if (depth > kMaxDataDepth || value.kind() == ValueKind::F64) return false;
    if (const auto* text = value.as_text()) return is_utf8(*text);
    if (const auto* items = value.as_list()) {
        for (const Value& item : *items) {
            if (!auditable(item, depth + 1)) return false;
        }
    }
    if (const auto* entries = value.as_map()) {
        for (const auto& [key, item] : *entries) {
            if (!is_utf8(key) || !auditable(item, depth + 1)) return false;
        }
    }
    return true;
}

}  // namespace

Result<u64> AuditLog::append(std::string_view event, const Value::Map& data) {
    bool ok = is_utf8(event);
    for (const auto& [key, value] : data)
        ok = ok && is_utf8(key) && auditable(value, 0);
    if (!ok) return Err(Status::Invalid, "audit.record_not_canonical");
    std::lock_guard lock(m_mutex);
    if (m_closed) return Err(Status::ShuttingDown, "audit.append_after_close");
    return append_locked(event, data);
}

Result<u64> AuditLog::append_locked(std::string_view event, const Value::Map& data) {
    const i64 now = m_clock.now_ns();
    if (now < m_last_timestamp_ns) {
        // Refused rather than clamped: a clock that steps back is a fault to surface.
        return Err(
            Status::Invalid, "audit.timestamp_regression",
            {.limit = static_cast<u64>(m_last_timestamp_ns), .actual = static_cast<u64>(now)});
    }
    const u64 seq = m_next_seq;
    const auto body = make_event_body(seq, now, event, data, m_head);
    if (body.size() > kMaxFrameBody) return Err(Status::PayloadTooLarge, "audit.record_size");
    m_last_timestamp_ns = now;
    ESTA_TRY(write_record_locked(body));
    return seq;
}

Result<void> AuditLog::checkpoint_locked(CheckpointReason reason) {
    if (m_pending_leaves.empty()) return Ok();
    Checkpoint checkpoint;
    checkpoint.index = m_checkpoints + 1;
    checkpoint.first_seq = m_interval_first_seq;
    checkpoint.last_seq = m_next_seq - 1;
    checkpoint.merkle_root = m_merkle.root(m_pending_leaves);
    checkpoint.chain_head = m_head;
    checkpoint.prev_checkpoint = m_prev_checkpoint;
    checkpoint.timestamp_ns = std::max(m_clock.now_ns(), m_last_timestamp_ns);
    checkpoint.node = m_options.node;
    checkpoint.key = m_key.public_key().bytes();
    checkpoint.reason = std::string(checkpoint_reason_name(reason));

    SignedCheckpoint signed_checkpoint;
    signed_checkpoint.body = encode_checkpoint(checkpoint);
    signed_checkpoint.signature =
        ESTA_TRY(m_key.sign(checkpoint_signing_message(signed_checkpoint.body)));
    signed_checkpoint.checkpoint = std::move(checkpoint);

    m_frame.clear();
    append_frame(m_frame, FrameKind::Checkpoint, signed_checkpoint.body,
                 signed_checkpoint.signature);
    ESTA_TRY(write_all(m_segment.get(), m_frame));
    ESTA_TRY(sync_file(m_segment.get()));
    m_segment_bytes += m_frame.size();
    m_checkpoints = signed_checkpoint.checkpoint.index;
    m_prev_checkpoint = sha256(signed_checkpoint.body);
    m_last_timestamp_ns = signed_checkpoint.checkpoint.timestamp_ns;
    m_pending_leaves.clear();
    m_interval_first_seq = m_next_seq;

    // (1) the checkpoint is durable locally; (2) ship it off the node; (3) roll the segment.
    Result<void> exported = m_exporter ? m_exporter->export_checkpoint(signed_checkpoint) : Ok();
    if (m_segment_bytes >= m_options.segment_max_bytes && reason != CheckpointReason::Shutdown) {
        ESTA_TRY(open_segment_locked(m_next_seq, &signed_checkpoint));
    }
    return exported;
}

Result<void> AuditLog::checkpoint() {
    std::lock_guard lock(m_mutex);
    if (m_closed) return Err(Status::ShuttingDown, "audit.checkpoint_after_close");
    return checkpoint_locked(CheckpointReason::Explicit);
}

Result<void> AuditLog::close() {
    std::lock_guard lock(m_mutex);
    if (m_closed) return Ok();
    m_closed = true;
    Result<void> result = checkpoint_locked(CheckpointReason::Shutdown);
    m_segment.reset();
    m_lock.reset();
    return result;
}

u64 AuditLog::next_seq() const {
    std::lock_guard lock(m_mutex);
    return m_next_seq;
}

u64 AuditLog::checkpoint_count() const {
    std::lock_guard lock(m_mutex);
    return m_checkpoints;
}

}  // namespace esta::observe
