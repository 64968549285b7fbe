// KvDriver: the key-value driver kind (ABI.md ops 1-10, plus MULTI/EXEC/DISCARD and a
// pipeline). Decoding, scope checks (key prefix, command families, registered scripts) and
// transaction state live here once; a KvStore (the in-process store or Redis) only runs
// already-checked commands on fully prefixed keys.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/bytes.h"
#include "drivers/contract.h"

namespace esta::drivers {

// A Lua script the application manifest registered, by SHA-1, with the keys it may touch
// (relative to the handle's prefix; a trailing '*' matches any suffix).
struct KvScript {
    std::string name;
    std::string sha1;  // Lower-case hex; the store refuses to start when the source differs.
    std::string source;
    std::vector<std::string> keys;
};

// One checked command. Keys are absolute (prefix applied).
struct KvCommand {
    u32 op = 0;
    std::vector<std::string> keys;
    std::vector<std::string> args;  // SET/HSET value, HGET/HSET field, EVAL arguments.
    i64 number = 0;                 // INCRBY delta, EXPIRE ttl in ms.
    std::optional<i64> ttl_ms;      // SET's optional expiry.
    const KvScript* script = nullptr;
};

// Replies of a store, before the front maps them: a missing key or field is null (the front
// turns a lone GET/HGET of null into NOT_FOUND, as ABI.md says); HGETALL is a map sorted by
// field; MGET a list with nulls.
class KvStore {
  public:
    virtual ~KvStore() = default;
    // Connects; `scripts` are the registered scripts (a store with Lua loads them and
    // refuses to start when a source does not hash to its registered SHA-1).
    virtual Result<void> start(std::span<const KvScript> scripts) = 0;
    virtual void stop() = 0;
    virtual Health health() const = 0;
    virtual Lifecycle lifecycle() const = 0;
    // Driver::connections().
    virtual u64 connections() const { return 0; }
    // Runs `commands` in order, atomically when `atomic` (MULTI/EXEC). The outer error means
    // nothing was performed (Unavailable) or the outcome is unknown (Timeout); otherwise one
    // result per command.
    virtual Result<std::vector<Result<Value>>> run(std::span<const KvCommand> commands, bool atomic,
                                                   Nanos deadline) = 0;
    // The whole content, for a replication checkpoint (K-62). A store that lives outside the
    // node (Redis) has none of its own to give: NotSupported.
    virtual Result<std::vector<u8>> snapshot() const {
        return Err(Status::NotSupported, "kv: this store takes no snapshot");
    }
    // Replaces the whole content with a snapshot() of the same kind of store. Malformed for
    // bytes that are not one (nothing changes then).
    virtual Result<void> restore(ByteSpan state) {
        (void)state;
        return Err(Status::NotSupported, "kv: this store restores no snapshot");
    }
};

class KvDriver final : public Driver {
  public:
    // `scripts` are the application's registered scripts; `audit` may be null.
    KvDriver(std::unique_ptr<KvStore> store, std::vector<KvScript> scripts,
             observe::AuditSink* audit);

    DriverKind kind() const override { return DriverKind::KeyValue; }
    Result<void> start() override { return m_store->start(m_scripts); }
    void stop() override { m_store->stop(); }
    Health health() const override { return m_store->health(); }
    Lifecycle lifecycle() const override { return m_store->lifecycle(); }
    Result<Value> call(u32 op, const Value& request, const CallContext& context) override;
    void release(u64 binding) override;
    u64 connections() const override { return m_store->connections(); }

    u64 denials() const { return m_denials.denials(); }
    KvStore& store() { return *m_store; }

  private:
    // Decodes and checks one command against the handle's scope.
    Result<KvCommand> check(u32 op, const Value& request, const CallContext& context) const;
    Result<std::string> scoped_key(std::string_view key, const KvScope& scope,
                                   const CallContext& context) const;
    Result<Value> run_one(const KvCommand& command, const CallContext& context);
    Result<Value> pipeline(const Value& request, const CallContext& context);

    std::unique_ptr<KvStore> m_store;
    std::vector<KvScript> m_scripts;
    DenialRecorder m_denials;
    std::mutex m_mutex;
    // Open MULTI blocks: commands queued per binding, already checked.
    std::unordered_map<u64, std::vector<KvCommand>> m_transactions;
};

// An error slot of a pipeline or EXEC reply: {"error": status code}.
Value error_value(const Error& error);

}  // namespace esta::drivers
