// D-6 / D-4: one SQL contract, run against SQLite and against a private PostgreSQL 15
// database, with the same declared statements (PostgreSQL's $n spelling; SQLite's backend
// translates) and the same typed values coming back.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "drivers/embedded/sqlite_sql.h"
#include "drivers/guarded_driver.h"
#include "drivers/postgres/pg_sql.h"
#include "services.h"

namespace esta::drivers {
namespace {

constexpr const char* kSchema =
    "CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL, price numeric(10,2), "
    "created timestamptz, data bytea, flag boolean)";

std::vector<SqlStatement> contract_statements() {
    return {
        {"put",
         "INSERT INTO items (id, name, price, created, data, flag) VALUES ($1, $2, $3, $4, $5, $6)",
         {SqlType::Int, SqlType::Text, SqlType::Decimal, SqlType::Timestamp, SqlType::Bytes,
          SqlType::Bool},
         {}},
        {"get",
         "SELECT name, price, created, data, flag FROM items WHERE id = $1",
         {SqlType::Int},
         {SqlType::Text, SqlType::Decimal, SqlType::Timestamp, SqlType::Bytes, SqlType::Bool}},
        {"rename", "UPDATE items SET name = $2 WHERE id = $1", {SqlType::Int, SqlType::Text}, {}},
        {"count", "SELECT count(*) FROM items", {}, {SqlType::Int}},
    };
}

class SqliteImpl {
  public:
    SqliteImpl()
        : directory(std::filesystem::temp_directory_path() /
                    ("esta_sql_contract_" + std::to_string(::getpid()) + "_" +
                     std::to_string(++counter))) {
        std::filesystem::create_directories(directory);
    }
    ~SqliteImpl() { std::filesystem::remove_all(directory); }
    bool available() { return true; }
    std::unique_ptr<SqlBackend> make_backend() {
        return std::make_unique<SqliteSql>((directory / "db.sqlite").string(), kSchema);
    }
    static constexpr const char* kName = "sqlite";

    static inline int counter = 0;
    std::filesystem::path directory;
};

class PostgresImpl {
  public:
    bool available() { return database.available(); }
    std::unique_ptr<SqlBackend> make_backend() {
        PgConfig config;
        config.conninfo = database.conninfo();
        return std::make_unique<PgSql>(config, kSchema, clock, sleeper);
    }
    static constexpr const char* kName = "postgres";

    testing::PostgresDatabase database;
    protocol::SystemClock clock;
    ThreadSleeper sleeper;
};

template <class Impl>
class SqlContract : public ::testing::Test {
  protected:
    void SetUp() override {
        ESTA_NEED_SERVICE(impl.available(), "postgresql");
        auto sql = std::make_unique<SqlDriver>(impl.make_backend(), contract_statements(), nullptr);
        driver = std::make_unique<GuardedDriver>(std::move(sql), clock, sleeper,
                                                 default_guard_options(DriverKind::Sql));
        auto started = driver->start();
        ASSERT_TRUE(started) << started.error().to_string();
    }
    void TearDown() override {
        if (driver) driver->stop();
    }
    Result<Value> call(u32 op, Value request, u64 binding = 1) {
        CallContext context{scope, binding, clock.now_ns() + 10'000 * kNanosPerMilli,
                            Caller::Module, "contract"};
        return driver->call(op, request, context);
    }
    Value rows_of(u32 op, Value request, u64 binding = 1) {
        auto reply = call(op, std::move(request), binding);
        EXPECT_TRUE(reply) << reply.error().to_string();
        return reply ? *map_find(*reply, "rows") : Value();
    }

    Impl impl;
    protocol::SystemClock clock;
    ThreadSleeper sleeper;
    std::unique_ptr<GuardedDriver> driver;
    Scope scope{"db", SqlScope{{"put", "get", "rename", "count"}}};
};

using Implementations = ::testing::Types<SqliteImpl, PostgresImpl>;
struct ImplName {
    template <class T>
    static std::string GetName(int) {
        return T::kName;
    }
};
TYPED_TEST_SUITE(SqlContract, Implementations, ImplName);

TYPED_TEST(SqlContract, D6_TypedValuesRoundTrip) {
    kernel::abi::Timestamp created{1'700'000'000'123'456'000};
    auto put = this->call(sql_op::kExec,
                          ValueList{"put", ValueList{i64{1}, "pen", kernel::abi::Decimal{-1250, 2},
                                                     created, ByteString{0, 1, 255}, true}});
    ASSERT_TRUE(put) << put.error().to_string();
    EXPECT_EQ(*map_find(*put, "affected"), Value(i64{1}));
    Value row =
        ValueList{"pen", kernel::abi::Decimal{-1250, 2}, created, ByteString{0, 1, 255}, true};
    EXPECT_EQ(this->rows_of(sql_op::kExec, ValueList{"get", ValueList{i64{1}}}),
              Value(ValueList{row}));
}

TYPED_TEST(SqlContract, D6_NullsComeBackAsNull) {
    ASSERT_TRUE(this->call(sql_op::kExec, ValueList{"put", ValueList{i64{2}, "bare", Value(),
                                                                     Value(), Value(), Value()}}));
    Value row = ValueList{"bare", Value(), Value(), Value(), Value()};
    EXPECT_EQ(this->rows_of(sql_op::kExec, ValueList{"get", ValueList{i64{2}}}),
              Value(ValueList{row}));
}

TYPED_TEST(SqlContract, D6_AffectedCountsChangedRowsOnly) {
    ASSERT_TRUE(this->call(sql_op::kExec, ValueList{"put", ValueList{i64{3}, "a", Value(), Value(),
                                                                     Value(), Value()}}));
    auto renamed = this->call(sql_op::kExec, ValueList{"rename", ValueList{i64{3}, "b"}});
    ASSERT_TRUE(renamed);
    EXPECT_EQ(*map_find(*renamed, "affected"), Value(i64{1}));
    auto none = this->call(sql_op::kExec, ValueList{"rename", ValueList{i64{99}, "b"}});
    EXPECT_EQ(*map_find(*none, "affected"), Value(i64{0}));
    auto count = this->call(sql_op::kExec, ValueList{"count", ValueList{}});
    EXPECT_EQ(*map_find(*count, "affected"), Value(i64{0}));
}

TYPED_TEST(SqlContract, D6_ConstraintViolationIsDriverError) {
    ValueList params{i64{4}, "x", Value(), Value(), Value(), Value()};
    ASSERT_TRUE(this->call(sql_op::kExec, ValueList{"put", params}));
    auto duplicate = this->call(sql_op::kExec, ValueList{"put", params});
    ASSERT_FALSE(duplicate);
    EXPECT_EQ(duplicate.error().code, Status::DriverError);
}

TYPED_TEST(SqlContract, D4_TransactionIsBoundToItsHandle) {
    ASSERT_TRUE(this->call(sql_op::kBegin, Value(), 7));
    ASSERT_TRUE(this->call(
        sql_op::kExec, ValueList{"put", ValueList{i64{5}, "t", Value(), Value(), Value(), Value()}},
        7));
    // Handle 7 sees its own write.
    EXPECT_EQ(this->rows_of(sql_op::kExec, ValueList{"count", ValueList{}}, 7),
              Value(ValueList{Value(ValueList{i64{1}})}));
    ASSERT_TRUE(this->call(sql_op::kRollback, Value(), 7));
    EXPECT_EQ(this->rows_of(sql_op::kExec, ValueList{"count", ValueList{}}, 8),
              Value(ValueList{Value(ValueList{i64{0}})}));

    ASSERT_TRUE(this->call(sql_op::kBegin, Value(), 7));
    ASSERT_TRUE(this->call(
        sql_op::kExec, ValueList{"put", ValueList{i64{6}, "t", Value(), Value(), Value(), Value()}},
        7));
    ASSERT_TRUE(this->call(sql_op::kCommit, Value(), 7));
    EXPECT_EQ(this->rows_of(sql_op::kExec, ValueList{"count", ValueList{}}, 8),
              Value(ValueList{Value(ValueList{i64{1}})}));
}

TYPED_TEST(SqlContract, D2_UndeclaredStatementIsNotFound) {
    auto reply = this->call(sql_op::kExec, ValueList{"DROP TABLE items", ValueList{}});
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, Status::NotFound);
}

}  // namespace
}  // namespace esta::drivers
