// D-4 against a private PostgreSQL 15 database: the retry rules exactly, cancellation at
// the deadline, and replay of a bound transaction after a serialization failure.
#include <gtest/gtest.h>

#include <chrono>

#include "drivers/postgres/pg_sql.h"
#include "services.h"

namespace esta::drivers {
namespace {

// `flaky()` raises `state` on its first `failures` calls. The counter is a sequence, which
// a rollback does not undo, so the number of attempts stays visible afterwards.
std::string flaky_schema(const std::string& state, int failures) {
    return "CREATE SEQUENCE attempts; "
           "CREATE TABLE log (id bigint); "
           "CREATE FUNCTION flaky() RETURNS bigint AS $$ BEGIN "
           "IF nextval('attempts') <= " +
           std::to_string(failures) + " THEN RAISE EXCEPTION 'injected' USING ERRCODE = '" + state +
           "'; END IF; RETURN currval('attempts'); END $$ LANGUAGE plpgsql;";
}

std::vector<SqlStatement> statements() {
    return {
        {"flaky", "SELECT flaky()", {}, {SqlType::Int}},
        {"log", "INSERT INTO log (id) VALUES ($1)", {SqlType::Int}, {}},
        {"logged", "SELECT count(*) FROM log", {}, {SqlType::Int}},
        {"sleep", "SELECT pg_sleep($1)::text", {SqlType::Float}, {SqlType::Text}},
    };
}

class PostgresRules : public ::testing::Test {
  protected:
    void SetUp() override { ESTA_NEED_SERVICE(database.available(), "postgresql"); }

    void start(const std::string& state, int failures) {
        PgConfig config;
        config.conninfo = database.conninfo();
        auto backend =
            std::make_unique<PgSql>(config, flaky_schema(state, failures), clock, sleeper);
        pg = backend.get();
        driver = std::make_unique<SqlDriver>(std::move(backend), statements(), nullptr);
        auto started = driver->start();
        ASSERT_TRUE(started) << started.error().to_string();
    }
    Result<Value> call(u32 op, Value request, Nanos timeout = 10'000 * kNanosPerMilli) {
        CallContext context{scope, 1, clock.now_ns() + timeout, Caller::Module, "pg-test"};
        return driver->call(op, request, context);
    }
    i64 attempts() { return std::stoll(database.query("SELECT last_value FROM attempts")); }

    testing::PostgresDatabase database;
    protocol::SystemClock clock;
    // Backoff waits are recorded, not slept: the rules are about what is retried.
    protocol::ManualClock sleep_clock;
    ManualSleeper sleeper{sleep_clock};
    PgSql* pg = nullptr;
    std::unique_ptr<SqlDriver> driver;
    Scope scope{"db", SqlScope{{"flaky", "log", "logged", "sleep"}}};
};

TEST_F(PostgresRules, D4_RetriesSerializationFailureExactly) {
    start("40001", 2);
    auto reply = call(sql_op::kExec, ValueList{"flaky", ValueList{}});
    ASSERT_TRUE(reply) << reply.error().to_string();
    EXPECT_EQ(*map_find(*reply, "rows"), Value(ValueList{Value(ValueList{i64{3}})}));
    EXPECT_EQ(attempts(), 3);
    EXPECT_EQ(pg->retries(), 2u);
    EXPECT_GT(sleeper.slept(), 0);
}

TEST_F(PostgresRules, D4_DeadlockIsRetriedButOnlyTwice) {
    start("40P01", 5);
    auto reply = call(sql_op::kExec, ValueList{"flaky", ValueList{}});
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, Status::DriverError);
    EXPECT_EQ(attempts(), 3);  // The first try and two retries (D-4 query: 2 retries).
}

TEST_F(PostgresRules, D4_InsufficientResourcesIsRetriedWithBackoff) {
    start("53300", 1);
    auto reply = call(sql_op::kExec, ValueList{"flaky", ValueList{}});
    ASSERT_TRUE(reply) << reply.error().to_string();
    EXPECT_EQ(attempts(), 2);
}

TEST_F(PostgresRules, D4_OtherErrorsAreNotRetried) {
    start("23505", 1);
    auto reply = call(sql_op::kExec, ValueList{"flaky", ValueList{}});
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, Status::DriverError);
    EXPECT_EQ(attempts(), 1);
    EXPECT_EQ(pg->retries(), 0u);
}

TEST_F(PostgresRules, D4_OwnStatementTimeoutCancelsAndIsNotRetried) {
    start("00000", 0);
    auto begin = std::chrono::steady_clock::now();
    auto reply = call(sql_op::kExec, ValueList{"sleep", ValueList{5.0}}, 300 * kNanosPerMilli);
    auto elapsed = std::chrono::steady_clock::now() - begin;
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, Status::Timeout);
    EXPECT_EQ(pg->retries(), 0u);
    EXPECT_LT(elapsed, std::chrono::seconds(3));  // Cancelled, not waited out.
    // The connection is usable afterwards.
    EXPECT_TRUE(call(sql_op::kExec, ValueList{"logged", ValueList{}}));
}

TEST_F(PostgresRules, D4_SerializationFailureInATransactionReplaysIt) {
    start("40001", 1);
    ASSERT_TRUE(call(sql_op::kBegin, Value()));
    ASSERT_TRUE(call(sql_op::kExec, ValueList{"log", ValueList{i64{1}}}));
    // Fails once inside the transaction: the transaction is rolled back, the insert
    // replayed (same answer), and the failing statement run again.
    auto reply = call(sql_op::kExec, ValueList{"flaky", ValueList{}});
    ASSERT_TRUE(reply) << reply.error().to_string();
    ASSERT_TRUE(call(sql_op::kCommit, Value()));
    EXPECT_EQ(database.query("SELECT count(*) FROM log"), "1");
    EXPECT_EQ(database.query("SELECT count(*) FROM estalogic_commit_log"), "1");
}

TEST_F(PostgresRules, D4_RolledBackTransactionLeavesNoIdempotencyKey) {
    start("00000", 0);
    ASSERT_TRUE(call(sql_op::kBegin, Value()));
    ASSERT_TRUE(call(sql_op::kExec, ValueList{"log", ValueList{i64{1}}}));
    ASSERT_TRUE(call(sql_op::kRollback, Value()));
    EXPECT_EQ(database.query("SELECT count(*) FROM log"), "0");
    EXPECT_EQ(database.query("SELECT count(*) FROM estalogic_commit_log"), "0");
}

}  // namespace
}  // namespace esta::drivers
