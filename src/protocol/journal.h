// Journal (P-8): the node's segmented append-only write-ahead log, one stream per process.
// Every record is a checksummed frame; segments roll over at a size limit; recovery cuts a
// torn tail and reports it, and refuses (never silently drops) damage before committed
// records. The fsync policy decides when an appended record is acknowledged:
//   Always    each append is on disk before append() returns;
//   Batch     group commit: records wait in memory and are written with one write and one
//             fsync once `batch_records` wait, commit() is called, or `interval` has
//             passed at tick(); a record is acknowledged after its group's fsync;
//   Interval  records are written at once (or, with `write_buffer_bytes`, a buffer at a
//             time and at each tick()) and fsynced when `interval` has passed on the
//             injected clock (at append or tick()); a power failure may lose the records
//             of up to one interval (documented in docs/PROTOCOL.md). Under every policy,
//             committed_sequence() is exactly what is on disk.
// A write error (a full disk) stops the journal: the partial write is cut away, every
// further append fails with the same error, and nothing acknowledged is touched.
// Not thread-safe: one owner (the journal thread) calls it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "observe/metrics.h"
#include "protocol/clock.h"
#include "protocol/file_system.h"
#include "protocol/frame.h"
#include "protocol/journal_record.h"

namespace esta::protocol {

enum class FsyncPolicy : u8 { Always, Batch, Interval };

struct JournalOptions {
    FsyncPolicy fsync = FsyncPolicy::Always;
    u32 batch_records = 64;                 // Batch: group size that triggers a commit.
    Nanos interval = 100 * kNanosPerMilli;  // Interval: the longest a write stays unsynced.
    u64 max_segment_bytes = 64ull << 20;    // Roll over to a new segment beyond this.
    // Interval: records wait in memory until this many bytes do, or tick() or commit() is
    // called, and go out in one write (a write per record costs a system call each). 0
    // writes each record at once. Appends are cheaper, and a crash of the process loses
    // what waits as well as what was not yet fsynced.
    u64 write_buffer_bytes = 0;
    FrameLimits limits{};
    // Borrowed; when set, the journal counts records, bytes, fsyncs, write errors and
    // recovered tail bytes there (esta_protocol_journal_*_total).
    observe::MetricsRegistry* metrics = nullptr;
};

// What recovery found when the journal was opened.
struct RecoveryReport {
    u64 segments = 0;
    u64 records = 0;
    u64 last_sequence = 0;
    u64 truncated_bytes = 0;        // Torn tail cut from the last segment.
    std::string truncated_segment;  // Its file name, when something was cut.
    const char* truncation_reason = "";
    bool removed_empty_segment = false;  // A segment created but never given a header.
};

class Journal {
    struct Key {
        explicit Key() = default;
    };

  public:
    // Use open(); the key keeps construction inside it.
    Journal(Key, FileSystem& fs, std::string directory, const Clock& clock, JournalOptions options);

    // Opens (creating) the journal in `directory` and recovers it. `fs` and `clock` are
    // borrowed and must outlive the journal. Errors: Corrupt "journal.corrupt_segment"
    // (detail: index = segment number, offset) when damage precedes valid data or hits a
    // sealed segment; NotSupported "journal.version_unsupported" for a newer format;
    // Corrupt "journal.sequence_gap"; file-system errors.
    static Result<std::unique_ptr<Journal>> open(FileSystem& fs, std::string directory,
                                                 const Clock& clock, JournalOptions options = {});

    // Appends a record to `stream`; returns its node-wide sequence. It is acknowledged
    // (durable under the policy) once committed_sequence() >= that sequence.
    Result<u64> append(StreamId stream, RecordType type, Nanos time, ByteSpan data);
    // Writes and fsyncs everything appended so far.
    Result<void> commit();
    // Interval policy: fsyncs when the interval has passed. Other policies: no-op.
    Result<void> tick();

    u64 last_sequence() const { return m_last_sequence; }
    u64 committed_sequence() const { return m_committed_sequence; }
    u64 first_sequence() const;
    const RecoveryReport& recovery() const { return m_recovery; }
    // The error that stopped the journal, if any.
    std::optional<Error> stopped() const { return m_stopped; }

    // Records of `stream` with stream_sequence >= `from`, oldest first (committed or not).
    Result<std::vector<JournalRecord>> read_stream(StreamId stream, u64 from = 1);
    // Up to `max` records starting at node-wide `sequence`, found through the index.
    Result<std::vector<JournalRecord>> read_from(u64 sequence, std::size_t max);
    // The sequence of `stream`'s latest Checkpoint record, if any.
    std::optional<u64> last_checkpoint(StreamId stream) const;

    // Retention: deletes sealed segments whose records all precede `sequence`.
    Result<u64> remove_segments_before(u64 sequence);
    std::size_t segment_count() const { return m_segments.size(); }

  private:
    struct Segment {
        std::string name;
        u64 first_sequence = 0;
        u64 last_sequence = 0;     // first_sequence - 1 when empty.
        std::vector<u64> offsets;  // offsets[i] = file offset of first_sequence + i.
    };
    struct StreamState {
        u64 next_stream_sequence = 1;
        // (stream_sequence, node-wide sequence) of the stream's records, ascending.
        std::vector<std::pair<u64, u64>> records;
        std::optional<u64> last_checkpoint;
    };

    Result<void> recover();
    Result<void> recover_segment(std::size_t index, bool is_last);
    Result<void> start_segment(u64 first_sequence);
    Result<void> write_bytes(ByteSpan bytes);
    Result<void> flush_pending();
    Result<void> sync_now();
    void index_record(const JournalRecord& record, u64 offset);
    void forget_unwritten();
    Result<std::vector<JournalRecord>> read_records(const std::vector<u64>& sequences);
    std::string segment_path(const Segment& segment) const;
    Error stop(Error error);

    // Counters from options.metrics, or null.
    struct Counters {
        observe::Counter* records = nullptr;
        observe::Counter* bytes = nullptr;
        observe::Counter* fsyncs = nullptr;
        observe::Counter* write_errors = nullptr;
        observe::Counter* truncated_bytes = nullptr;
    };
    static void bump(observe::Counter* counter, u64 amount = 1) {
        if (counter != nullptr) counter->inc(amount);
    }

    FileSystem& m_fs;
    std::string m_directory;
    const Clock& m_clock;
    JournalOptions m_options;

    std::vector<Segment> m_segments;
    std::unique_ptr<AppendFile> m_active;
    std::vector<u8> m_pending;  // Batch: encoded frames not yet written.
    u64 m_pending_records = 0;
    u64 m_last_sequence = 0;
    u64 m_written_sequence = 0;  // Handed to the OS (maybe not yet on disk).
    u64 m_committed_sequence = 0;
    Nanos m_last_sync = 0;
    std::unordered_map<u64, StreamState> m_streams;
    RecoveryReport m_recovery;
    std::optional<Error> m_stopped;
    Counters m_counters;
};

std::string_view fsync_policy_name(FsyncPolicy policy);

}  // namespace esta::protocol
