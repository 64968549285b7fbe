#include "observe/audit_format.h"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <filesystem>

#include "observe/file_io.h"

namespace esta::observe {

namespace {

constexpr char kSegmentMagic[8] = {'E', 'S', 'T', 'A', 'A', 'U', 'D', 'T'};
constexpr char kExportMagic[8] = {'E', 'S', 'T', 'A', 'C', 'K', 'P', 'T'};

const char* magic_for(AuditFileType type) {
    return type == AuditFileType::Segment ? kSegmentMagic : kExportMagic;
}

void put_u32(std::vector<u8>& out, u32 value) {
    for (int i = 0; i < 4; ++i)
        out.push_back(static_cast<u8>(value >> (8 * i)));
}

Value digest_value(const Digest& digest) {
    return Value::bytes(digest);
}

Result<Digest> read_digest(const Value& map, const char* key, const char* context) {
    const Value* field = map.find(key);
    const auto* bytes = field ? field->as_bytes() : nullptr;
    if (bytes == nullptr || bytes->data.size() != Digest{}.size()) {
        return Err(Status::Malformed, context);
    }
    Digest digest{};
    std::copy(bytes->data.begin(), bytes->data.end(), digest.begin());
    return digest;
}

Result<u64> read_count(const Value& map, const char* key, const char* context) {
    const Value* field = map.find(key);
    const i64* number = field ? field->as_i64() : nullptr;
    if (number == nullptr || *number < 0) return Err(Status::Malformed, context);
    return static_cast<u64>(*number);
}

Result<i64> read_time(const Value& map, const char* key, const char* context) {
    const Value* field = map.find(key);
    const auto* time = field ? field->as_timestamp() : nullptr;
    if (time == nullptr) return Err(Status::Malformed, context);
    return time->ns;
}

Result<std::string> read_text(const Value& map, const char* key, const char* context) {
    const Value* field = map.find(key);
    const std::string* text = field ? field->as_text() : nullptr;
    if (text == nullptr) return Err(Status::Malformed, context);
    return *text;
}

Result<Value> decode_map(ByteSpan body) {
    Value value = ESTA_TRY(decode_value(body, {.max_depth = 32, .allow_floats = false}));
    if (value.as_map() == nullptr) return Err(Status::Malformed, "audit.body_not_map");
    return value;
}

}  // namespace

std::size_t frame_trailer_size(FrameKind kind) {
    return kind == FrameKind::Record ? Digest{}.size() : Signature{}.size();
}

void append_file_header(std::vector<u8>& out, AuditFileType type) {
    const char* magic = magic_for(type);
    out.insert(out.end(), magic, magic + 8);
    put_u32(out, kAuditFormatVersion);
}

void append_frame(std::vector<u8>& out, FrameKind kind, ByteSpan body, ByteSpan trailer) {
    ESTA_ASSERT(body.size() <= kMaxFrameBody && trailer.size() == frame_trailer_size(kind));
    out.push_back(static_cast<u8>(kind));
    put_u32(out, static_cast<u32>(body.size()));
    out.insert(out.end(), body.begin(), body.end());
    out.insert(out.end(), trailer.begin(), trailer.end());
}

Result<FrameFile> FrameFile::read(const std::string& path, AuditFileType type) {
    std::vector<u8> bytes = ESTA_TRY(read_whole_file(path));
    return from_bytes(std::move(bytes), path, type);
}

Result<FrameFile> FrameFile::from_bytes(std::vector<u8> bytes, std::string name,
                                        AuditFileType type) {
    if (bytes.size() < kFileHeaderSize || std::memcmp(bytes.data(), magic_for(type), 8) != 0) {
        return Err(Status::Malformed, "audit.file_magic");
    }
    ByteReader reader(ByteSpan(bytes).subspan(8, 4));
    const u32 version = *reader.read_u32_le();
    if (version == 0 || version > kAuditFormatVersion) {
        return Err(Status::NotSupported, "audit.format_version",
                   {.limit = kAuditFormatVersion, .actual = version});
    }
    return FrameFile(std::move(bytes), std::move(name));
}

Result<std::optional<Frame>> FrameFile::next() {
    if (m_cursor == m_bytes.size()) return std::optional<Frame>();
    ByteReader reader(ByteSpan(m_bytes).subspan(m_cursor), m_cursor);
    const u64 offset = m_cursor;
    const u8 kind = ESTA_TRY(reader.read_u8());
    if (kind < 1 || kind > 3) return Err(Status::Malformed, "audit.frame_kind", {.offset = offset});
    const u32 length = ESTA_TRY(reader.read_u32_le());
    if (length > kMaxFrameBody) {
        return Err(Status::Malformed, "audit.frame_length", {.offset = offset, .actual = length});
    }
    Frame frame;
    frame.kind = static_cast<FrameKind>(kind);
    frame.offset = offset;
    auto body = reader.read_bytes(length);
    auto trailer = body ? reader.read_bytes(frame_trailer_size(frame.kind)) : body;
    if (!body || !trailer) {
        return Err(Status::Malformed, "audit.frame_torn", {.offset = offset});
    }
    frame.body = *body;
    frame.trailer = *trailer;
    m_cursor = reader.offset();
    return std::optional<Frame>(frame);
}

Result<RecordView> parse_record(ByteSpan body) {
    RecordView view;
    view.body = ESTA_TRY(decode_map(body));
    view.version = ESTA_TRY(read_count(view.body, "v", "audit.record_v"));
    view.seq = ESTA_TRY(read_count(view.body, "seq", "audit.record_seq"));
    view.timestamp_ns = ESTA_TRY(read_time(view.body, "ts", "audit.record_ts"));
    view.kind = ESTA_TRY(read_text(view.body, "kind", "audit.record_kind"));
    view.prev = ESTA_TRY(read_digest(view.body, "prev", "audit.record_prev"));
    return view;
}

std::vector<u8> make_genesis_body(std::string_view node, const PublicKeyBytes& key,
                                  u64 checkpoint_every, i64 timestamp_ns) {
    Value::Map fields;
    fields["v"] = Value::integer(kAuditFormatVersion);
    fields["seq"] = Value::integer(0);
    fields["ts"] = Value::timestamp(timestamp_ns);
    fields["kind"] = Value::text("genesis");
    fields["node"] = Value::text(std::string(node));
    fields["key"] = Value::bytes(key);
    fields["alg"] = Value::text("sha256+ed25519");
    fields["checkpoint_every"] = Value::integer(static_cast<i64>(checkpoint_every));
    fields["prev"] = digest_value(Digest{});
    return encode_value(Value::map(std::move(fields)));
}

std::vector<u8> make_event_body(u64 seq, i64 timestamp_ns, std::string_view event,
                                const Value::Map& data, const Digest& prev) {
    Value::Map fields;
    fields["v"] = Value::integer(kAuditFormatVersion);
    fields["seq"] = Value::integer(static_cast<i64>(seq));
    fields["ts"] = Value::timestamp(timestamp_ns);
    fields["kind"] = Value::text("event");
    fields["event"] = Value::text(std::string(event));
    fields["data"] = Value::map(data);
    fields["prev"] = digest_value(prev);
    return encode_value(Value::map(std::move(fields)));
}

std::string_view checkpoint_reason_name(CheckpointReason reason) {
    switch (reason) {
        case CheckpointReason::Interval:
            return "interval";
        case CheckpointReason::Shutdown:
            return "shutdown";
        case CheckpointReason::Explicit:
            return "explicit";
    }
    return "explicit";
}

std::vector<u8> encode_checkpoint(const Checkpoint& checkpoint) {
    Value::Map fields;
    fields["v"] = Value::integer(static_cast<i64>(checkpoint.version));
    fields["kind"] = Value::text("checkpoint");
    fields["index"] = Value::integer(static_cast<i64>(checkpoint.index));
    fields["first_seq"] = Value::integer(static_cast<i64>(checkpoint.first_seq));
    fields["last_seq"] = Value::integer(static_cast<i64>(checkpoint.last_seq));
    fields["tree_size"] = Value::integer(static_cast<i64>(checkpoint.tree_size()));
    fields["merkle_root"] = digest_value(checkpoint.merkle_root);
    fields["chain_head"] = digest_value(checkpoint.chain_head);
    fields["prev_checkpoint"] = digest_value(checkpoint.prev_checkpoint);
    fields["ts"] = Value::timestamp(checkpoint.timestamp_ns);
    fields["node"] = Value::text(checkpoint.node);
    fields["key"] = Value::bytes(checkpoint.key);
    fields["reason"] = Value::text(checkpoint.reason);
    return encode_value(Value::map(std::move(fields)));
}

Result<Checkpoint> parse_checkpoint(ByteSpan body) {
    const Value map = ESTA_TRY(decode_map(body));
    Checkpoint checkpoint;
    checkpoint.version = ESTA_TRY(read_count(map, "v", "audit.checkpoint_v"));
    if (checkpoint.version == 0 || checkpoint.version > kAuditFormatVersion) {
        return Err(Status::NotSupported, "audit.format_version",
                   {.limit = kAuditFormatVersion, .actual = checkpoint.version});
    }
    if (ESTA_TRY(read_text(map, "kind", "audit.checkpoint_kind")) != "checkpoint") {
        return Err(Status::Malformed, "audit.checkpoint_kind");
    }
    checkpoint.index = ESTA_TRY(read_count(map, "index", "audit.checkpoint_index"));
    checkpoint.first_seq = ESTA_TRY(read_count(map, "first_seq", "audit.checkpoint_first_seq"));
    checkpoint.last_seq = ESTA_TRY(read_count(map, "last_seq", "audit.checkpoint_last_seq"));
    const u64 tree_size = ESTA_TRY(read_count(map, "tree_size", "audit.checkpoint_tree_size"));
    if (checkpoint.last_seq < checkpoint.first_seq || tree_size != checkpoint.tree_size()) {
        return Err(Status::Malformed, "audit.checkpoint_range");
    }
    checkpoint.merkle_root = ESTA_TRY(read_digest(map, "merkle_root", "audit.checkpoint_root"));
    checkpoint.chain_head = ESTA_TRY(read_digest(map, "chain_head", "audit.checkpoint_head"));
    checkpoint.prev_checkpoint =
        ESTA_TRY(read_digest(map, "prev_checkpoint", "audit.checkpoint_prev"));
    checkpoint.timestamp_ns = ESTA_TRY(read_time(map, "ts", "audit.checkpoint_ts"));
    checkpoint.node = ESTA_TRY(read_text(map, "node", "audit.checkpoint_node"));
    const Digest key = ESTA_TRY(read_digest(map, "key", "audit.checkpoint_key"));
    std::copy(key.begin(), key.end(), checkpoint.key.begin());
    checkpoint.reason = ESTA_TRY(read_text(map, "reason", "audit.checkpoint_reason"));
    return checkpoint;
}

std::vector<u8> checkpoint_signing_message(ByteSpan body) {
    std::vector<u8> message(kCheckpointDomain.begin(), kCheckpointDomain.end());
    message.insert(message.end(), body.begin(), body.end());
    return message;
}

bool SignedCheckpoint::verify(const Ed25519PublicKey& key) const {
    return key.verify(checkpoint_signing_message(body), signature);
}

Digest SignedCheckpoint::fingerprint() const {
    Sha256 hasher;
    hasher.update(body);
    hasher.update(signature);
    return hasher.finish();
}

Result<SignedCheckpoint> signed_checkpoint_from_frame(const Frame& frame) {
    ESTA_ASSERT(frame.kind != FrameKind::Record);
    SignedCheckpoint signed_checkpoint;
    signed_checkpoint.checkpoint = ESTA_TRY(parse_checkpoint(frame.body));
    signed_checkpoint.body.assign(frame.body.begin(), frame.body.end());
    std::copy(frame.trailer.begin(), frame.trailer.end(), signed_checkpoint.signature.begin());
    return signed_checkpoint;
}

std::string segment_file_name(u64 first_seq) {
    char name[48];
    std::snprintf(name, sizeof name, "audit-%020llu.seg",
                  static_cast<unsigned long long>(first_seq));
    return name;
}

Result<std::vector<std::string>> list_segments(const std::string& directory) {
    std::error_code error;
    std::filesystem::directory_iterator it(directory, error);
    if (error) return Err(Status::NotFound, "audit.directory");
    std::vector<std::string> paths;
    for (const auto& entry : it) {
        const std::string name = entry.path().filename().string();
        if (name.size() == 30 && name.starts_with("audit-") && name.ends_with(".seg")) {
            paths.push_back(entry.path().string());
        }
    }
    std::sort(paths.begin(), paths.end());
    return paths;
}

}  // namespace esta::observe
