#include "kernel/supervisor.h"

#include <gtest/gtest.h>

namespace esta::kernel {
namespace {

constexpr Nanos kSecond = kNanosPerSecond;
constexpr Nanos kMs = kNanosPerMilli;
constexpr Nanos kStart = 1'700'000'000 * kSecond;  // Any instant; the clock is injected.

using L = EscalationLevel;

TEST(Supervisor, K30_ThreeFailuresWithinSixtySecondsMoveUpOneLevel) {
    Escalation escalation;
    EXPECT_EQ(escalation.record_failure(kStart), L::RestartWithState);
    EXPECT_EQ(escalation.record_failure(kStart + 10 * kSecond), L::RestartWithState);
    // The third within 60 s is answered one level up, and the count starts again there.
    EXPECT_EQ(escalation.record_failure(kStart + 59 * kSecond), L::RestartClean);
    EXPECT_EQ(escalation.record_failure(kStart + 60 * kSecond), L::RestartClean);
    EXPECT_EQ(escalation.record_failure(kStart + 61 * kSecond), L::RestartClean);
    EXPECT_EQ(escalation.record_failure(kStart + 62 * kSecond), L::ReloadModule);
    EXPECT_EQ(escalation.level(), L::ReloadModule);
}

TEST(Supervisor, K30_FailuresSpreadOverMoreThanSixtySecondsStayAtTheLevel) {
    Escalation escalation;
    for (int i = 0; i < 10; ++i)
        EXPECT_EQ(escalation.record_failure(kStart + i * 30 * kSecond), L::RestartWithState) << i;
    // Exactly 60 s apart is outside the window: two at +0/+60 and one at +120 never make 3.
    Escalation edge;
    EXPECT_EQ(edge.record_failure(kStart), L::RestartWithState);
    EXPECT_EQ(edge.record_failure(kStart + 59 * kSecond), L::RestartWithState);
    EXPECT_EQ(edge.record_failure(kStart + 60 * kSecond), L::RestartWithState);
    EXPECT_EQ(edge.record_failure(kStart + 61 * kSecond), L::RestartClean);
}

TEST(Supervisor, K30_AnyFailureAtL4GoesToL5AndL5Stays) {
    Escalation escalation;
    Nanos now = kStart;
    for (int i = 0; i < 9; ++i)
        (void)escalation.record_failure(now += kSecond);
    ASSERT_EQ(escalation.level(), L::RestartSupervisor);
    // One failure, long after the others, is enough at L4.
    EXPECT_EQ(escalation.record_failure(now + kNanosPerHour), L::RestartSystem);
    EXPECT_EQ(escalation.record_failure(now + 2 * kNanosPerHour), L::RestartSystem);
    escalation.reset();
    EXPECT_EQ(escalation.level(), L::RestartWithState);
    EXPECT_EQ(escalation_level_name(L::ReloadModule), "L3 reload module");
}

TEST(Supervisor, K30_AfterAnL4RestartAnyChildsFailureGoesToL5UntilStable) {
    Supervisor supervisor =
        std::move(*Supervisor::create(RestartStrategy::OneForOne, {"a", "b", "c"}));
    Nanos now = kStart;
    while (supervisor.level(0) < L::RestartSupervisor)
        ASSERT_TRUE(supervisor.on_child_failure(0, now += kSecond));
    EXPECT_TRUE(supervisor.at_supervisor_level());
    // A sibling that never failed: its first failure is the system's.
    auto sibling = supervisor.on_child_failure(2, now += kSecond);
    EXPECT_EQ(sibling->level, L::RestartSystem);
    EXPECT_EQ(sibling->children, (std::vector<std::size_t>{0, 1, 2}));
    // Once every child that restarted has been stable, the mark clears.
    ASSERT_TRUE(supervisor.on_child_stable(0));
    EXPECT_TRUE(supervisor.at_supervisor_level());  // Child 2 restarted too.
    ASSERT_TRUE(supervisor.on_child_stable(2));
    EXPECT_FALSE(supervisor.at_supervisor_level());
    EXPECT_EQ(supervisor.on_child_failure(1, now += kSecond)->level, L::RestartWithState);
    supervisor.reset();
    EXPECT_EQ(supervisor.level(1), L::RestartWithState);
}

TEST(Supervisor, K31_RestartBackoffDoublesToCap) {
    EXPECT_EQ(restart_delay(0), 0);
    EXPECT_EQ(restart_delay(1), 0);
    EXPECT_EQ(restart_delay(2), 1000 * kMs);
    EXPECT_EQ(restart_delay(3), 2000 * kMs);
    EXPECT_EQ(restart_delay(4), 4000 * kMs);
    EXPECT_EQ(restart_delay(5), 8000 * kMs);
    EXPECT_EQ(restart_delay(6), 16000 * kMs);
    EXPECT_EQ(restart_delay(7), 30000 * kMs);
    EXPECT_EQ(restart_delay(8), 30000 * kMs);
    EXPECT_EQ(restart_delay(0xFFFF'FFFFu), 30000 * kMs);
}

Message message_with(u64 seq, std::vector<u8> payload) {
    Message message;
    message.type = MessageType{0x0010};
    message.sender = ProcessId{7};
    message.seq = seq;
    message.payload = std::move(payload);
    return message;
}

wasm::Trap trap_of(wasm::TrapKind kind) {
    return wasm::Trap{kind, "test", 3, 0x1a};
}

TEST(Supervisor, K31_PoisonTrapsGoToTheDeadLetterSinkWithTheTrap) {
    const wasm::TrapKind poison[] = {
        wasm::TrapKind::Unreachable,          wasm::TrapKind::IntegerDivideByZero,
        wasm::TrapKind::IntegerOverflow,      wasm::TrapKind::OutOfBounds,
        wasm::TrapKind::IndirectCallMismatch, wasm::TrapKind::CallStackExhausted,
        wasm::TrapKind::FuelExhausted};
    InMemoryDeadLetters sink;
    PoisonFilter filter(sink);
    u64 seq = 1;
    for (wasm::TrapKind kind : poison) {
        EXPECT_EQ(classify_trap(kind), TrapClass::Poison);
        auto disposition = filter.on_handler_trap(ProcessId{2}, message_with(seq++, {1, 2, 3}),
                                                  trap_of(kind), kStart);
        ASSERT_TRUE(disposition);
        EXPECT_EQ(*disposition, MessageDisposition::DeadLettered);
    }
    ASSERT_EQ(sink.records().size(), std::size(poison));
    const DeadLetterRecord& first = sink.records()[0];
    EXPECT_EQ(first.trap, wasm::TrapKind::Unreachable);
    EXPECT_EQ(first.trap_function, 3u);
    EXPECT_EQ(first.trap_offset, 0x1au);
    EXPECT_EQ(first.attempts, 1u);
    EXPECT_EQ(first.process, ProcessId{2});
    EXPECT_EQ(first.sender, ProcessId{7});
    EXPECT_EQ(first.payload, (std::vector<u8>{1, 2, 3}));
    EXPECT_EQ(first.time, kStart);
    EXPECT_EQ(filter.pending_retries(), 0u);
}

TEST(Supervisor, K31_TimeoutAndOutOfMemoryAreRetriedOnce) {
    for (wasm::TrapKind kind : {wasm::TrapKind::Timeout, wasm::TrapKind::OutOfMemory}) {
        InMemoryDeadLetters sink;
        PoisonFilter filter(sink);
        Message message = message_with(5, {9});
        EXPECT_EQ(*filter.on_handler_trap(ProcessId{2}, message, trap_of(kind), kStart),
                  MessageDisposition::Retry);
        EXPECT_TRUE(sink.records().empty());
        EXPECT_EQ(*filter.on_handler_trap(ProcessId{2}, message, trap_of(kind), kStart + kSecond),
                  MessageDisposition::DeadLettered);
        ASSERT_EQ(sink.records().size(), 1u);
        EXPECT_EQ(sink.records()[0].attempts, 2u);
        EXPECT_EQ(filter.pending_retries(), 0u);
    }
}

TEST(Supervisor, K31_AHandledRetryForgetsTheAttemptAndNonTrapsAreNotMessageFaults) {
    InMemoryDeadLetters sink;
    PoisonFilter filter(sink);
    Message message = message_with(5, {});
    EXPECT_EQ(
        *filter.on_handler_trap(ProcessId{2}, message, trap_of(wasm::TrapKind::Timeout), kStart),
        MessageDisposition::Retry);
    filter.on_handled(ProcessId{2}, 5);
    EXPECT_EQ(filter.pending_retries(), 0u);
    // Same seq in another process is another message.
    EXPECT_EQ(
        *filter.on_handler_trap(ProcessId{3}, message, trap_of(wasm::TrapKind::Timeout), kStart),
        MessageDisposition::Retry);
    EXPECT_EQ(
        *filter.on_handler_trap(ProcessId{2}, message, trap_of(wasm::TrapKind::Timeout), kStart),
        MessageDisposition::Retry);
    EXPECT_EQ(*filter.on_handler_trap(ProcessId{2}, message, trap_of(wasm::TrapKind::None), kStart),
              MessageDisposition::NotAMessageFault);
    EXPECT_TRUE(sink.records().empty());
}

class FailingSink final : public DeadLetterSink {
  public:
    Result<void> add(DeadLetterRecord) override { return Err(Status::IoError, "test.sink"); }
};

TEST(Supervisor, K31_ASinkErrorIsReturnedAndTheAttemptKept) {
    FailingSink sink;
    PoisonFilter filter(sink);
    Message message = message_with(5, {});
    ASSERT_EQ(
        *filter.on_handler_trap(ProcessId{2}, message, trap_of(wasm::TrapKind::Timeout), kStart),
        MessageDisposition::Retry);
    auto result =
        filter.on_handler_trap(ProcessId{2}, message, trap_of(wasm::TrapKind::Timeout), kStart);
    ASSERT_FALSE(result);
    EXPECT_EQ(result.error().code, Status::IoError);
    EXPECT_EQ(filter.pending_retries(), 1u);
}

TEST(Supervisor, K32_StrategiesChooseTheChildren) {
    using V = std::vector<std::size_t>;
    EXPECT_EQ(children_to_restart(RestartStrategy::OneForOne, 4, 2), (V{2}));
    EXPECT_EQ(children_to_restart(RestartStrategy::OneForAll, 4, 2), (V{0, 1, 2, 3}));
    EXPECT_EQ(children_to_restart(RestartStrategy::RestForOne, 4, 1), (V{1, 2, 3}));
    EXPECT_EQ(children_to_restart(RestartStrategy::RestForOne, 4, 3), (V{3}));
}

TEST(Supervisor, K32_SupervisorPlansCombineStrategyEscalationAndBackoff) {
    auto created = Supervisor::create(RestartStrategy::RestForOne, {"db", "accrual", "audit"});
    ASSERT_TRUE(created);
    Supervisor supervisor = std::move(*created);
    EXPECT_EQ(supervisor.child_name(1), "accrual");

    auto first = supervisor.on_child_failure(1, kStart);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->level, L::RestartWithState);
    EXPECT_EQ(first->children, (std::vector<std::size_t>{1, 2}));
    EXPECT_EQ(first->restart, 1u);
    EXPECT_EQ(first->not_before, kStart);

    auto second = supervisor.on_child_failure(1, kStart + kSecond);
    EXPECT_EQ(second->not_before, kStart + 2 * kSecond);
    auto third = supervisor.on_child_failure(1, kStart + 2 * kSecond);
    EXPECT_EQ(third->level, L::RestartClean);
    // The first restart at a new level is immediate; the backoff counts again from there.
    EXPECT_EQ(third->restart, 1u);
    EXPECT_EQ(third->not_before, kStart + 2 * kSecond);
    auto fourth = supervisor.on_child_failure(1, kStart + 3 * kSecond);
    EXPECT_EQ(fourth->level, L::RestartClean);
    EXPECT_EQ(fourth->not_before, kStart + 4 * kSecond);
    // The other children keep their own state.
    EXPECT_EQ(supervisor.level(0), L::RestartWithState);

    // Up to L4: every child, whatever the strategy.
    Nanos now = kStart + 3 * kSecond;
    while (supervisor.level(1) < L::RestartSupervisor)
        ASSERT_TRUE(supervisor.on_child_failure(1, now += kSecond));
    auto system = supervisor.on_child_failure(1, now += kSecond);
    EXPECT_EQ(system->level, L::RestartSystem);
    EXPECT_EQ(system->children, (std::vector<std::size_t>{0, 1, 2}));

    ASSERT_TRUE(supervisor.on_child_stable(1));
    EXPECT_FALSE(supervisor.at_supervisor_level());
    auto fresh = supervisor.on_child_failure(1, now += kSecond);
    EXPECT_EQ(fresh->level, L::RestartWithState);
    EXPECT_EQ(fresh->restart, 1u);

    EXPECT_EQ(supervisor.on_child_failure(3, now).error().code, Status::InvalidArgs);
    EXPECT_EQ(supervisor.on_child_stable(3).error().code, Status::InvalidArgs);
    EXPECT_EQ(Supervisor::create(RestartStrategy::OneForOne, {}).error().code, Status::InvalidArgs);
}

}  // namespace
}  // namespace esta::kernel
