// The PostgreSQL witness (K-61) on a real server: one session holds the advisory lock, a
// second is refused; when the server ends the holder's session the lease is gone at once,
// the other takes it with a higher epoch, and an effect written under the old epoch's
// guard changes nothing.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "drivers/postgres/pg_witness.h"
#include "services.h"

namespace esta::drivers {
namespace {

using testing::PostgresDatabase;

constexpr i64 kKey = 4242;

TEST(PgWitness, K61_OneSessionHoldsTheLeaseAndANewLeaderFencesTheOldOnesWrites) {
    PostgresDatabase db;
    ESTA_NEED_SERVICE(db.available(), "PostgreSQL");
    PgWitness first(db.conninfo(), kKey, "node a");
    PgWitness second(db.conninfo(), kKey, "node b");
    auto lease = first.acquire(1);
    ASSERT_TRUE(lease) << lease.error().to_string();
    EXPECT_EQ(lease->epoch, 1u);
    auto refused = second.acquire(2);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Status::Unavailable);
    EXPECT_TRUE(first.holds(1));
    EXPECT_EQ(db.query("SELECT holder FROM esta_leases WHERE lock_key = 4242"), "node a");

    // The server ends the holder's session (as when its node dies): the lock goes with it.
    db.query(
        "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
        "AND objid = 4242");
    bool gone = false;
    for (int i = 0; i < 200 && !gone; ++i) {
        gone = !first.holds(1);
        if (!gone) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_TRUE(gone) << "the terminated session still looks alive";
    auto taken = second.acquire(2);  // A refused node retries after 100 ms at the earliest.
    for (int i = 0; i < 100 && !taken; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        taken = second.acquire(2);
    }
    ASSERT_TRUE(taken) << taken.error().to_string();
    EXPECT_EQ(taken->epoch, 2u);

    // Epoch-conditional effects: the deposed leader's insert changes nothing.
    db.query("CREATE TABLE effects (id int PRIMARY KEY, epoch bigint)");
    db.query("INSERT INTO effects SELECT 1, 1 WHERE " + first.epoch_guard_sql(1));
    db.query("INSERT INTO effects SELECT 2, 2 WHERE " + second.epoch_guard_sql(2));
    EXPECT_EQ(db.query("SELECT count(*) FROM effects"), "1");
    EXPECT_EQ(db.query("SELECT id FROM effects"), "2");
    second.release(2);
    EXPECT_FALSE(second.holds(2));
}

}  // namespace
}  // namespace esta::drivers
