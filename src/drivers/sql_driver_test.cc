#include "drivers/sql_driver.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "drivers/embedded/sqlite_sql.h"

namespace esta::drivers {
namespace {

std::vector<SqlStatement> statements() {
    return {
        {"put",
         "INSERT INTO items(id, name, price) VALUES ($1, $2, $3)",
         {SqlType::Int, SqlType::Text, SqlType::Decimal},
         {}},
        {"get",
         "SELECT name, price FROM items WHERE id = $1",
         {SqlType::Int},
         {SqlType::Text, SqlType::Decimal}},
        {"count", "SELECT count(*) FROM items", {}, {SqlType::Int}},
    };
}

class SqlDriverTest : public ::testing::Test {
  protected:
    SqlDriverTest() {
        directory = std::filesystem::temp_directory_path() /
                    ("esta_sql_" + std::to_string(::getpid()) + "_" +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
        std::filesystem::remove_all(directory);
        std::filesystem::create_directories(directory);
        auto backend = std::make_unique<SqliteSql>(
            (directory / "db.sqlite").string(),
            "CREATE TABLE items(id INTEGER PRIMARY KEY, name TEXT NOT NULL, price TEXT)");
        driver = std::make_unique<SqlDriver>(std::move(backend), statements(), nullptr);
    }
    ~SqlDriverTest() override {
        driver->stop();
        std::filesystem::remove_all(directory);
    }
    Result<Value> call(u32 op, Value request, u64 binding = 1) {
        CallContext context{scope, binding, 1'000'000'000, Caller::Module, "test"};
        return driver->call(op, request, context);
    }

    std::filesystem::path directory;
    std::unique_ptr<SqlDriver> driver;
    Scope scope{"db", SqlScope{{"put", "get", "count"}}};
};

TEST(SqlPlaceholders, D6_DollarNumbersBecomeQuestionMarksOutsideQuotes) {
    EXPECT_EQ(sqlite_placeholders("SELECT '$1', $2 FROM t WHERE a = $10"),
              "SELECT '$1', ?2 FROM t WHERE a = ?10");
}

TEST_F(SqlDriverTest, D6_StatementThatDoesNotCompileFailsAtStart) {
    auto backend = std::make_unique<SqliteSql>((directory / "other.sqlite").string(), "");
    SqlDriver broken(std::move(backend), {{"bad", "SELEKT 1", {}, {}}}, nullptr);
    auto started = broken.start();
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().code, Status::Invalid);
}

TEST_F(SqlDriverTest, D6_TypedParametersRoundTrip) {
    ASSERT_TRUE(driver->start());
    auto put = call(sql_op::kExec,
                    ValueList{"put", ValueList{i64{1}, "pen", kernel::abi::Decimal{-1250, 2}}});
    ASSERT_TRUE(put) << put.error().to_string();
    EXPECT_EQ(*map_find(*put, "affected"), Value(i64{1}));
    auto got = call(sql_op::kExec, ValueList{"get", ValueList{i64{1}}});
    ASSERT_TRUE(got);
    ValueList expected{Value(ValueList{"pen", kernel::abi::Decimal{-1250, 2}})};
    EXPECT_EQ(*map_find(*got, "rows"), Value(expected));
}

TEST_F(SqlDriverTest, D6_ParameterOfTheWrongKindIsInvalidArgs) {
    ASSERT_TRUE(driver->start());
    auto bad = call(sql_op::kExec, ValueList{"get", ValueList{"one"}});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Status::InvalidArgs);
    auto count = call(sql_op::kExec, ValueList{"get", ValueList{}});
    ASSERT_FALSE(count);
    EXPECT_EQ(count.error().code, Status::InvalidArgs);
}

TEST_F(SqlDriverTest, D2_UndeclaredStatementIsNotFoundAndUngrantedIsDenied) {
    ASSERT_TRUE(driver->start());
    auto undeclared = call(sql_op::kExec, ValueList{"drop_everything", ValueList{}});
    ASSERT_FALSE(undeclared);
    EXPECT_EQ(undeclared.error().code, Status::NotFound);
    scope = Scope{"db", SqlScope{{"get"}}};
    auto denied = call(sql_op::kExec, ValueList{"count", ValueList{}});
    ASSERT_FALSE(denied);
    EXPECT_EQ(denied.error().code, Status::AccessDenied);
    EXPECT_EQ(driver->denials(), 2u);
}

TEST_F(SqlDriverTest, D6_RollbackUndoesAndCommitKeeps) {
    ASSERT_TRUE(driver->start());
    ASSERT_TRUE(call(sql_op::kBegin, Value()));
    ASSERT_TRUE(call(sql_op::kExec, ValueList{"put", ValueList{i64{1}, "a", Value()}}));
    ASSERT_TRUE(call(sql_op::kRollback, Value()));
    auto count = call(sql_op::kExec, ValueList{"count", ValueList{}});
    ASSERT_TRUE(count);
    EXPECT_EQ(*map_find(*count, "rows"), Value(ValueList{Value(ValueList{i64{0}})}));

    ASSERT_TRUE(call(sql_op::kBegin, Value()));
    ASSERT_TRUE(call(sql_op::kExec, ValueList{"put", ValueList{i64{2}, "b", Value()}}));
    ASSERT_TRUE(call(sql_op::kCommit, Value()));
    count = call(sql_op::kExec, ValueList{"count", ValueList{}});
    EXPECT_EQ(*map_find(*count, "rows"), Value(ValueList{Value(ValueList{i64{1}})}));
}

TEST_F(SqlDriverTest, D4_TransactionStateIsChecked) {
    ASSERT_TRUE(driver->start());
    auto commit = call(sql_op::kCommit, Value());
    ASSERT_FALSE(commit);
    EXPECT_EQ(commit.error().code, Status::InvalidArgs);
    ASSERT_TRUE(call(sql_op::kBegin, Value()));
    auto nested = call(sql_op::kBegin, Value());
    ASSERT_FALSE(nested);
    EXPECT_EQ(nested.error().code, Status::InvalidArgs);
    driver->release(1);  // The handle is dropped: its transaction is rolled back.
    EXPECT_TRUE(call(sql_op::kBegin, Value()));
}

}  // namespace
}  // namespace esta::drivers
