// The driver contracts as a module sees them (D-6: the same suite for every implementation
// of a kind). Each test drives the relay guest of guest_harness.h, so requests cross the
// guest ABI and the kernel's capability checks before the bridge and the driver. A file
// instantiates a suite with an Impl that says how to make the store and on which clock it
// runs: the embedded stores in unit tests, Redis and PostgreSQL in integration tests.
//
// Impl for the key-value suite: available(), make_store(), driver_clock(), kName.
// Impl for the SQL suite: available(), make_backend(schema), driver_clock(), kName.
// Header-only; include it from exactly one test file per executable.
#pragma once

#include "drivers/kernel_bridge/guest_harness.h"
#include "drivers/kv_driver.h"
#include "drivers/sql_driver.h"

namespace esta::drivers::testing {

struct ImplName {
    template <class T>
    static std::string GetName(int) {
        return T::kName;
    }
};

// The executor an implementation's driver runs on (the guest's calls park while it works),
// or null (the driver answers inline on the scheduler's thread).
template <class Impl>
DriverExecutor* executor_of(Impl& impl) {
    if constexpr (requires { impl.executor(); }) {
        return impl.executor();
    } else {
        return nullptr;
    }
}

inline Status status_of(const Result<Value>& result) {
    return result ? Status::Ok : result.error().code;
}

template <class Impl>
class GuestKvContract : public ::testing::Test {
  protected:
    void SetUp() override {
        ESTA_NEED_SERVICE_OR_SKIP(impl.available(), Impl::kName);
        std::shared_ptr<const wasm::CompiledModule> relay;
        ESTA_NEED_RELAY(relay);
        driver = std::make_unique<KvDriver>(impl.make_store(), std::vector<KvScript>{}, &audit);
        auto started = driver->start();
        ASSERT_TRUE(started) << started.error().to_string();
        harness = std::make_unique<GuestHarness>(relay);
        using kernel::Right;
        kernel::Rights all = Right::Read | Right::Write | Right::Delete;
        const protocol::Clock& clock = impl.driver_clock();
        harness->grant("kv", *driver, Scope{"kv", KvScope{"t1:", kAllKvFamilies, {}}}, all, clock,
                       executor_of(impl));
        harness->grant("other", *driver, Scope{"other", KvScope{"t2:", kAllKvFamilies, {}}}, all,
                       clock, executor_of(impl));
        harness->grant("ro", *driver, Scope{"ro", KvScope{"t1:", kAllKvFamilies, {}}}, Right::Read,
                       clock, executor_of(impl));
        harness->grant("rw", *driver, Scope{"rw", KvScope{"t1:", kAllKvFamilies, {}}},
                       Right::Read | Right::Write, clock, executor_of(impl));
        harness->grant("strings", *driver,
                       Scope{"strings", KvScope{"t1:", static_cast<u32>(KvFamily::Strings), {}}},
                       all, clock, executor_of(impl));
        // Sees the whole store, to check where keys landed; never granted to a guest.
        whole = Scope{"whole", KvScope{"", kAllKvFamilies, {}}};
    }
    void TearDown() override {
        harness.reset();
        if (driver) driver->stop();
    }
    Result<Value> direct_get(const std::string& absolute_key) {
        CallContext context{whole, 99, impl.driver_clock().now_ns() + 5'000 * kNanosPerMilli,
                            Caller::Module, "test"};
        return driver->call(kv_op::kGet, ValueList{absolute_key}, context);
    }

    Impl impl;
    CountingAuditSink audit;
    std::unique_ptr<KvDriver> driver;
    std::unique_ptr<GuestHarness> harness;
    Scope whole;
};
TYPED_TEST_SUITE_P(GuestKvContract);

TYPED_TEST_P(GuestKvContract, D6_EveryKeyValueOpRoundTripsThroughTheGuest) {
    auto& h = *this->harness;
    ASSERT_EQ(status_of(h.call("kv", kv_op::kSet, ValueList{"k", bytes_value("v")})), Status::Ok);
    auto got = h.call("kv", kv_op::kGet, ValueList{"k"});
    ASSERT_TRUE(got) << got.error().to_string();
    EXPECT_EQ(*got, bytes_value("v"));
    EXPECT_EQ(h.call("kv", kv_op::kIncrBy, ValueList{"n", i64{5}}).value_or(Value()),
              Value(i64{5}));
    EXPECT_EQ(h.call("kv", kv_op::kIncrBy, ValueList{"n", i64{-2}}).value_or(Value()),
              Value(i64{3}));
    ASSERT_EQ(status_of(h.call("kv", kv_op::kHSet, ValueList{"h", "f", bytes_value("x")})),
              Status::Ok);
    EXPECT_EQ(h.call("kv", kv_op::kHGet, ValueList{"h", "f"}).value_or(Value()), bytes_value("x"));
    EXPECT_EQ(status_of(h.call("kv", kv_op::kHGet, ValueList{"h", "absent"})), Status::NotFound);
    auto all = h.call("kv", kv_op::kHGetAll, ValueList{"h"});
    ASSERT_TRUE(all) << all.error().to_string();
    EXPECT_EQ(*all, Value(ValueMap{{"f", bytes_value("x")}}));
    auto many = h.call("kv", kv_op::kMGet, ValueList{ValueList{"k", "absent"}});
    ASSERT_TRUE(many) << many.error().to_string();
    EXPECT_EQ(*many, Value(ValueList{bytes_value("v"), Value()}));
    EXPECT_EQ(status_of(h.call("kv", kv_op::kExpire, ValueList{"n", i64{60'000}})), Status::Ok);
    EXPECT_EQ(h.call("kv", kv_op::kDel, ValueList{"k"}).value_or(Value()), Value(i64{1}));
    EXPECT_EQ(status_of(h.call("kv", kv_op::kGet, ValueList{"k"})), Status::NotFound);
}

TYPED_TEST_P(GuestKvContract, D5_KeysLandUnderTheHandlesPrefixOnly) {
    auto& h = *this->harness;
    ASSERT_EQ(status_of(h.call("kv", kv_op::kSet, ValueList{"shared", bytes_value("a")})),
              Status::Ok);
    EXPECT_EQ(status_of(h.call("other", kv_op::kGet, ValueList{"shared"})), Status::NotFound);
    EXPECT_EQ(this->direct_get("t1:shared").value_or(Value()), bytes_value("a"));
    EXPECT_EQ(status_of(this->direct_get("shared")), Status::NotFound);
}

TYPED_TEST_P(GuestKvContract, D5_KeyNamingThePrefixItselfIsDeniedAndAudited) {
    u64 before = this->audit.records;
    EXPECT_EQ(status_of(this->harness->call("kv", kv_op::kSet, ValueList{"", bytes_value("x")})),
              Status::AccessDenied);
    EXPECT_EQ(this->audit.records, before + 1);
    EXPECT_EQ(this->audit.last_event, "driver.denied");
    EXPECT_EQ(status_of(this->direct_get("t1:")), Status::NotFound);
}

TYPED_TEST_P(GuestKvContract, D5_UnregisteredScriptIsNotFoundAndAudited) {
    u64 before = this->audit.records;
    auto denied =
        this->harness->call("kv", kv_op::kEval, ValueList{"flush_all", ValueList{}, ValueList{}});
    EXPECT_EQ(status_of(denied), Status::NotFound);
    EXPECT_EQ(this->audit.records, before + 1);
    EXPECT_EQ(this->audit.last_subject, "flush_all");
}

TYPED_TEST_P(GuestKvContract, D5_CommandFamilyOutsideTheScopeIsDeniedAndAudited) {
    u64 before = this->audit.records;
    EXPECT_EQ(status_of(this->harness->call("strings", kv_op::kHSet,
                                            ValueList{"h", "f", bytes_value("v")})),
              Status::AccessDenied);
    EXPECT_EQ(this->audit.records, before + 1);
    EXPECT_EQ(status_of(this->direct_get("t1:h")), Status::NotFound);
}

TYPED_TEST_P(GuestKvContract, D2_EachOpNeedsItsRightOnTheHandle) {
    auto& h = *this->harness;
    ASSERT_EQ(status_of(h.call("kv", kv_op::kSet, ValueList{"k", bytes_value("v")})), Status::Ok);
    EXPECT_EQ(h.call("ro", kv_op::kGet, ValueList{"k"}).value_or(Value()), bytes_value("v"));
    EXPECT_EQ(status_of(h.call("ro", kv_op::kSet, ValueList{"k", bytes_value("w")})),
              Status::AccessDenied);
    EXPECT_EQ(status_of(h.call("rw", kv_op::kDel, ValueList{"k"})), Status::AccessDenied);
    EXPECT_EQ(this->direct_get("t1:k").value_or(Value()), bytes_value("v"));
}

TYPED_TEST_P(GuestKvContract, D2_UnknownOpsMalformedRequestsAndUngrantedNamesAreRefused) {
    auto& h = *this->harness;
    EXPECT_EQ(status_of(h.call("kv", kv_op::kMulti, ValueList{})), Status::InvalidArgs);
    EXPECT_EQ(status_of(h.call("kv", 0, ValueList{"k"})), Status::InvalidArgs);
    EXPECT_EQ(status_of(h.call("kv", kv_op::kGet, ValueList{i64{7}})), Status::InvalidArgs);
    EXPECT_EQ(status_of(h.call("kv", kv_op::kSet, ValueList{"k"})), Status::InvalidArgs);
    EXPECT_EQ(status_of(h.call("secrets", kv_op::kGet, ValueList{"k"})), Status::NotFound);
}

TYPED_TEST_P(GuestKvContract, D1_AZeroTimeoutIsTimeoutAndNothingIsPerformed) {
    auto& h = *this->harness;
    EXPECT_EQ(status_of(h.call("kv", kv_op::kSet, ValueList{"k", bytes_value("v")}, 0)),
              Status::Timeout);
    EXPECT_EQ(status_of(this->direct_get("t1:k")), Status::NotFound);
}

REGISTER_TYPED_TEST_SUITE_P(GuestKvContract, D6_EveryKeyValueOpRoundTripsThroughTheGuest,
                            D1_AZeroTimeoutIsTimeoutAndNothingIsPerformed,
                            D5_KeysLandUnderTheHandlesPrefixOnly,
                            D5_KeyNamingThePrefixItselfIsDeniedAndAudited,
                            D5_UnregisteredScriptIsNotFoundAndAudited,
                            D5_CommandFamilyOutsideTheScopeIsDeniedAndAudited,
                            D2_EachOpNeedsItsRightOnTheHandle,
                            D2_UnknownOpsMalformedRequestsAndUngrantedNamesAreRefused);

inline constexpr const char* kGuestSqlSchema =
    "CREATE TABLE hours (id bigint PRIMARY KEY, employee text NOT NULL, amount numeric(10,2), "
    "at timestamptz, note bytea, paid boolean)";

inline std::vector<SqlStatement> guest_sql_statements() {
    return {
        {"put",
         "INSERT INTO hours (id, employee, amount, at, note, paid) VALUES ($1, $2, $3, $4, $5, $6)",
         {SqlType::Int, SqlType::Text, SqlType::Decimal, SqlType::Timestamp, SqlType::Bytes,
          SqlType::Bool},
         {}},
        {"get",
         "SELECT employee, amount, at, note, paid FROM hours WHERE id = $1",
         {SqlType::Int},
         {SqlType::Text, SqlType::Decimal, SqlType::Timestamp, SqlType::Bytes, SqlType::Bool}},
        {"count", "SELECT count(*) FROM hours", {}, {SqlType::Int}},
        {"wipe", "DELETE FROM hours", {}, {}},
    };
}

template <class Impl>
class GuestSqlContract : public ::testing::Test {
  protected:
    void SetUp() override {
        ESTA_NEED_SERVICE_OR_SKIP(impl.available(), Impl::kName);
        std::shared_ptr<const wasm::CompiledModule> relay;
        ESTA_NEED_RELAY(relay);
        driver = std::make_unique<SqlDriver>(impl.make_backend(kGuestSqlSchema),
                                             guest_sql_statements(), &audit);
        auto started = driver->start();
        ASSERT_TRUE(started) << started.error().to_string();
        harness = std::make_unique<GuestHarness>(relay);
        const protocol::Clock& clock = impl.driver_clock();
        harness->grant("db", *driver, Scope{"db", SqlScope{{"put", "get", "count"}}},
                       kernel::Right::Execute, clock, executor_of(impl));
        harness->grant("counter", *driver, Scope{"counter", SqlScope{{"count"}}},
                       kernel::Right::Execute, clock, executor_of(impl));
        harness->grant("ro", *driver, Scope{"ro", SqlScope{{"put", "get", "count"}}},
                       kernel::Right::Read, clock, executor_of(impl));
    }
    void TearDown() override {
        harness.reset();
        if (driver) driver->stop();
    }
    Result<Value> exec(const std::string& grant, const std::string& statement, ValueList params) {
        return harness->call(grant, sql_op::kExec, ValueList{statement, Value(std::move(params))});
    }
    i64 count() {
        auto reply = exec("db", "count", {});
        EXPECT_TRUE(reply) << reply.error().to_string();
        const Value* rows = reply ? map_find(*reply, "rows") : nullptr;
        if (rows == nullptr || rows->get<ValueList>() == nullptr ||
            rows->get<ValueList>()->size() != 1)
            return -1;
        const Value& row = rows->get<ValueList>()->front();
        const i64* n = row.get<ValueList>() ? row.get<ValueList>()->front().get<i64>() : nullptr;
        return n ? *n : -1;
    }
    ValueList row(i64 id, const std::string& employee) {
        return ValueList{id,
                         employee,
                         Value(kernel::abi::Decimal{1250, 2}),
                         Value(kernel::abi::Timestamp{1'700'000'000'000'000'000}),
                         bytes_value("n"),
                         true};
    }

    Impl impl;
    CountingAuditSink audit;
    std::unique_ptr<SqlDriver> driver;
    std::unique_ptr<GuestHarness> harness;
};
TYPED_TEST_SUITE_P(GuestSqlContract);

TYPED_TEST_P(GuestSqlContract, D6_ExecWritesAndReadsTypedRowsThroughTheGuest) {
    auto put = this->exec("db", "put", this->row(1, "ada"));
    ASSERT_TRUE(put) << put.error().to_string();
    EXPECT_EQ(*map_find(*put, "affected"), Value(i64{1}));
    auto got = this->exec("db", "get", {i64{1}});
    ASSERT_TRUE(got) << got.error().to_string();
    ValueList expected_row{"ada", Value(kernel::abi::Decimal{1250, 2}),
                           Value(kernel::abi::Timestamp{1'700'000'000'000'000'000}),
                           bytes_value("n"), true};
    EXPECT_EQ(*map_find(*got, "rows"), Value(ValueList{Value(expected_row)}));
    auto none = this->exec("db", "get", {i64{2}});
    ASSERT_TRUE(none);
    EXPECT_EQ(*map_find(*none, "rows"), Value(ValueList{}));
}

TYPED_TEST_P(GuestSqlContract, D4_TransactionBoundToTheHandleCommitsOrRollsBack) {
    auto& h = *this->harness;
    ASSERT_EQ(status_of(h.call("db", sql_op::kBegin, ValueList{})), Status::Ok);
    ASSERT_TRUE(this->exec("db", "put", this->row(1, "ada")));
    ASSERT_EQ(status_of(h.call("db", sql_op::kRollback, ValueList{})), Status::Ok);
    EXPECT_EQ(this->count(), 0);
    ASSERT_EQ(status_of(h.call("db", sql_op::kBegin, ValueList{})), Status::Ok);
    EXPECT_EQ(status_of(h.call("db", sql_op::kBegin, ValueList{})), Status::InvalidArgs);
    ASSERT_TRUE(this->exec("db", "put", this->row(2, "grace")));
    ASSERT_EQ(status_of(h.call("db", sql_op::kCommit, ValueList{})), Status::Ok);
    EXPECT_EQ(this->count(), 1);
    EXPECT_EQ(status_of(h.call("db", sql_op::kCommit, ValueList{})), Status::InvalidArgs);
}

TYPED_TEST_P(GuestSqlContract, D4_UndeclaredStatementIsNotFoundAndAudited) {
    u64 before = this->audit.records;
    EXPECT_EQ(status_of(this->exec("db", "drop_everything", {})), Status::NotFound);
    EXPECT_EQ(this->audit.records, before + 1);
    EXPECT_EQ(this->audit.last_subject, "drop_everything");
}

TYPED_TEST_P(GuestSqlContract, D4_DeclaredStatementOutsideTheHandleIsDeniedAndAudited) {
    u64 before = this->audit.records;
    EXPECT_EQ(status_of(this->exec("counter", "put", this->row(1, "ada"))), Status::AccessDenied);
    EXPECT_EQ(status_of(this->exec("db", "wipe", {})), Status::AccessDenied);
    EXPECT_EQ(this->audit.records, before + 2);
    EXPECT_EQ(this->count(), 0);
}

TYPED_TEST_P(GuestSqlContract, D4_ParametersAreTypedAndStatementsNeedExecute) {
    EXPECT_EQ(status_of(this->exec("db", "get", {"one"})), Status::InvalidArgs);
    EXPECT_EQ(status_of(this->exec("db", "get", {})), Status::InvalidArgs);
    EXPECT_EQ(status_of(this->exec("ro", "count", {})), Status::AccessDenied);
    EXPECT_EQ(status_of(this->harness->call("db", 5, ValueList{})), Status::InvalidArgs);
}

REGISTER_TYPED_TEST_SUITE_P(GuestSqlContract, D6_ExecWritesAndReadsTypedRowsThroughTheGuest,
                            D4_TransactionBoundToTheHandleCommitsOrRollsBack,
                            D4_UndeclaredStatementIsNotFoundAndAudited,
                            D4_DeclaredStatementOutsideTheHandleIsDeniedAndAudited,
                            D4_ParametersAreTypedAndStatementsNeedExecute);

}  // namespace esta::drivers::testing
