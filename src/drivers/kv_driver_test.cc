#include "drivers/kv_driver.h"

#include <gtest/gtest.h>

#include "drivers/embedded/memory_kv.h"

namespace esta::drivers {
namespace {

// Counts audit records, and keeps the last event name.
class CountingAudit final : public observe::AuditSink {
  public:
    Result<u64> append(std::string_view event, const observe::Value::Map& data) override {
        last_event = event;
        last_subject = data.count("subject") ? *data.at("subject").as_text() : "";
        return ++records;
    }
    u64 records = 0;
    std::string last_event;
    std::string last_subject;
};

class KvDriverTest : public ::testing::Test {
  protected:
    KvDriverTest() {
        auto store = std::make_unique<MemoryKv>(clock);
        memory = store.get();
        driver = std::make_unique<KvDriver>(
            std::move(store), std::vector<KvScript>{{"bump", "00", "return 1", {"counter:*"}}},
            &audit);
        EXPECT_TRUE(driver->start());
    }
    Result<Value> call(u32 op, Value request, const Scope& with, u64 binding = 1) {
        CallContext context{with, binding, clock.now_ns() + 1'000 * kNanosPerMilli, Caller::Module,
                            "test"};
        return driver->call(op, request, context);
    }
    Result<Value> call(u32 op, Value request) { return call(op, std::move(request), scope); }

    protocol::ManualClock clock{1'000'000};
    CountingAudit audit;
    MemoryKv* memory = nullptr;
    std::unique_ptr<KvDriver> driver;
    Scope scope{"kv", KvScope{"tenant-a:", kAllKvFamilies, {"bump"}}};
};

TEST_F(KvDriverTest, D6_SetThenGetThenExpiresOnTheInjectedClock) {
    ASSERT_TRUE(call(kv_op::kSet, ValueList{"k", bytes_value("v"), i64{50}}));
    auto got = call(kv_op::kGet, ValueList{"k"});
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, bytes_value("v"));
    clock.advance(49 * kNanosPerMilli);
    EXPECT_TRUE(call(kv_op::kGet, ValueList{"k"}));
    clock.advance(1 * kNanosPerMilli);
    auto gone = call(kv_op::kGet, ValueList{"k"});
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code, Status::NotFound);
}

TEST_F(KvDriverTest, D5_KeysOfOnePrefixAreInvisibleToAnother) {
    Scope other{"kv", KvScope{"tenant-b:", kAllKvFamilies, {}}};
    ASSERT_TRUE(call(kv_op::kSet, ValueList{"shared", bytes_value("a")}));
    auto seen = call(kv_op::kGet, ValueList{"shared"}, other);
    ASSERT_FALSE(seen);
    EXPECT_EQ(seen.error().code, Status::NotFound);
}

TEST_F(KvDriverTest, D5_FamilyNotGrantedIsDeniedAndAudited) {
    Scope strings_only{"kv", KvScope{"tenant-a:", static_cast<u32>(KvFamily::Strings), {}}};
    auto denied = call(kv_op::kHSet, ValueList{"h", "f", bytes_value("v")}, strings_only);
    ASSERT_FALSE(denied);
    EXPECT_EQ(denied.error().code, Status::AccessDenied);
    EXPECT_EQ(audit.records, 1u);
    EXPECT_EQ(audit.last_event, "driver.denied");
    EXPECT_EQ(memory->size_locked_for_test(), 0u);
}

TEST_F(KvDriverTest, D5_UnregisteredScriptIsNotFoundAndAudited) {
    auto denied = call(kv_op::kEval, ValueList{"drop_all", ValueList{}, ValueList{}});
    ASSERT_FALSE(denied);
    EXPECT_EQ(denied.error().code, Status::NotFound);
    EXPECT_EQ(audit.records, 1u);
}

TEST_F(KvDriverTest, D5_ScriptKeyOutsideItsDeclarationIsDenied) {
    auto denied = call(kv_op::kEval, ValueList{"bump", ValueList{"other:1"}, ValueList{}});
    ASSERT_FALSE(denied);
    EXPECT_EQ(denied.error().code, Status::AccessDenied);
    EXPECT_EQ(audit.last_subject, "other:1");
}

TEST_F(KvDriverTest, D5_ScriptNotGrantedToTheHandleIsDenied) {
    Scope no_scripts{"kv", KvScope{"tenant-a:", kAllKvFamilies, {}}};
    auto denied =
        call(kv_op::kEval, ValueList{"bump", ValueList{"counter:1"}, ValueList{}}, no_scripts);
    ASSERT_FALSE(denied);
    EXPECT_EQ(denied.error().code, Status::AccessDenied);
}

TEST_F(KvDriverTest, D5_ExecWithoutMultiAndNestedMultiAreRefused) {
    auto exec = call(kv_op::kExec, Value());
    ASSERT_FALSE(exec);
    EXPECT_EQ(exec.error().code, Status::InvalidArgs);
    auto discard = call(kv_op::kDiscard, Value());
    ASSERT_FALSE(discard);
    ASSERT_TRUE(call(kv_op::kMulti, Value()));
    auto nested = call(kv_op::kMulti, Value());
    ASSERT_FALSE(nested);
    EXPECT_EQ(nested.error().code, Status::InvalidArgs);
    ASSERT_TRUE(call(kv_op::kDiscard, Value()));
    EXPECT_FALSE(call(kv_op::kExec, Value()));
}

TEST_F(KvDriverTest, D5_MultiQueuesUntilExecAndDiscardDropsTheQueue) {
    ASSERT_TRUE(call(kv_op::kMulti, Value()));
    auto queued = call(kv_op::kIncrBy, ValueList{"n", i64{5}});
    ASSERT_TRUE(queued);
    EXPECT_EQ(*queued, Value("QUEUED"));
    // Another binding does not see the queued, unexecuted increment.
    auto outside = call(kv_op::kGet, ValueList{"n"}, scope, 2);
    EXPECT_FALSE(outside);
    ASSERT_TRUE(call(kv_op::kIncrBy, ValueList{"n", i64{2}}));
    auto done = call(kv_op::kExec, Value());
    ASSERT_TRUE(done);
    EXPECT_EQ(*done, Value(ValueList{i64{5}, i64{7}}));

    ASSERT_TRUE(call(kv_op::kMulti, Value()));
    ASSERT_TRUE(call(kv_op::kIncrBy, ValueList{"n", i64{100}}));
    ASSERT_TRUE(call(kv_op::kDiscard, Value()));
    EXPECT_EQ(*call(kv_op::kGet, ValueList{"n"}), bytes_value("7"));
}

TEST_F(KvDriverTest, D1_MalformedRequestIsInvalidArgs) {
    auto bad = call(kv_op::kIncrBy, ValueList{"n", "five"});
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Status::InvalidArgs);
    auto unknown = call(99, ValueList{"n"});
    ASSERT_FALSE(unknown);
    EXPECT_EQ(unknown.error().code, Status::InvalidArgs);
}

TEST_F(KvDriverTest, D1_WrongScopeKindIsWrongType) {
    Scope sql{"db", SqlScope{}};
    auto reply = call(kv_op::kGet, ValueList{"k"}, sql);
    ASSERT_FALSE(reply);
    EXPECT_EQ(reply.error().code, Status::WrongType);
}

}  // namespace
}  // namespace esta::drivers

namespace esta::drivers {
namespace {

TEST_F(KvDriverTest, D5_ExecThatWasNotPerformedKeepsTheBlockForARetry) {
    ASSERT_TRUE(call(kv_op::kMulti, Value()));
    ASSERT_TRUE(call(kv_op::kIncrBy, ValueList{"n", i64{1}}));
    memory->stop();  // The store is down: EXEC is not performed.
    auto lost = call(kv_op::kExec, Value());
    ASSERT_FALSE(lost);
    EXPECT_EQ(lost.error().code, Status::Unavailable);
    ASSERT_TRUE(driver->start());
    auto retried = call(kv_op::kExec, Value());
    ASSERT_TRUE(retried);
    EXPECT_EQ(*retried, Value(ValueList{i64{1}}));
}

}  // namespace
}  // namespace esta::drivers

namespace esta::drivers {
namespace {

TEST_F(KvDriverTest, K62_ASnapshotRestoresStringsHashesAndExpiryIntoAnotherStore) {
    ASSERT_TRUE(call(kv_op::kSet, ValueList{"balance", bytes_value("42")}));
    ASSERT_TRUE(call(kv_op::kSet, ValueList{"short", bytes_value("x"), i64{50}}));
    ASSERT_TRUE(call(kv_op::kHSet, ValueList{"h", "f", bytes_value("v")}));
    auto state = memory->snapshot();
    ASSERT_TRUE(state);

    auto store = std::make_unique<MemoryKv>(clock);
    MemoryKv* copy = store.get();
    KvDriver other(std::move(store), {}, nullptr);
    ASSERT_TRUE(other.start());
    ASSERT_TRUE(copy->restore(*state));
    auto again = copy->snapshot();
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *state);
    CallContext context{scope, 1, clock.now_ns() + 1'000 * kNanosPerMilli, Caller::Module, "test"};
    auto got = other.call(kv_op::kGet, ValueList{"balance"}, context);
    ASSERT_TRUE(got);
    EXPECT_EQ(*got, bytes_value("42"));
    EXPECT_EQ(*other.call(kv_op::kHGet, ValueList{"h", "f"}, context), bytes_value("v"));
    // The expiry came along: the key goes at the same instant in the copy.
    clock.advance(50 * kNanosPerMilli);
    context.deadline = clock.now_ns() + 1'000 * kNanosPerMilli;
    auto gone = other.call(kv_op::kGet, ValueList{"short"}, context);
    ASSERT_FALSE(gone);
    EXPECT_EQ(gone.error().code, Status::NotFound);
}

TEST_F(KvDriverTest, K62_ABadSnapshotIsRefusedAndLeavesTheStoreAsItWas) {
    ASSERT_TRUE(call(kv_op::kSet, ValueList{"balance", bytes_value("42")}));
    auto state = memory->snapshot();
    ASSERT_TRUE(state);
    MemoryKv other(clock);
    ASSERT_TRUE(other.start({}));
    ASSERT_TRUE(other.restore(*state));
    for (std::size_t cut = 0; cut < state->size(); ++cut) {
        auto refused = other.restore(ByteSpan(state->data(), cut));
        ASSERT_FALSE(refused) << cut;
        EXPECT_EQ(refused.error().code, Status::Malformed);
    }
    std::vector<u8> lying = *state;
    lying[4] = 0xff;  // An entry count far past the bytes present.
    lying[11] = 0x7f;
    EXPECT_FALSE(other.restore(lying));
    EXPECT_EQ(other.size_locked_for_test(), 1u);
}

}  // namespace
}  // namespace esta::drivers
