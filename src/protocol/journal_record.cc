#include "protocol/journal_record.h"

#include "protocol/byte_writer.h"
#include "protocol/frame.h"

namespace esta::protocol {

namespace {
// sequence, stream, stream_sequence, type, time, data length.
constexpr std::size_t kRecordFixedBytes = 8 + 8 + 8 + 1 + 8 + 4;
}  // namespace

void append_segment_header(std::vector<u8>& out, const SegmentHeader& header) {
    const std::size_t start = begin_frame(out, FrameKind::SegmentHeader);
    ByteWriter writer(out);
    writer.put_u32(header.format_version);
    writer.put_u64(header.first_sequence);
    finish_frame(out, start);
}

void append_record(std::vector<u8>& out, const JournalRecord& record) {
    const std::size_t start = begin_frame(out, FrameKind::JournalRecord);
    ByteWriter writer(out);
    writer.put_u64(record.sequence);
    writer.put_u64(record.stream.value());
    writer.put_u64(record.stream_sequence);
    writer.put_u8(u8(record.type));
    writer.put_i64(record.time);
    writer.put_blob(ByteSpan(record.data));
    finish_frame(out, start);
}

std::size_t record_frame_size(std::size_t data_size) {
    return kFrameHeaderBytes + kRecordFixedBytes + data_size;
}

Result<SegmentHeader> decode_segment_header(ByteSpan body) {
    ByteReader reader(body, kFrameHeaderBytes);
    SegmentHeader header;
    header.format_version = ESTA_TRY(reader.read_u32_le());
    if (header.format_version == 0) return Err(Status::Malformed, "journal.version_zero");
    if (header.format_version > kJournalFormatVersion) {
        return Err(Status::NotSupported, "journal.version_unsupported",
                   Detail{.limit = kJournalFormatVersion, .actual = header.format_version});
    }
    header.first_sequence = ESTA_TRY(reader.read_u64_le());
    if (header.first_sequence == 0 || !reader.at_end()) {
        return Err(Status::Malformed, "journal.bad_segment_header");
    }
    return header;
}

Result<JournalRecord> decode_record(ByteSpan body) {
    ByteReader reader(body, kFrameHeaderBytes);
    JournalRecord record;
    record.sequence = ESTA_TRY(reader.read_u64_le());
    record.stream = StreamId(ESTA_TRY(reader.read_u64_le()));
    record.stream_sequence = ESTA_TRY(reader.read_u64_le());
    const u8 type = ESTA_TRY(reader.read_u8());
    if (type == 0 || type > kMaxRecordType) {
        return Err(Status::Malformed, "journal.bad_record_type", Detail{.actual = type});
    }
    record.type = static_cast<RecordType>(type);
    record.time = ESTA_TRY(reader.read_le<i64>());
    const u32 size = ESTA_TRY(reader.read_u32_le());
    const ByteSpan data = ESTA_TRY(reader.read_bytes(size));
    record.data.assign(data.begin(), data.end());
    if (!reader.at_end()) return Err(Status::Malformed, "journal.trailing_bytes");
    return record;
}

}  // namespace esta::protocol
