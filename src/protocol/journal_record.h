// Journal records and segment headers as frames (frame.h), the journal's on-disk format
// (docs/PROTOCOL.md, "Journal"). A segment file is one SegmentHeader frame followed by
// JournalRecord frames with consecutive sequence numbers.
#pragma once

#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "base/strong_id.h"
#include "protocol/clock.h"

namespace esta::protocol {

// The journal segment format this build writes; it reads this one and older ones (V-1).
// Version 2 added the syscall answer (kind 5) and the process-start marker (kind 2).
inline constexpr u32 kJournalFormatVersion = 2;

// A process's stream in the node's journal.
using StreamId = StrongId<struct StreamTag, u64>;

// What a record holds (T-1: every input and every kernel answer a process receives).
enum class RecordType : u8 {
    Input = 1,         // A message delivered to the process.
    KernelAnswer = 2,  // now, random, a driver reply, a timeout (T-2).
    Output = 3,        // An effect the process produced (for dedup after a crash).
    Checkpoint = 4,    // A snapshot replay can start from (K-62).
    Marker = 5,        // Bookkeeping owned by the record's writer (acks, dead-letter state).
};
inline constexpr u8 kMaxRecordType = 5;

struct JournalRecord {
    u64 sequence = 0;         // Node-wide, consecutive from 1.
    StreamId stream{};        // The process (or subsystem) the record belongs to.
    u64 stream_sequence = 0;  // Consecutive from 1 within the stream.
    RecordType type = RecordType::Input;
    Nanos time = 0;  // The time the kernel assigned (T-2).
    std::vector<u8> data;
    bool operator==(const JournalRecord&) const = default;
};

struct SegmentHeader {
    u32 format_version = kJournalFormatVersion;
    u64 first_sequence = 1;
};

void append_segment_header(std::vector<u8>& out, const SegmentHeader& header);
void append_record(std::vector<u8>& out, const JournalRecord& record);
// Frame bytes a record of `data_size` bytes takes.
std::size_t record_frame_size(std::size_t data_size);

// Body decoders (after decode_frame() accepted the frame). A segment of a newer format is
// NotSupported "journal.version_unsupported" (limit = newest readable, actual = found).
Result<SegmentHeader> decode_segment_header(ByteSpan body);
Result<JournalRecord> decode_record(ByteSpan body);

}  // namespace esta::protocol
