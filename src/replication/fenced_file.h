// A JSON-lines file whose writes are fenced by epoch at the writer (REQUIREMENTS K-61): the
// form `ledger.h` describes, for the sink files of `estalogic run` that a primary and its
// standby share on one host. Each line gets the writer's epoch and the journal sequence of
// the event that made it ("epoch":E,"seq":S at the end of a JSON object; other text is
// wrapped as {"text":...}). A sidecar file PATH.fence holds the newest epoch announced.
//
//   fence(epoch)   a new primary announces itself before its first write; an older epoch is
//                  refused. It also finds the last sequence written (the last complete
//                  line; a line torn by a killed writer is cut off: it was never confirmed).
//   append(...)    under the same lock: refused (Revoked) when a newer epoch was announced,
//                  so a deposed primary's write never lands; a sequence at or below the
//                  last written is skipped (decided once, even when retried after a failover).
//
// Every call takes flock(2) on the fence file, so separate processes see each other's fences.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "base/types.h"

namespace esta::replication {

struct FencedLine {
    u64 sequence = 0;
    std::string_view text;  // Without its newline.
};

class FencedFile {
  public:
    // Opens (creating, never truncating) `path` and `path`.fence. Errors: IoError.
    static Result<std::unique_ptr<FencedFile>> open(std::string path);
    ~FencedFile();
    FencedFile(const FencedFile&) = delete;
    FencedFile& operator=(const FencedFile&) = delete;

    // Announces `epoch` and learns the last sequence written. Revoked when a newer epoch was
    // announced.
    Result<void> fence(u64 epoch);
    // Appends `lines` (sequences increasing) as written at the fenced epoch; how many were
    // written (the rest were there already). Revoked when a newer epoch was announced since
    // (counted in refused()); Invalid before fence().
    Result<u64> append(std::span<const FencedLine> lines);

    u64 epoch() const { return m_epoch; }
    u64 last_sequence() const { return m_last; }
    u64 refused() const { return m_refused; }
    const std::string& path() const { return m_path; }

    // The epoch announced in `path`.fence (0 when none).
    static Result<u64> announced_epoch(const std::string& path);
    // `text` as this file writes it.
    static std::string format(std::string_view text, u64 epoch, u64 sequence);

  private:
    FencedFile(std::string path, int data, int fence)
        : m_path(std::move(path)), m_data(data), m_fence(fence) {}
    Result<u64> read_epoch() const;
    Result<void> recover_last();

    std::string m_path;
    int m_data;
    int m_fence;
    u64 m_epoch = 0;
    u64 m_last = 0;
    u64 m_refused = 0;
};

}  // namespace esta::replication
