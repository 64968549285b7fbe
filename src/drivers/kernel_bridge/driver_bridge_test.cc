#include "drivers/kernel_bridge/driver_bridge.h"

#include <gtest/gtest.h>

#include "drivers/embedded/memory_kv.h"
#include "drivers/kernel_bridge/record_message.h"
#include "kernel/abi_value.h"
#include "kernel/guardrails/kernel_guard.h"
#include "kernel/guardrails/test_sink.h"
#include "observe/metrics.h"

namespace esta::drivers {
namespace {

using kernel::ProcessId;
using kernel::Right;
using kernel::Rights;

// Answers every call with a fixed result and keeps the context it was given.
class ScriptedDriver final : public Driver {
  public:
    explicit ScriptedDriver(DriverKind kind) : m_kind(kind) {}
    DriverKind kind() const override { return m_kind; }
    Result<void> start() override { return Ok(); }
    void stop() override {}
    Health health() const override { return {HealthState::Healthy, ""}; }
    Lifecycle lifecycle() const override { return Lifecycle::Ready; }
    Result<Value> call(u32 op, const Value&, const CallContext& context) override {
        ++calls;
        last_op = op;
        last_binding = context.binding;
        last_deadline = context.deadline;
        last_process = std::string(context.process);
        last_grant = context.scope.grant;
        return answer;
    }
    void release(u64 binding) override { released = binding; }

    Result<Value> answer = Value();
    int calls = 0;
    u32 last_op = 0;
    u64 last_binding = 0;
    Nanos last_deadline = 0;
    std::string last_process;
    std::string last_grant;
    u64 released = 0;

  private:
    DriverKind m_kind;
};

TEST(GuestOpRights, D2_KeyValueOpsNeedTheRightOfWhatTheyDo) {
    auto rights = [](u32 op) {
        return guest_op_rights(DriverKind::KeyValue, static_cast<i32>(op));
    };
    for (u32 op : {kv_op::kGet, kv_op::kHGet, kv_op::kHGetAll, kv_op::kMGet})
        EXPECT_EQ(rights(op).value().bits(), Rights(Right::Read).bits()) << op;
    for (u32 op : {kv_op::kSet, kv_op::kIncrBy, kv_op::kHSet, kv_op::kExpire})
        EXPECT_EQ(rights(op).value().bits(), Rights(Right::Write).bits()) << op;
    EXPECT_EQ(rights(kv_op::kDel).value().bits(), Rights(Right::Delete).bits());
    EXPECT_EQ(rights(kv_op::kEval).value().bits(), (Right::Read | Right::Write).bits());
    // The driver's own MULTI/EXEC/DISCARD/pipeline ops are not in ABI v1.
    for (u32 op : {0u, kv_op::kMulti, kv_op::kExec, kv_op::kDiscard, kv_op::kPipeline})
        EXPECT_EQ(rights(op).error().code, Status::InvalidArgs) << op;
}

TEST(GuestOpRights, D2_SqlOpsNeedExecuteAndTopicsOnlyProduce) {
    for (u32 op : {sql_op::kExec, sql_op::kBegin, sql_op::kCommit, sql_op::kRollback}) {
        EXPECT_EQ(guest_op_rights(DriverKind::Sql, static_cast<i32>(op)).value().bits(),
                  Rights(Right::Execute).bits());
    }
    EXPECT_FALSE(guest_op_rights(DriverKind::Sql, 5));
    EXPECT_EQ(guest_op_rights(DriverKind::Topic, 1).value().bits(), Rights(Right::Write).bits());
    EXPECT_FALSE(guest_op_rights(DriverKind::Topic, static_cast<i32>(topic_op::kPoll)));
    EXPECT_FALSE(guest_op_rights(DriverKind::Topic, -1));
}

TEST(GuestError, InternalCodesNeverReachTheGuest) {
    EXPECT_EQ(guest_error(Error{Status::Malformed, "x", {}}).code, Status::InvalidArgs);
    EXPECT_EQ(guest_error(Error{Status::Invalid, "x", {}}).code, Status::InvalidArgs);
    EXPECT_EQ(guest_error(Error{Status::IoError, "x", {}}).code, Status::DriverError);
    EXPECT_EQ(guest_error(Error{Status::Internal, "x", {}}).code, Status::DriverError);
    EXPECT_EQ(guest_error(Error{Status::Ok, "x", {}}).code, Status::DriverError);
    for (Status status : {Status::Timeout, Status::Unavailable, Status::DriverError,
                          Status::NotFound, Status::AccessDenied, Status::Limit}) {
        Error mapped = guest_error(Error{status, "kept", {}});
        EXPECT_EQ(mapped.code, status);
        EXPECT_STREQ(mapped.context, "kept");
    }
}

class BridgeTest : public ::testing::Test {
  protected:
    protocol::ManualClock kernel_clock{1'000'000};
    protocol::ManualClock driver_clock{9'000'000'000};
    ScriptedDriver driver{DriverKind::KeyValue};
    KernelDriverBridge bridge{driver, Scope{"kv", KvScope{"p:", kAllKvFamilies, {}}},
                              kernel::ObjectId(7), clock_time(kernel_clock), driver_clock};
};

TEST_F(BridgeTest, D1_TheBudgetLeftCarriesOverToTheDriversClock) {
    ASSERT_TRUE(bridge.call(ProcessId(3), 1, Value(ValueList{"k"}),
                            kernel_clock.now_ns() + 250 * kNanosPerMilli));
    EXPECT_EQ(driver.last_deadline, driver_clock.now_ns() + 250 * kNanosPerMilli);
    EXPECT_EQ(driver.last_grant, "kv");
    EXPECT_EQ(driver.last_process, "pid 3");
}

TEST_F(BridgeTest, D1_ACallerTimeBehindTheKernelClockStillGivesTheWholeTimeout) {
    // An actor's current time is the time of the last message it handled, which may be long
    // past; the syscall measured the deadline from it, and so does the bridge.
    Nanos message_time = 5'000;
    KernelDriverBridge bridge_of_actor{driver, Scope{"kv", KvScope{"p:", kAllKvFamilies, {}}},
                                       kernel::ObjectId(9), [&](ProcessId) { return message_time; },
                                       driver_clock};
    kernel_clock.advance(60'000 * kNanosPerMilli);
    ASSERT_TRUE(bridge_of_actor.call(ProcessId(3), 1, Value(ValueList{"k"}),
                                     message_time + 100 * kNanosPerMilli));
    EXPECT_EQ(driver.last_deadline, driver_clock.now_ns() + 100 * kNanosPerMilli);
}

TEST_F(BridgeTest, D1_APassedDeadlineIsTimeoutWithoutRunning) {
    auto late = bridge.call(ProcessId(3), 1, Value(ValueList{"k"}), kernel_clock.now_ns());
    ASSERT_FALSE(late);
    EXPECT_EQ(late.error().code, Status::Timeout);
    EXPECT_EQ(driver.calls, 0);
}

TEST_F(BridgeTest, D4_BindingsSeparateProcessesAndPorts) {
    KernelDriverBridge second{driver, Scope{"kv", KvScope{"p:", kAllKvFamilies, {}}},
                              kernel::ObjectId(8), clock_time(kernel_clock), driver_clock};
    EXPECT_NE(bridge.binding(ProcessId(1)), bridge.binding(ProcessId(2)));
    EXPECT_NE(bridge.binding(ProcessId(1)), second.binding(ProcessId(1)));
    ASSERT_TRUE(bridge.call(ProcessId(2), 1, Value(ValueList{"k"}), kernel_clock.now_ns() + 1));
    EXPECT_EQ(driver.last_binding, bridge.binding(ProcessId(2)));
    bridge.release(ProcessId(2));
    EXPECT_EQ(driver.released, bridge.binding(ProcessId(2)));
}

TEST_F(BridgeTest, UnknownOpNeverReachesTheDriverAndErrorsAreMapped) {
    EXPECT_EQ(
        bridge.call(ProcessId(1), kv_op::kMulti, Value(), kernel_clock.now_ns() + 1).error().code,
        Status::InvalidArgs);
    EXPECT_EQ(driver.calls, 0);
    driver.answer = Err(Status::Corrupt, "store.corrupt");
    auto failed = bridge.call(ProcessId(1), 1, Value(ValueList{"k"}), kernel_clock.now_ns() + 1);
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().code, Status::DriverError);
    EXPECT_STREQ(failed.error().context, "store.corrupt");
}

TEST_F(BridgeTest, K40_TheDriversFaultsReachItsRegionAndFiveQuarantineIt) {
    observe::MetricsRegistry metrics;
    kernel::testing::RecordingSink sink;
    kernel::KernelGuard guard(kernel::KernelGuardConfig{}, kernel_clock, metrics, sink);
    kernel::RegionId region = *guard.add_driver("kv");
    bridge.report_faults(guard_faults(guard, region));
    auto call = [&] {
        return bridge.call(ProcessId(1), 1, Value(ValueList{"k"}), kernel_clock.now_ns() + 1);
    };
    // Answers about the request are not the driver's faults.
    for (Status answer :
         {Status::NotFound, Status::AccessDenied, Status::DriverError, Status::Invalid}) {
        driver.answer = Err(answer, "an answer");
        ASSERT_FALSE(call());
    }
    EXPECT_EQ(guard.pending(region), 0u);
    // The driver failing is: through the region's gateway, and the guest still sees its error.
    driver.answer = Err(Status::Unavailable, "kv.down");
    for (int i = 0; i < 4; ++i)
        EXPECT_EQ(call().error().code, Status::Unavailable);
    EXPECT_EQ(guard.pending(region), 4u);
    guard.serve();
    EXPECT_EQ(*guard.state(region), kernel::RegionState::Degraded);
    driver.answer = Err(Status::Timeout, "kv.slow");
    EXPECT_EQ(call().error().code, Status::Timeout);
    guard.serve();
    EXPECT_EQ(*guard.state(region), kernel::RegionState::Quarantined);  // K-40: 5 in 60 s.
    EXPECT_EQ(sink.count("region.quarantined"), 1u);
    EXPECT_EQ(*driver_fault_kind(Status::Limit), kernel::FaultKind::ResourceExhausted);
    EXPECT_FALSE(driver_fault_kind(Status::NotFound));
}

TEST(PortObjectType, EachKindHasTheObjectTypeWhoseDefaultRightsCoverItsOps) {
    EXPECT_EQ(port_object_type(DriverKind::KeyValue), kernel::ObjectType::RedisKeyspace);
    EXPECT_EQ(port_object_type(DriverKind::Sql), kernel::ObjectType::PgStatement);
    EXPECT_EQ(port_object_type(DriverKind::Topic), kernel::ObjectType::KafkaTopic);
    EXPECT_TRUE(kernel::default_rights(kernel::ObjectType::PgStatement).contains(Right::Execute));
    EXPECT_TRUE(kernel::default_rights(kernel::ObjectType::RedisKeyspace).contains(Right::Delete));
}

TEST(RecordMessage, D3_RecordThenPayloadBytes) {
    TopicRecord record;
    record.key = "emp-1";
    record.value = std::string("\x00\x01payload", 9);
    record.headers = {{"source", "hr"}};
    record.partition = 2;
    record.offset = 41;
    record.timestamp = 1'700'000'000'000'000'000;
    Value header(ValueMap{{"key", bytes_value("emp-1")},
                          {"headers", Value(ValueMap{{"source", bytes_value("hr")}})},
                          {"partition", Value(i64{2})},
                          {"offset", Value(i64{41})},
                          {"timestamp", Value(kernel::abi::Timestamp{record.timestamp})},
                          {"tombstone", Value(false)}});
    std::vector<u8> expected = kernel::abi::encode_value(header);
    expected.insert(expected.end(), record.value->begin(), record.value->end());
    EXPECT_EQ(record_message_payload(record), expected);
    // The record part alone decodes as one value.
    std::size_t header_size = expected.size() - record.value->size();
    auto decoded = kernel::abi::decode_value(ByteSpan(expected.data(), header_size));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded, header);
}

TEST(RecordMessage, D3_TombstoneHasNoPayloadAndSaysSo) {
    TopicRecord record;
    record.partition = 0;
    record.offset = 3;
    std::vector<u8> payload = record_message_payload(record);
    auto decoded = kernel::abi::decode_value(ByteSpan(payload.data(), payload.size()));
    ASSERT_TRUE(decoded);
    EXPECT_EQ(*decoded->find("tombstone"), Value(true));
    EXPECT_TRUE(decoded->find("key")->is_null());
}

}  // namespace
}  // namespace esta::drivers
