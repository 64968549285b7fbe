// D-6 through the kernel: the guest contract suites (src/drivers/kernel_bridge/
// guest_contracts.h) against a private redis-server and a private PostgreSQL 15 database.
// A relay guest `call`s each driver through its capability, exactly as in the unit tests
// over the embedded store and SQLite.
#include "drivers/kernel_bridge/guest_contracts.h"
#include "drivers/postgres/pg_sql.h"
#include "drivers/redis/redis_kv.h"
#include "services.h"

namespace esta::drivers::testing {
namespace {

class RedisImpl {
  public:
    bool available() { return m_server.start(); }
    std::unique_ptr<KvStore> make_store() {
        RedisConfig config;
        config.port = m_server.port();
        return std::make_unique<RedisKv>(config, m_clock);
    }
    const protocol::Clock& driver_clock() { return m_clock; }
    // As deployed: the driver's work runs off the scheduler's thread.
    DriverExecutor* executor() { return &m_executor; }
    static constexpr const char* kName = "redis";

  private:
    DriverExecutor m_executor{1000};
    RedisServer m_server;
    protocol::SystemClock m_clock;
};

class PostgresImpl {
  public:
    bool available() { return m_database.available(); }
    std::unique_ptr<SqlBackend> make_backend(const char* schema) {
        PgConfig config;
        config.conninfo = m_database.conninfo();
        return std::make_unique<PgSql>(config, schema, m_clock, m_sleeper);
    }
    const protocol::Clock& driver_clock() { return m_clock; }
    DriverExecutor* executor() { return &m_executor; }
    static constexpr const char* kName = "postgres";

  private:
    DriverExecutor m_executor{100};
    PostgresDatabase m_database;
    protocol::SystemClock m_clock;
    ThreadSleeper m_sleeper;
};

INSTANTIATE_TYPED_TEST_SUITE_P(Service, GuestKvContract, ::testing::Types<RedisImpl>, ImplName);
INSTANTIATE_TYPED_TEST_SUITE_P(Service, GuestSqlContract, ::testing::Types<PostgresImpl>, ImplName);

}  // namespace
}  // namespace esta::drivers::testing
