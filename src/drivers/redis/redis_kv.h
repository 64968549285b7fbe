// RedisKv (D-5): the key-value store on hiredis 0.14 (RESP2, TCP or a Unix socket). A batch
// is written as one pipeline and its replies read in order; an atomic batch is wrapped in
// MULTI/EXEC. Registered scripts are loaded at start (their SHA-1 must match the manifest)
// and run with EVALSHA, reloading once on NOSCRIPT (a restarted server forgets them).
// Reconnects are paced: at most one attempt per `reconnect_delay` on the injected clock, so
// a dead server costs a failed call nothing but a check; after `reconnect_attempts` failed
// attempts in a row the store reports Unhealthy (it keeps trying at the same pace).
#pragma once

#include <atomic>

#include <hiredis/hiredis.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "drivers/kv_driver.h"
#include "drivers/secrets.h"

namespace esta::drivers {

struct RedisConfig {
    std::string host = "127.0.0.1";
    int port = 6379;
    std::string unix_path;  // When set, used instead of host and port.
    int database = 0;
    SecretRef password{};
    Nanos connect_timeout = 5'000 * kNanosPerMilli;
    Nanos read_timeout = 5'000 * kNanosPerMilli;
    u32 reconnect_attempts = 3;
    Nanos reconnect_delay = 1'000 * kNanosPerMilli;
};

struct RedisContextFree {
    void operator()(redisContext* context) const { redisFree(context); }
};
using RedisContextHandle = std::unique_ptr<redisContext, RedisContextFree>;

class RedisKv final : public KvStore {
  public:
    // `clock` is borrowed and must outlive the store.
    RedisKv(RedisConfig config, const protocol::Clock& clock);

    Result<void> start(std::span<const KvScript> scripts) override;
    void stop() override;
    Health health() const override;
    Lifecycle lifecycle() const override;
    // 1 while connected; read without the lock a request holds during its round trip.
    u64 connections() const override;
    Result<std::vector<Result<Value>>> run(std::span<const KvCommand> commands, bool atomic,
                                           Nanos deadline) override;

    u64 reconnects() const { return m_reconnects; }

  private:
    Result<void> connect_locked();
    Result<void> ensure_connected_locked();
    Result<void> load_scripts_locked();
    void drop_connection_locked();

    RedisConfig m_config;
    const protocol::Clock& m_clock;
    std::vector<KvScript> m_scripts;
    mutable std::mutex m_mutex;
    RedisContextHandle m_context;
    std::atomic<bool> m_connected{false};  // m_context is set.
    bool m_started = false;
    u32 m_failed_attempts = 0;
    Nanos m_last_attempt = 0;
    bool m_attempted = false;
    u64 m_reconnects = 0;
};

}  // namespace esta::drivers
