// Where effects land (REQUIREMENTS K-61): every external effect carries the epoch of the
// primary that produced it and an id, and the place it lands checks both in the same step
// as it applies it — the shape of an epoch-conditional SQL write in the effect's own
// transaction, or of a Kafka producer fenced by a newer transactional.id:
//   fence(epoch)   a new primary announces its epoch before its first effect; from then on
//                  anything from an older epoch is refused (Revoked), wherever it comes from;
//   apply(...)     refused from an epoch older than the newest seen; an id applied before
//                  is not applied again (a retried effect after a failover).
// EffectLedger is the in-memory form; FileLedger keeps the same rules in a file guarded by
// flock, so separate processes share it (the failover test).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "base/types.h"

namespace esta::replication {

enum class Applied : u8 { Applied, Duplicate };

class EffectLedger {
  public:
    Result<void> fence(u64 epoch);
    Result<Applied> apply(u64 epoch, u64 effect_id, ByteSpan effect);

    u64 epoch() const { return m_epoch; }
    u64 refused() const { return m_refused; }
    const std::map<u64, std::vector<u8>>& effects() const { return m_effects; }

  private:
    u64 m_epoch = 0;
    u64 m_refused = 0;
    std::map<u64, std::vector<u8>> m_effects;
};

// Lines "E <epoch>" (fences) and "A <epoch> <id>" (effects), appended under flock; each
// call rereads the file, so every process sees the others' fences.
class FileLedger {
  public:
    explicit FileLedger(std::string path) : m_path(std::move(path)) {}
    Result<void> fence(u64 epoch);
    Result<Applied> apply(u64 epoch, u64 effect_id);
    // Every applied effect id, in file order (duplicates would show twice: none should).
    Result<std::vector<u64>> applied() const;

  private:
    std::string m_path;
};

}  // namespace esta::replication
