// Faults against the real services (D-1, D-2): the service goes away mid-run, the circuit
// opens after repeated failures and calls fail fast with UNAVAILABLE, the driver recovers
// when the service returns, and nothing the driver acknowledged is lost. Breakers, backoff
// and deadlines run on a manual clock where the client library allows it (Redis,
// PostgreSQL); librdkafka keeps its own time, so the Kafka test uses short real timeouts.
//
// PostgreSQL is the cluster the other tests share, so "going away" is the network path to
// it: a relay on the server's Unix socket that the test closes (connections reset, new ones
// refused) and opens again. The relay also loses a COMMIT's answer for D-4's unknown outcome.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "drivers/guarded_driver.h"
#include "drivers/postgres/pg_sql.h"
#include "drivers/redis/redis_kv.h"
#include "kafka_mock.h"
#include "services.h"

namespace esta::drivers {
namespace {

// Calls until the circuit opens (each failing UNAVAILABLE or TIMEOUT), at most `limit`.
template <typename Call>
void fail_until_open(GuardedDriver& driver, Call call, int limit) {
    for (int i = 0; i < limit && driver.circuit().state() != CircuitState::Open; ++i) {
        auto reply = call();
        ASSERT_FALSE(reply);
        EXPECT_TRUE(reply.error().code == Status::Unavailable ||
                    reply.error().code == Status::Timeout)
            << reply.error().to_string();
    }
    ASSERT_EQ(driver.circuit().state(), CircuitState::Open);
    EXPECT_EQ(driver.health().state, HealthState::Unhealthy);
}

// An open circuit answers UNAVAILABLE without touching the service.
template <typename Call>
void expect_fast_failure(Call call) {
    auto start = std::chrono::steady_clock::now();
    auto reply = call();
    auto elapsed = std::chrono::steady_clock::now() - start;
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, Status::Unavailable);
    EXPECT_STREQ(reply.error().context, "circuit.open");
    EXPECT_LT(elapsed, std::chrono::milliseconds(50));
}

// --- PostgreSQL ---------------------------------------------------------------------

class PostgresFaults : public ::testing::Test {
  protected:
    void SetUp() override {
        ESTA_NEED_SERVICE(database.available(), "postgresql");
        if (database.socket_path().empty()) GTEST_SKIP() << "PostgreSQL over TCP: no socket";
        directory = std::filesystem::temp_directory_path() /
                    ("esta_pg_relay_" + std::to_string(::getpid()));
        std::filesystem::create_directories(directory);
        std::string name = database.socket_path();
        relay = std::make_unique<testing::SocketRelay>(
            (directory / name.substr(name.rfind('/') + 1)).string(), name);
        ASSERT_TRUE(relay->start());
        PgConfig config;
        config.conninfo = database.conninfo_via(directory.string());
        config.connect_timeout = 1'000 * kNanosPerMilli;
        auto sql = std::make_unique<SqlDriver>(
            std::make_unique<PgSql>(config, "CREATE TABLE log (id bigint)", clock, sleeper),
            std::vector<SqlStatement>{
                {"log", "INSERT INTO log (id) VALUES ($1)", {SqlType::Int}, {}}},
            nullptr);
        GuardOptions options = default_guard_options(DriverKind::Sql);
        options.circuit = CircuitOptions{2, 1'000 * kNanosPerMilli};
        options.retry = RetryPolicy{1, 100 * kNanosPerMilli, 200 * kNanosPerMilli};
        driver = std::make_unique<GuardedDriver>(std::move(sql), clock, sleeper, options);
        auto started = driver->start();
        ASSERT_TRUE(started) << started.error().to_string();
    }
    void TearDown() override {
        if (driver) driver->stop();
        driver.reset();
        relay.reset();
        if (!directory.empty()) std::filesystem::remove_all(directory);
    }
    Result<Value> call(u32 op, Value request) {
        CallContext context{scope, 1, clock.now_ns() + 60'000 * kNanosPerMilli, Caller::Module,
                            "pg-faults"};
        return driver->call(op, request, context);
    }
    Result<Value> log(i64 id) { return call(sql_op::kExec, ValueList{"log", ValueList{id}}); }
    std::string logged() {
        return database.query("SELECT string_agg(id::text, ',' ORDER BY id) FROM log");
    }

    testing::PostgresDatabase database;
    std::filesystem::path directory;
    std::unique_ptr<testing::SocketRelay> relay;
    protocol::ManualClock clock{1'000'000'000};
    ManualSleeper sleeper{clock};
    std::unique_ptr<GuardedDriver> driver;
    Scope scope{"db", SqlScope{{"log"}}};
};

TEST_F(PostgresFaults, D4_PostgresGoingAwayOpensTheCircuitAndItsReturnClosesIt) {
    // Acknowledged before the outage: a transaction and a lone statement.
    ASSERT_TRUE(call(sql_op::kBegin, Value()));
    ASSERT_TRUE(log(1));
    ASSERT_TRUE(call(sql_op::kCommit, Value()));
    ASSERT_TRUE(log(2));

    relay->stop();
    fail_until_open(
        *driver, [&] { return log(3); }, 3);
    expect_fast_failure([&] { return log(3); });

    // Back: after the cool-down the probe connects again and closes the circuit.
    ASSERT_TRUE(relay->start());
    clock.advance(2'000 * kNanosPerMilli);
    auto probe = log(4);
    ASSERT_TRUE(probe) << probe.error().to_string();
    EXPECT_EQ(driver->circuit().state(), CircuitState::Closed);
    EXPECT_EQ(driver->health().state, HealthState::Healthy);
    // Everything acknowledged is there; what failed was not performed.
    EXPECT_EQ(logged(), "1,2,4");
}

TEST_F(PostgresFaults, D4_UnknownCommitResolvedByIdempotencyKey) {
    // The COMMIT reaches the server, which commits; its answer is lost with the
    // connection. The driver does not run the transaction again: it looks up the
    // transaction's idempotency key on a fresh connection and finds it committed.
    relay->cut_after("COMMIT", true);
    ASSERT_TRUE(call(sql_op::kBegin, Value()));
    ASSERT_TRUE(log(7));
    auto committed = call(sql_op::kCommit, Value());
    EXPECT_TRUE(relay->cut_done());
    ASSERT_TRUE(committed) << committed.error().to_string();
    EXPECT_EQ(logged(), "7");
    EXPECT_EQ(database.query("SELECT count(*) FROM estalogic_commit_log"), "1");

    // The COMMIT is lost on the way there: the server rolls the transaction back when the
    // connection drops, and the key, looked up again, says so.
    relay->cut_after("COMMIT", false);
    ASSERT_TRUE(call(sql_op::kBegin, Value()));
    ASSERT_TRUE(log(8));
    auto lost = call(sql_op::kCommit, Value());
    EXPECT_TRUE(relay->cut_done());
    ASSERT_FALSE(lost);
    EXPECT_EQ(lost.error().code, Status::DriverError);
    EXPECT_STREQ(lost.error().context, "sql.commit_rolled_back");
    EXPECT_EQ(logged(), "7");
    EXPECT_EQ(database.query("SELECT count(*) FROM estalogic_commit_log"), "1");
}

TEST_F(PostgresFaults, D4_AStatementWhoseAnswerIsLostIsNotRunAgain) {
    // The INSERT ran; its answer was lost with the connection. Running it again could
    // insert twice, so the module is told the outcome is unknown (TIMEOUT), and the guard
    // does not retry it.
    // The statement was prepared when the driver started; its Bind names it ("log\0").
    relay->cut_after(std::string("log", 4), true);
    auto lost = log(9);
    EXPECT_TRUE(relay->cut_done());
    ASSERT_FALSE(lost);
    EXPECT_EQ(lost.error().code, Status::Timeout);
    EXPECT_STREQ(lost.error().context, "sql.outcome_unknown");
    EXPECT_EQ(driver->retries(), 0u);
    EXPECT_EQ(logged(), "9");
    // The pool replaces the connection; the next statement runs.
    ASSERT_TRUE(log(10));
    EXPECT_EQ(logged(), "9,10");
}

// --- Redis --------------------------------------------------------------------------

// Waits (up to 10 s) until the server answers PING: a restarted server loads its append-only
// file before it serves.
bool await_pong(int port) {
    for (int i = 0; i < 200; ++i) {
        RedisContextHandle context(redisConnect("127.0.0.1", port));
        if (context && context->err == 0) {
            auto* reply = static_cast<redisReply*>(redisCommand(context.get(), "PING"));
            bool pong = reply != nullptr && reply->type == REDIS_REPLY_STATUS &&
                        std::string(reply->str) == "PONG";
            freeReplyObject(reply);
            if (pong) return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

TEST(RedisFaults, D5_KilledRedisServerLosesNothingAcknowledged) {
    testing::RedisServer server(true);  // Append-only file, fsynced on every write.
    ESTA_NEED_SERVICE(server.start(), "redis-server");
    protocol::ManualClock clock{1'000'000'000};
    ManualSleeper sleeper{clock};
    RedisConfig config;
    config.port = server.port();
    // Real-time bounds on the client's socket; a killed server refuses at once, so they
    // only matter on a loaded machine.
    config.connect_timeout = 2'000 * kNanosPerMilli;
    config.read_timeout = 2'000 * kNanosPerMilli;
    GuardOptions options = default_guard_options(DriverKind::KeyValue);
    options.circuit = CircuitOptions{2, 1'000 * kNanosPerMilli};
    GuardedDriver driver(std::make_unique<KvDriver>(std::make_unique<RedisKv>(config, clock),
                                                    std::vector<KvScript>{}, nullptr),
                         clock, sleeper, options);
    ASSERT_TRUE(driver.start());
    Scope scope{"kv", KvScope{"app:", kAllKvFamilies, {}}};
    auto call = [&](u32 op, Value request) {
        CallContext context{scope, 1, clock.now_ns() + 60'000 * kNanosPerMilli, Caller::Module,
                            "redis-faults"};
        return driver.call(op, request, context);
    };
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(call(kv_op::kSet, ValueList{"k" + std::to_string(i), bytes_value("v")}));
    }
    ASSERT_TRUE(call(kv_op::kIncrBy, ValueList{"n", i64{3}}));

    server.kill();  // SIGKILL mid-run.
    fail_until_open(
        driver,
        [&] {
            return call(kv_op::kIncrBy, ValueList{"n", i64{100}});
        },
        3);
    expect_fast_failure([&] { return call(kv_op::kGet, ValueList{"k0"}); });

    ASSERT_TRUE(server.start());  // Same port, same append-only file.
    ASSERT_TRUE(await_pong(server.port()));
    clock.advance(2'000 * kNanosPerMilli);
    auto probe = call(kv_op::kIncrBy, ValueList{"n", i64{1}});
    ASSERT_TRUE(probe) << probe.error().to_string();
    EXPECT_EQ(driver.circuit().state(), CircuitState::Closed);
    // The acknowledged counter value survived; the refused increments never happened.
    EXPECT_EQ(*probe, Value(i64{4}));
    for (int i = 0; i < 5; ++i) {
        EXPECT_EQ(*call(kv_op::kGet, ValueList{"k" + std::to_string(i)}), bytes_value("v"));
    }
}

// --- Kafka --------------------------------------------------------------------------

// The values in partition 0 of `topic` from the beginning, up to and including `last`
// (or what came within 10 s).
std::vector<std::string> read_partition(const std::string& bootstrap, const char* topic,
                                        const std::string& last) {
    char error[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof error);
    rd_kafka_conf_set(conf, "group.id", "faults-check", error, sizeof error);
    rd_kafka_conf_set(conf, "log_level", "0", error, sizeof error);
    RdKafkaHandle consumer(rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error));
    std::vector<std::string> values;
    if (!consumer) return values;
    rd_kafka_poll_set_consumer(consumer.get());
    rd_kafka_topic_partition_list_t* partitions = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(partitions, topic, 0)->offset = RD_KAFKA_OFFSET_BEGINNING;
    rd_kafka_assign(consumer.get(), partitions);
    rd_kafka_topic_partition_list_destroy(partitions);
    auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < give_up &&
           (values.empty() || values.back() != last)) {
        rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer.get(), 200);
        if (message == nullptr) continue;
        if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            values.emplace_back(static_cast<const char*>(message->payload), message->len);
        }
        rd_kafka_message_destroy(message);
    }
    rd_kafka_consumer_close(consumer.get());
    return values;
}

TEST(KafkaFaults, D3_BrokersDownOpenTheCircuitAndAcknowledgedRecordsSurvive) {
    testing::KafkaMockCluster mock;
    ESTA_NEED_SERVICE(mock.available(), "kafka mock cluster");
    mock.create_topic("orders", 1);
    protocol::SystemClock clock;
    ThreadSleeper sleeper;
    KafkaConfig config;
    config.bootstrap = mock.bootstrap();
    config.settings = {{"log_level", "0"}};
    GuardOptions options = default_guard_options(DriverKind::Topic);
    options.circuit = CircuitOptions{2, 300 * kNanosPerMilli};
    options.retry = RetryPolicy{0, 0, 0};
    GuardedDriver driver(
        std::make_unique<TopicDriver>(std::make_unique<KafkaTopics>(config, clock), nullptr), clock,
        sleeper, options);
    ASSERT_TRUE(driver.start());
    Scope scope{"orders", TopicScope{"orders", true, false, ""}};
    auto produce = [&](const std::string& value, Nanos timeout) {
        CallContext context{scope, 1, clock.now_ns() + timeout, Caller::Module, "kafka-faults"};
        return driver.call(topic_op::kProduce,
                           ValueList{Value(), bytes_value(value), Value(), i64{0}}, context);
    };
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(produce("before" + std::to_string(i), 10'000 * kNanosPerMilli));

    for (i32 broker = 1; broker <= 3; ++broker)
        rd_kafka_mock_broker_set_down(mock.cluster(), broker);
    // Not acknowledged within the deadline: TIMEOUT (queued, outcome unknown) twice, then
    // the circuit is open.
    fail_until_open(
        driver, [&] { return produce("during", 200 * kNanosPerMilli); }, 3);
    expect_fast_failure([&] { return produce("refused", 200 * kNanosPerMilli); });

    for (i32 broker = 1; broker <= 3; ++broker)
        rd_kafka_mock_broker_set_up(mock.cluster(), broker);
    std::this_thread::sleep_for(std::chrono::milliseconds(400));  // The cool-down.
    auto probe = produce("after", 10'000 * kNanosPerMilli);
    ASSERT_TRUE(probe) << probe.error().to_string();
    EXPECT_EQ(driver.circuit().state(), CircuitState::Closed);

    // Every acknowledged record is in the partition, in order; "refused" never left. Read
    // by a plain consumer assigned to the partition (a group join costs the mock seconds).
    std::vector<std::string> seen = read_partition(mock.bootstrap(), "orders", "after");
    std::vector<std::string> acknowledged;
    for (const std::string& value : seen)
        if (value != "during") acknowledged.push_back(value);  // Outcome unknown: may be there.
    EXPECT_EQ(acknowledged, (std::vector<std::string>{"before0", "before1", "before2", "after"}));
}

}  // namespace
}  // namespace esta::drivers
