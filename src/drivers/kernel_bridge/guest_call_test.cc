// Guests calling the embedded drivers (D-6) through their capabilities: the contract
// suites of guest_contracts.h over the in-process store and SQLite, and topic PRODUCE over
// journal topics. The same suites run against Redis and PostgreSQL in
// tests/integration/drivers/guest_contract_itest.cc.
#include <unistd.h>

#include <filesystem>

#include "drivers/embedded/journal_topics.h"
#include "drivers/embedded/memory_kv.h"
#include "drivers/embedded/sqlite_sql.h"
#include "drivers/kernel_bridge/guest_contracts.h"
#include "drivers/topic_driver.h"
#include "protocol/file_system.h"

namespace esta::drivers::testing {
namespace {

// A fresh directory per instance, removed at the end.
class TempDirectory {
  public:
    TempDirectory()
        : m_path(std::filesystem::temp_directory_path() /
                 ("esta_guest_call_" + std::to_string(::getpid()) + "_" +
                  std::to_string(++s_counter))) {
        std::filesystem::create_directories(m_path);
    }
    ~TempDirectory() { std::filesystem::remove_all(m_path); }
    const std::filesystem::path& path() const { return m_path; }

  private:
    static inline int s_counter = 0;
    std::filesystem::path m_path;
};

class EmbeddedKv {
  public:
    bool available() { return true; }
    std::unique_ptr<KvStore> make_store() { return std::make_unique<MemoryKv>(m_clock); }
    const protocol::Clock& driver_clock() { return m_clock; }
    static constexpr const char* kName = "embedded";

  private:
    protocol::ManualClock m_clock{5'000'000};
};

class EmbeddedSql {
  public:
    bool available() { return true; }
    std::unique_ptr<SqlBackend> make_backend(const char* schema) {
        return std::make_unique<SqliteSql>((m_directory.path() / "db.sqlite").string(), schema);
    }
    const protocol::Clock& driver_clock() { return m_clock; }
    static constexpr const char* kName = "sqlite";

  private:
    TempDirectory m_directory;
    protocol::ManualClock m_clock{5'000'000};
};

// The same stores with the driver's work on an executor: the guest parks while it runs.
class EmbeddedKvOnWorker : public EmbeddedKv {
  public:
    DriverExecutor* executor() { return &m_executor; }
    static constexpr const char* kName = "embedded_on_worker";

  private:
    DriverExecutor m_executor{1000};
};

class EmbeddedSqlOnWorker : public EmbeddedSql {
  public:
    DriverExecutor* executor() { return &m_executor; }
    static constexpr const char* kName = "sqlite_on_worker";

  private:
    DriverExecutor m_executor{100};
};

using EmbeddedKvs = ::testing::Types<EmbeddedKv, EmbeddedKvOnWorker>;
using EmbeddedSqls = ::testing::Types<EmbeddedSql, EmbeddedSqlOnWorker>;
INSTANTIATE_TYPED_TEST_SUITE_P(Embedded, GuestKvContract, EmbeddedKvs, ImplName);
INSTANTIATE_TYPED_TEST_SUITE_P(Embedded, GuestSqlContract, EmbeddedSqls, ImplName);

class GuestTopic : public ::testing::Test {
  protected:
    void SetUp() override {
        std::shared_ptr<const wasm::CompiledModule> relay;
        ESTA_NEED_RELAY(relay);
        auto backend = std::make_unique<JournalTopics>(fs, (directory.path() / "topics").string(),
                                                       clock, std::vector<TopicSpec>{{"hours", 2}});
        topics = backend.get();
        driver = std::make_unique<TopicDriver>(std::move(backend), &audit);
        auto started = driver->start();
        ASSERT_TRUE(started) << started.error().to_string();
        harness = std::make_unique<GuestHarness>(relay);
        harness->grant("hours", *driver, Scope{"hours", TopicScope{"hours", true, false, ""}},
                       kernel::Right::Write, clock);
        harness->grant("feed", *driver, Scope{"feed", TopicScope{"hours", false, true, "g"}},
                       kernel::Right::Read | kernel::Right::Write, clock);
        harness->grant("peek", *driver, Scope{"peek", TopicScope{"hours", true, false, ""}},
                       kernel::Right::Read, clock);
    }
    void TearDown() override {
        harness.reset();
        if (driver) driver->stop();
    }

    TempDirectory directory;
    protocol::PosixFileSystem fs;
    protocol::ManualClock clock{5'000'000};
    CountingAuditSink audit;
    JournalTopics* topics = nullptr;
    std::unique_ptr<TopicDriver> driver;
    std::unique_ptr<GuestHarness> harness;
};

TEST_F(GuestTopic, D6_ProduceReturnsOffsetsPerPartition) {
    auto produce = [&](i64 partition, const char* value) {
        return harness->call(
            "hours", topic_op::kProduce,
            ValueList{"emp-1", bytes_value(value), Value(ValueMap{{"source", bytes_value("test")}}),
                      partition});
    };
    EXPECT_EQ(produce(1, "a").value_or(Value()), Value(i64{0}));
    EXPECT_EQ(produce(1, "b").value_or(Value()), Value(i64{1}));
    EXPECT_EQ(produce(0, "c").value_or(Value()), Value(i64{0}));
    auto records = topics->poll("hours", "check", 1, 10, clock.now_ns());
    ASSERT_TRUE(records);
    ASSERT_EQ(records->size(), 3u);
    EXPECT_EQ(status_of(produce(7, "d")), Status::NotFound);
}

TEST_F(GuestTopic, D3_ProducingOnAConsumeOnlyHandleIsDeniedAndAudited) {
    EXPECT_EQ(status_of(harness->call("feed", topic_op::kProduce,
                                      ValueList{"k", bytes_value("v"), Value(ValueMap{})})),
              Status::AccessDenied);
    EXPECT_EQ(audit.records, 1u);
    EXPECT_EQ(audit.last_subject, "hours");
}

TEST_F(GuestTopic, D2_KernelOnlyOpsAndMissingRightsAreRefused) {
    // Consuming is the kernel's: a guest asking to poll is an unknown op.
    EXPECT_EQ(
        status_of(harness->call("feed", static_cast<i32>(topic_op::kPoll), ValueList{i64{1}})),
        Status::InvalidArgs);
    EXPECT_EQ(status_of(harness->call("peek", topic_op::kProduce,
                                      ValueList{"k", bytes_value("v"), Value(ValueMap{})})),
              Status::AccessDenied);
    // No other topic is reachable: the handle is the topic, and no other was granted.
    EXPECT_EQ(status_of(harness->call("payroll", topic_op::kProduce,
                                      ValueList{"k", bytes_value("v"), Value(ValueMap{})})),
              Status::NotFound);
}

}  // namespace
}  // namespace esta::drivers::testing

namespace esta::drivers::testing {
namespace {

// D-2's capability scoping as one module meets it: a guest holding a key-value prefix, a
// set of statements and a consume-only topic tries each thing outside its grants. Every
// attempt is an error to the guest and one `driver.denied` audit record.
TEST(GuestScoping, D2_EachAttemptOutsideTheGrantsIsAnErrorAndAnAuditRecord) {
    std::shared_ptr<const wasm::CompiledModule> relay;
    ESTA_NEED_RELAY(relay);
    TempDirectory directory;
    protocol::PosixFileSystem fs;
    protocol::ManualClock clock{5'000'000};
    CountingAuditSink audit;
    KvDriver kv(std::make_unique<MemoryKv>(clock), {}, &audit);
    SqlDriver sql(
        std::make_unique<SqliteSql>((directory.path() / "db.sqlite").string(), kGuestSqlSchema),
        guest_sql_statements(), &audit);
    TopicDriver topics(
        std::make_unique<JournalTopics>(fs, (directory.path() / "topics").string(), clock,
                                        std::vector<TopicSpec>{{"hours", 1}, {"payroll", 1}}),
        &audit);
    ASSERT_TRUE(kv.start());
    ASSERT_TRUE(sql.start());
    ASSERT_TRUE(topics.start());
    GuestHarness harness(relay);
    using kernel::Right;
    harness.grant("kv", kv, Scope{"kv", KvScope{"tenant-a:", kAllKvFamilies, {}}},
                  Right::Read | Right::Write, clock);
    harness.grant("db", sql, Scope{"db", SqlScope{{"count"}}}, Right::Execute, clock);
    harness.grant("payroll", topics, Scope{"payroll", TopicScope{"payroll", false, true, "g"}},
                  Right::Read | Right::Write, clock);
    // What the grants do allow works.
    ASSERT_TRUE(harness.call("kv", kv_op::kSet, ValueList{"x", bytes_value("1")}));
    ASSERT_TRUE(harness.call("db", sql_op::kExec, ValueList{"count", ValueList{}}));

    struct Attempt {
        const char* what;
        const char* handle;
        i32 op;
        Value request;
        Status expected;
    };
    std::vector<Attempt> attempts = {
        {"produce to a topic granted for consuming only", "payroll", topic_op::kProduce,
         ValueList{"k", bytes_value("v"), Value(ValueMap{})}, Status::AccessDenied},
        {"a statement the application declared but the handle lacks", "db", sql_op::kExec,
         ValueList{"wipe", ValueList{}}, Status::AccessDenied},
        {"a statement nobody declared", "db", sql_op::kExec,
         ValueList{"drop_everything", ValueList{}}, Status::NotFound},
        {"the key naming the prefix itself", "kv", kv_op::kGet, ValueList{""},
         Status::AccessDenied},
        {"an unregistered script", "kv", kv_op::kEval,
         ValueList{"0123456789abcdef0123456789abcdef01234567", ValueList{"x"}, ValueList{}},
         Status::NotFound},
    };
    for (const Attempt& attempt : attempts) {
        u64 before = audit.records;
        auto answer = harness.call(attempt.handle, attempt.op, attempt.request);
        ASSERT_FALSE(answer) << attempt.what;
        EXPECT_EQ(answer.error().code, attempt.expected) << attempt.what;
        EXPECT_EQ(audit.records, before + 1) << attempt.what;
        EXPECT_EQ(audit.last_event, "driver.denied") << attempt.what;
    }
    // What the grants allow still works afterwards.
    EXPECT_EQ(harness.call("kv", kv_op::kGet, ValueList{"x"}).value_or(Value()), bytes_value("1"));
}

}  // namespace
}  // namespace esta::drivers::testing
