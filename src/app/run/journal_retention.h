// Journal retention for `estalogic run` (REQUIREMENTS P-8, V-2): once the node journal's
// segments hold more than the manifest's `[journal] retain_bytes`, the oldest sealed
// segments are retired, whole, through protocol::Journal::remove_segments_before (the one
// being written never is). Only journal segments are retired: the module store and the
// audit log are never touched, so every decision keeps the module that made it (V-2).
// Called by the journal's owner thread (NodeJournal's writer) after each batch; it looks
// at the files only when a segment was added since the last call.
#pragma once

#include <atomic>
#include <functional>
#include <string>

#include "base/result.h"
#include "protocol/journal.h"

namespace esta::app::run {

class JournalRetention {
  public:
    // `directory` is the journal's; `retain_bytes` 0 retires nothing.
    JournalRetention(std::string directory, u64 retain_bytes);

    // Retires the oldest sealed segments while the segments hold more than retain_bytes.
    // Returns how many were retired now. Errors: the file system's (nothing is lost: a
    // segment not removed stays readable).
    Result<u64> apply(protocol::Journal& journal);

    // apply() for NodeJournal's writer; a failure is reported once on stderr and retried
    // at the next new segment.
    std::function<void(protocol::Journal&)> hook();

    u64 retired_segments() const { return m_retired_segments.load(); }
    u64 retired_bytes() const { return m_retired_bytes.load(); }

  private:
    std::string m_directory;
    u64 m_retain_bytes;
    std::size_t m_seen_segments = 0;
    std::atomic<u64> m_retired_segments{0};
    std::atomic<u64> m_retired_bytes{0};
    bool m_reported = false;  // A failure was printed.
};

}  // namespace esta::app::run
