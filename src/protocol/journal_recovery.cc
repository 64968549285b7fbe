// Journal recovery (P-8): rebuild the index from the segment files, cut a torn tail, and
// refuse damage that a torn write cannot explain.
#include <algorithm>

#include "protocol/journal.h"

namespace esta::protocol {

namespace {

bool is_segment_name(const std::string& name) {
    return name.size() > 12 && name.starts_with("segment-") && name.ends_with(".wal");
}

// True when a checksum-valid record numbered after `last_sequence` starts anywhere at or
// after `from`. A torn write only damages the end of the file, so such a record means the
// damage sits before committed data: it is corruption, and cutting there would lose
// acknowledged records. Frames of other kinds (an envelope inside a record) do not count.
bool valid_record_after(ByteSpan bytes, std::size_t from, u64 last_sequence,
                        const FrameLimits& limits) {
    for (std::size_t at = from; at + kFrameHeaderBytes <= bytes.size(); ++at) {
        if (bytes[at] != kFrameMagic0 || bytes[at + 1] != kFrameMagic1) continue;
        auto frame = decode_frame(bytes.subspan(at), limits);
        if (!frame || frame->kind != FrameKind::JournalRecord) continue;
        auto record = decode_record(frame->body);
        if (record && record->sequence > last_sequence) return true;
    }
    return false;
}

}  // namespace

Result<void> Journal::recover() {
    ESTA_TRY(m_fs.create_directories(m_directory));
    std::vector<std::string> names = ESTA_TRY(m_fs.list_files(m_directory));
    names.erase(std::remove_if(names.begin(), names.end(),
                               [](const std::string& name) { return !is_segment_name(name); }),
                names.end());
    // Zero-padded first sequences: name order is sequence order.
    std::sort(names.begin(), names.end());
    for (std::size_t i = 0; i < names.size(); ++i) {
        m_segments.push_back(Segment{names[i], 0, 0, {}});
        ESTA_TRY(recover_segment(i, i + 1 == names.size()));
    }
    m_recovery.segments = m_segments.size();
    bump(m_counters.truncated_bytes, m_recovery.truncated_bytes);
    m_recovery.last_sequence = m_last_sequence;
    if (m_segments.empty()) {
        ESTA_TRY(start_segment(m_last_sequence + 1));
    } else {
        m_active = ESTA_TRY(m_fs.open_append(segment_path(m_segments.back())));
    }
    m_written_sequence = m_last_sequence;
    m_committed_sequence = m_last_sequence;
    m_last_sync = m_clock.now_ns();
    return Ok();
}

Result<void> Journal::recover_segment(std::size_t index, bool is_last) {
    const std::string path = segment_path(m_segments.back());
    const std::vector<u8> bytes = ESTA_TRY(m_fs.read_file(path));
    const ByteSpan all(bytes);
    auto corrupt = [&](u64 offset) {
        return Err(Status::Corrupt, "journal.corrupt_segment",
                   Detail{.index = index, .offset = offset});
    };

    auto header_frame = decode_frame(all, m_options.limits);
    if (!header_frame || header_frame->kind != FrameKind::SegmentHeader) {
        // A crash between creating the file and syncing its header leaves a short or empty
        // last segment: nothing in it was ever acknowledged.
        if (is_last && !valid_record_after(all, 0, m_last_sequence, m_options.limits)) {
            ESTA_TRY(m_fs.remove_file(path));
            ESTA_TRY(m_fs.sync_directory(m_directory));
            m_recovery.removed_empty_segment = true;
            m_recovery.truncated_bytes += bytes.size();
            m_recovery.truncated_segment = m_segments.back().name;
            m_recovery.truncation_reason =
                header_frame ? "journal.bad_segment_header" : header_frame.error().context;
            m_segments.pop_back();
            return Ok();
        }
        return corrupt(0);
    }
    const SegmentHeader header = ESTA_TRY(decode_segment_header(header_frame->body));
    if (index == 0) {
        // Retention may have removed older segments: the first one sets the start.
        m_last_sequence = header.first_sequence - 1;
    } else if (header.first_sequence != m_last_sequence + 1) {
        return Err(
            Status::Corrupt, "journal.sequence_gap",
            Detail{.index = index, .limit = m_last_sequence + 1, .actual = header.first_sequence});
    }
    Segment& segment = m_segments.back();
    segment.first_sequence = header.first_sequence;
    segment.last_sequence = header.first_sequence - 1;

    std::size_t offset = header_frame->size;
    while (offset < bytes.size()) {
        auto frame = decode_frame(all.subspan(offset), m_options.limits);
        if (!frame) {
            if (!is_last ||
                valid_record_after(all, offset + 1, m_last_sequence, m_options.limits)) {
                return corrupt(offset);
            }
            // (3) A torn tail: cut it, and make the cut durable before accepting appends.
            auto file = ESTA_TRY(m_fs.open_append(path));
            ESTA_TRY(file->truncate(offset));
            ESTA_TRY(file->sync());
            m_recovery.truncated_bytes += bytes.size() - offset;
            m_recovery.truncated_segment = segment.name;
            m_recovery.truncation_reason = frame.error().context;
            break;
        }
        // A frame with a valid checksum but the wrong contents was written that way: that
        // is not a torn write, so it is refused rather than cut.
        if (frame->kind != FrameKind::JournalRecord) return corrupt(offset);
        auto record = decode_record(frame->body);
        if (!record || record->sequence != m_last_sequence + 1) return corrupt(offset);
        index_record(*record, offset);
        ++m_recovery.records;
        offset += frame->size;
    }
    return Ok();
}

}  // namespace esta::protocol
