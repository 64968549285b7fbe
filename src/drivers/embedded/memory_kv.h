// MemoryKv (D-6): the embedded stand-in for Redis. Strings, hashes, counters and expiry on
// the injected clock (an expired key is gone at the instant its TTL ends, not when a sweeper
// runs). Scripts need Lua, which the embedded store does not carry: EVAL is NOT_SUPPORTED.
// One mutex; a batch runs under it, so MULTI/EXEC is atomic by construction. A snapshot
// of the whole store is a replication checkpoint's state (K-62).
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <variant>

#include "drivers/kv_driver.h"

namespace esta::drivers {

class MemoryKv final : public KvStore {
  public:
    explicit MemoryKv(const protocol::Clock& clock) : m_clock(clock) {}

    Result<void> start(std::span<const KvScript> scripts) override;
    void stop() override;
    Health health() const override;
    Lifecycle lifecycle() const override;
    Result<std::vector<Result<Value>>> run(std::span<const KvCommand> commands, bool atomic,
                                           Nanos deadline) override;
    // Every live entry with its expiry (memory_kv_snapshot.cc: the format).
    Result<std::vector<u8>> snapshot() const override;
    Result<void> restore(ByteSpan state) override;

    std::size_t size_locked_for_test();

  private:
    using Hash = std::map<std::string, std::string>;
    struct Entry {
        std::variant<std::string, Hash> data;
        std::optional<Nanos> expires_at;
    };

    Result<Value> apply_locked(const KvCommand& command);
    // The live entry under `key`, dropping it first when it has expired.
    Entry* live_locked(const std::string& key);

    const protocol::Clock& m_clock;
    mutable std::mutex m_mutex;
    bool m_started = false;
    std::map<std::string, Entry> m_entries;
};

}  // namespace esta::drivers
