#include "protocol/journal.h"

#include <algorithm>
#include <cstdio>

namespace esta::protocol {

ESTA_COUNTER(kJournalRecords, "protocol.journal_records", "Records appended to the journal.");
ESTA_COUNTER(kJournalBytes, "protocol.journal_bytes", "Bytes written to journal segments.");
ESTA_COUNTER(kJournalFsyncs, "protocol.journal_fsyncs", "Journal fsyncs (one per commit).");
ESTA_COUNTER(kJournalWriteErrors, "protocol.journal_write_errors",
             "Journal writes or fsyncs that failed and stopped the journal (a full disk).");
ESTA_COUNTER(kJournalTruncatedBytes, "protocol.journal_truncated_bytes",
             "Torn-tail bytes cut by journal recovery.");

namespace {

// Zero-padded so that name order is sequence order.
std::string segment_name(u64 first_sequence) {
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "segment-%020llu.wal",
                  static_cast<unsigned long long>(first_sequence));
    return buffer;
}

}  // namespace

Journal::Journal(Key, FileSystem& fs, std::string directory, const Clock& clock,
                 JournalOptions options)
    : m_fs(fs), m_directory(std::move(directory)), m_clock(clock), m_options(options) {
    if (options.metrics != nullptr) {
        observe::MetricsRegistry& metrics = *options.metrics;
        m_counters =
            Counters{&metrics.counter(kJournalRecords), &metrics.counter(kJournalBytes),
                     &metrics.counter(kJournalFsyncs), &metrics.counter(kJournalWriteErrors),
                     &metrics.counter(kJournalTruncatedBytes)};
    }
}

Result<std::unique_ptr<Journal>> Journal::open(FileSystem& fs, std::string directory,
                                               const Clock& clock, JournalOptions options) {
    if (options.batch_records == 0 || options.interval <= 0 || options.max_segment_bytes < 256) {
        return Err(Status::InvalidArgs, "journal.bad_options");
    }
    auto journal = std::make_unique<Journal>(Key{}, fs, std::move(directory), clock, options);
    ESTA_TRY(journal->recover());
    return journal;
}

std::string Journal::segment_path(const Segment& segment) const {
    return join_path(m_directory, segment.name);
}

u64 Journal::first_sequence() const {
    return m_segments.empty() ? 1 : m_segments.front().first_sequence;
}

Error Journal::stop(Error error) {
    if (!m_stopped) {
        m_stopped = error;
        bump(m_counters.write_errors);
    }
    return error;
}

void Journal::index_record(const JournalRecord& record, u64 offset) {
    Segment& segment = m_segments.back();
    segment.offsets.push_back(offset);
    segment.last_sequence = record.sequence;
    StreamState& stream = m_streams[record.stream.value()];
    stream.records.emplace_back(record.stream_sequence, record.sequence);
    stream.next_stream_sequence = record.stream_sequence + 1;
    if (record.type == RecordType::Checkpoint) stream.last_checkpoint = record.sequence;
    m_last_sequence = record.sequence;
}

Result<void> Journal::start_segment(u64 first_sequence) {
    Segment segment{segment_name(first_sequence), first_sequence, first_sequence - 1, {}};
    auto file = ESTA_TRY(m_fs.open_append(segment_path(segment)));
    if (file->size() != 0) return stop(Err(Status::Corrupt, "journal.segment_exists"));
    std::vector<u8> header;
    append_segment_header(header, SegmentHeader{kJournalFormatVersion, first_sequence});
    // (1) header on disk, (2) the directory entry on disk: only then does the segment
    // exist for recovery, so a crash in between leaves at most an empty file.
    if (auto written = file->append(ByteSpan(header)); !written) return stop(written.error());
    if (auto synced = file->sync(); !synced) return stop(synced.error());
    if (auto synced = m_fs.sync_directory(m_directory); !synced) return stop(synced.error());
    m_segments.push_back(std::move(segment));
    m_active = std::move(file);
    return Ok();
}

Result<void> Journal::write_bytes(ByteSpan bytes) {
    const u64 before = m_active->size();
    if (auto written = m_active->append(bytes); !written) {
        // Cut a partial write away so the file ends on a record boundary; whatever was
        // acknowledged before lies below `before` and is untouched.
        (void)m_active->truncate(before);
        return stop(written.error());
    }
    bump(m_counters.bytes, bytes.size());
    return Ok();
}

void Journal::forget_unwritten() {
    // After a failed group write, the index must not point at records that never reached
    // the file.
    Segment& segment = m_segments.back();
    while (segment.last_sequence > m_written_sequence) {
        segment.offsets.pop_back();
        --segment.last_sequence;
    }
    for (auto& [id, stream] : m_streams) {
        while (!stream.records.empty() && stream.records.back().second > m_written_sequence) {
            stream.next_stream_sequence = stream.records.back().first;
            stream.records.pop_back();
        }
        if (stream.last_checkpoint && *stream.last_checkpoint > m_written_sequence) {
            stream.last_checkpoint.reset();
        }
    }
    m_last_sequence = m_written_sequence;
    m_pending.clear();
    m_pending_records = 0;
}

Result<void> Journal::flush_pending() {
    if (m_pending.empty()) return Ok();
    if (auto written = write_bytes(ByteSpan(m_pending)); !written) {
        forget_unwritten();
        return written.error();
    }
    m_pending.clear();
    m_pending_records = 0;
    m_written_sequence = m_last_sequence;
    return Ok();
}

Result<void> Journal::sync_now() {
    if (auto synced = m_active->sync(); !synced) return stop(synced.error());
    bump(m_counters.fsyncs);
    m_committed_sequence = m_written_sequence;
    m_last_sync = m_clock.now_ns();
    return Ok();
}

Result<u64> Journal::append(StreamId stream, RecordType type, Nanos time, ByteSpan data) {
    if (m_stopped) return *m_stopped;
    const std::size_t frame_size = record_frame_size(data.size());
    if (frame_size - kFrameHeaderBytes > m_options.limits.max_body_bytes) {
        return Err(Status::PayloadTooLarge, "journal.record_too_large",
                   Detail{.limit = m_options.limits.max_body_bytes, .actual = data.size()});
    }
    // Roll over before a record would push a non-empty segment past its size limit.
    const Segment& current = m_segments.back();
    const u64 segment_bytes = m_active->size() + m_pending.size();
    if (current.last_sequence >= current.first_sequence &&
        segment_bytes + frame_size > m_options.max_segment_bytes) {
        ESTA_TRY(commit());
        ESTA_TRY(start_segment(m_last_sequence + 1));
    }
    StreamState& state = m_streams[stream.value()];
    JournalRecord record{m_last_sequence + 1, stream, state.next_stream_sequence, type, time, {}};
    record.data.assign(data.begin(), data.end());
    const u64 offset = m_active->size() + m_pending.size();

    // Batch, and Interval with a write buffer, gather records in m_pending and write them
    // together; otherwise each record is written on its own.
    const bool buffered =
        m_options.fsync == FsyncPolicy::Batch ||
        (m_options.fsync == FsyncPolicy::Interval && m_options.write_buffer_bytes > 0);
    if (buffered) {
        append_record(m_pending, record);
        ++m_pending_records;
    } else {
        std::vector<u8> frame;
        frame.reserve(frame_size);
        append_record(frame, record);
        ESTA_TRY(write_bytes(ByteSpan(frame)));
        m_written_sequence = record.sequence;
    }
    index_record(record, offset);
    bump(m_counters.records);

    switch (m_options.fsync) {
        case FsyncPolicy::Always:
            ESTA_TRY(sync_now());
            break;
        case FsyncPolicy::Batch:
            if (m_pending_records >= m_options.batch_records) ESTA_TRY(commit());
            break;
        case FsyncPolicy::Interval:
            if (buffered && m_pending.size() >= m_options.write_buffer_bytes) {
                ESTA_TRY(flush_pending());
            }
            if (m_clock.now_ns() - m_last_sync >= m_options.interval) ESTA_TRY(commit());
            break;
    }
    return record.sequence;
}

Result<void> Journal::commit() {
    if (m_stopped) return *m_stopped;
    ESTA_TRY(flush_pending());
    if (m_committed_sequence < m_written_sequence) ESTA_TRY(sync_now());
    return Ok();
}

Result<void> Journal::tick() {
    if (m_stopped) return *m_stopped;
    if (m_options.fsync == FsyncPolicy::Always) return Ok();
    if (m_options.fsync == FsyncPolicy::Interval) ESTA_TRY(flush_pending());
    // Interval: the promised bound. Batch: a partly filled group still commits within one
    // interval, so group commit never delays an acknowledgement indefinitely.
    if (m_last_sequence > m_committed_sequence &&
        m_clock.now_ns() - m_last_sync >= m_options.interval) {
        return commit();
    }
    return Ok();
}

std::optional<u64> Journal::last_checkpoint(StreamId stream) const {
    const auto found = m_streams.find(stream.value());
    if (found == m_streams.end()) return std::nullopt;
    return found->second.last_checkpoint;
}

Result<std::vector<JournalRecord>> Journal::read_records(const std::vector<u64>& sequences) {
    std::vector<JournalRecord> records;
    records.reserve(sequences.size());
    std::size_t loaded_segment = m_segments.size();
    std::vector<u8> bytes;
    for (const u64 sequence : sequences) {
        // Segments are ordered by first_sequence: find the last one starting at or before.
        const auto it = std::upper_bound(
            m_segments.begin(), m_segments.end(), sequence,
            [](u64 value, const Segment& segment) { return value < segment.first_sequence; });
        if (it == m_segments.begin()) return Err(Status::NotFound, "journal.sequence_removed");
        const std::size_t index = static_cast<std::size_t>(it - m_segments.begin()) - 1;
        const Segment& segment = m_segments[index];
        if (sequence > segment.last_sequence)
            return Err(Status::NotFound, "journal.no_such_sequence");
        if (index != loaded_segment) {
            bytes = ESTA_TRY(m_fs.read_file(segment_path(segment)));
            // Records of the active segment may still wait in the group-commit buffer.
            if (index + 1 == m_segments.size()) {
                bytes.insert(bytes.end(), m_pending.begin(), m_pending.end());
            }
            loaded_segment = index;
        }
        const u64 offset = segment.offsets[sequence - segment.first_sequence];
        if (offset >= bytes.size()) return Err(Status::Corrupt, "journal.index_out_of_file");
        const Frame frame =
            ESTA_TRY(decode_frame(ByteSpan(bytes).subspan(offset), m_options.limits));
        JournalRecord record = ESTA_TRY(decode_record(frame.body));
        if (record.sequence != sequence) return Err(Status::Corrupt, "journal.index_mismatch");
        records.push_back(std::move(record));
    }
    return records;
}

Result<std::vector<JournalRecord>> Journal::read_stream(StreamId stream, u64 from) {
    const auto found = m_streams.find(stream.value());
    if (found == m_streams.end()) return std::vector<JournalRecord>{};
    std::vector<u64> sequences;
    const u64 first = first_sequence();
    for (const auto& [stream_sequence, sequence] : found->second.records) {
        if (stream_sequence >= from && sequence >= first) sequences.push_back(sequence);
    }
    return read_records(sequences);
}

Result<std::vector<JournalRecord>> Journal::read_from(u64 sequence, std::size_t max) {
    std::vector<u64> sequences;
    for (u64 s = std::max(sequence, first_sequence());
         s <= m_last_sequence && sequences.size() < max; ++s) {
        sequences.push_back(s);
    }
    return read_records(sequences);
}

Result<u64> Journal::remove_segments_before(u64 sequence) {
    u64 removed = 0;
    // The active segment is never removed, so the journal always has somewhere to write.
    while (m_segments.size() > 1 && m_segments.front().last_sequence < sequence) {
        ESTA_TRY(m_fs.remove_file(segment_path(m_segments.front())));
        m_segments.erase(m_segments.begin());
        ++removed;
    }
    if (removed == 0) return removed;
    ESTA_TRY(m_fs.sync_directory(m_directory));
    // The streams' indexes forget the removed records too, or a long-running node's index
    // would grow with every record it ever wrote.
    const u64 first = first_sequence();
    for (auto& [id, stream] : m_streams) {
        auto& records = stream.records;
        const auto kept = std::lower_bound(
            records.begin(), records.end(), first,
            [](const std::pair<u64, u64>& record, u64 value) { return record.second < value; });
        records.erase(records.begin(), kept);
    }
    return removed;
}

std::string_view fsync_policy_name(FsyncPolicy policy) {
    switch (policy) {
        case FsyncPolicy::Always:
            return "always";
        case FsyncPolicy::Batch:
            return "batch";
        case FsyncPolicy::Interval:
            return "interval";
    }
    return "unknown";
}

}  // namespace esta::protocol
