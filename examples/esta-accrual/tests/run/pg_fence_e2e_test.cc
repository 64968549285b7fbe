// The decisions table under the PostgreSQL witness's epoch (K-61) on a real server: a
// leader's write lands while its epoch is the lease's; once a newer leader took the lease,
// the deposed one's write is refused in its own transaction and stores nothing.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "app/run/pg_decisions.h"
#include "drivers/postgres/pg_witness.h"
#include "protocol/clock.h"
#include "services.h"

namespace esta::app::run {
namespace {

using drivers::testing::PostgresDatabase;

constexpr i64 kKey = 6161;
constexpr const char* kTable = "esta_fenced_decisions";

DecisionRow row(const std::string& key) {
    return DecisionRow{key, "events", 0, 1,
                       "{\"kind\":\"accrued\",\"module_sha256\":\"ab\",\"id\":\"" + key + "\"}"};
}

TEST(PgDecisionsFence, K61_ADeposedPrimarysDecisionsAreRefusedWhereTheyLand) {
    PostgresDatabase db;
    ESTA_NEED_SERVICE(db.available(), "PostgreSQL");
    protocol::SystemClock clock;
    drivers::PgConfig config;
    config.conninfo = db.conninfo();
    config.pool_max = 2;

    drivers::PgWitness first(db.conninfo(), kKey, "node a");
    auto lease = first.acquire(1);
    ASSERT_TRUE(lease) << lease.error().to_string();
    auto old_store = PgDecisions::open(config, kTable, "node a", clock);
    ASSERT_TRUE(old_store) << old_store.error().to_string();
    auto stored = (*old_store)->write({row("e1")}, EpochGuard{kKey, lease->epoch});
    ASSERT_TRUE(stored) << stored.error().to_string();
    EXPECT_EQ(*stored, 1u);

    // The old leader's session ends (its node died or was cut off); the other takes over.
    first.release(1);
    drivers::PgWitness second(db.conninfo(), kKey, "node b");
    auto taken = second.acquire(2);
    // The server frees the lock as the ended session's backend exits; a refused node asks
    // again after 100 ms at the earliest.
    for (int i = 0; i < 100 && !taken; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        taken = second.acquire(2);
    }
    ASSERT_TRUE(taken) << taken.error().to_string();
    ASSERT_EQ(taken->epoch, lease->epoch + 1);

    // The deposed leader still has its pool and tries to write: refused, nothing stored.
    auto refused = (*old_store)->write({row("e2"), row("e3")}, EpochGuard{kKey, lease->epoch});
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Status::Revoked);
    EXPECT_EQ(refused.error().detail.actual, taken->epoch);
    EXPECT_EQ(db.query(std::string("SELECT count(*) FROM ") + kTable), "1");

    auto new_store = PgDecisions::open(config, kTable, "node b", clock);
    ASSERT_TRUE(new_store);
    auto written = (*new_store)->write({row("e2"), row("e3")}, EpochGuard{kKey, taken->epoch});
    ASSERT_TRUE(written) << written.error().to_string();
    EXPECT_EQ(*written, 2u);
    EXPECT_EQ(db.query(std::string("SELECT string_agg(stored_by, ',' ORDER BY idempotency_key) "
                                   "FROM ") +
                       kTable),
              "node a,node b,node b");
    // A guard on a lease that was never granted refuses too.
    auto unknown = (*new_store)->write({row("e4")}, EpochGuard{kKey + 1, 1});
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, Status::Revoked);
    second.release(2);
}

}  // namespace
}  // namespace esta::app::run
