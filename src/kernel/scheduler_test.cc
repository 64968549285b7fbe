#include "kernel/scheduler.h"

#include <gtest/gtest.h>

#include "kernel/test_support.h"

namespace esta::kernel {
namespace {

using Bytes = std::vector<u8>;

// (import "t" "poke" (func)) (func (export "_start") (loop (call 0) (br 0)))
const Bytes kPokeLoop = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01,
                         0x60, 0x00, 0x00, 0x02, 0x0a, 0x01, 0x01, 't',  0x04, 'p',  'o',
                         'k',  'e',  0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x0a, 0x01,
                         0x06, '_',  's',  't',  'a',  'r',  't',  0x00, 0x01, 0x0a, 0x0b,
                         0x01, 0x09, 0x00, 0x03, 0x40, 0x10, 0x00, 0x0c, 0x00, 0x0b, 0x0b};
// (import "t" "wait" (func)) (func (export "_start") (call 0))
const Bytes kWaitOnce = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04,
                         0x01, 0x60, 0x00, 0x00, 0x02, 0x0a, 0x01, 0x01, 't',  0x04,
                         'w',  'a',  'i',  't',  0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
                         0x07, 0x0a, 0x01, 0x06, '_',  's',  't',  'a',  'r',  't',
                         0x00, 0x01, 0x0a, 0x06, 0x01, 0x04, 0x00, 0x10, 0x00, 0x0b};
// (import "t" "wait" (func)) (func (export "_start") (call 0) (loop (br 0)))
const Bytes kWaitThenLoop = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01,
                             0x60, 0x00, 0x00, 0x02, 0x0a, 0x01, 0x01, 't',  0x04, 'w',  'a',
                             'i',  't',  0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x0a, 0x01,
                             0x06, '_',  's',  't',  'a',  'r',  't',  0x00, 0x01, 0x0a, 0x0b,
                             0x01, 0x09, 0x00, 0x10, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b};

// `wait` parks its process once (as a blocking recv would); `poke` wakes `target` once.
class TestImports final : public ImportProvider {
  public:
    explicit TestImports(Scheduler& scheduler) : m_scheduler(scheduler) {}
    void define_imports(wasm::Store& store, Process& process, wasm::Linker& linker) override {
        Process* self = &process;
        auto wait = store.create_host_function(
            wasm::FuncType{},
            [self, waited = false](wasm::HostContext&, std::span<const wasm::Value>,
                                   std::span<wasm::Value>) mutable {
                if (waited) return wasm::HostResult::ok();
                waited = true;
                self->prepare_wait(ProcessState::Waiting);
                return wasm::HostResult::block();
            });
        auto poke = store.create_host_function(
            wasm::FuncType{},
            [this](wasm::HostContext&, std::span<const wasm::Value>, std::span<wasm::Value>) {
                if (target) m_scheduler.wake(*std::exchange(target, std::nullopt));
                return wasm::HostResult::ok();
            });
        linker.define("t", "wait", wasm::Extern::of(wait));
        linker.define("t", "poke", wasm::Extern::of(poke));
    }
    std::optional<ProcessId> target;

  private:
    Scheduler& m_scheduler;
};

class SchedulerTest : public ::testing::Test {
  protected:
    Ref<Process> spawn(const Bytes& bytes, Priority priority, u64 fuel = 100'000) {
        auto module = wasm::compile(ByteSpan(bytes.data(), bytes.size()));
        EXPECT_TRUE(module.has_value()) << module.error().to_string();
        SpawnRequest request;
        request.module = *module;
        request.priority = priority;
        request.budgets.fuel_per_slice = fuel;
        auto process =
            Process::spawn(std::move(request), ProcessId(++last_pid), ids, tree, imports);
        EXPECT_TRUE(process.has_value()) << process.error().to_string();
        return *process;
    }
    Ref<Process> add(const Bytes& bytes, Priority priority, Nanos now = 0, u64 fuel = 100'000) {
        Ref<Process> process = spawn(bytes, priority, fuel);
        EXPECT_TRUE(scheduler.add(process, now).has_value());
        return process;
    }
    ProcessId run(Nanos now = 0) {
        auto report = scheduler.run_next(now);
        EXPECT_TRUE(report.has_value() && report->has_value());
        return (*report)->pid;
    }

    testing::RecordingAudit audit;
    CapTree tree{audit};
    ObjectIdAllocator ids;
    Scheduler scheduler;
    TestImports imports{scheduler};
    u32 last_pid = 0;
};

const Bytes& returns() {
    static const Bytes bytes = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01,
                                0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00,
                                0x07, 0x0a, 0x01, 0x06, '_',  's',  't',  'a',  'r',
                                't',  0x00, 0x00, 0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b};
    return bytes;
}

TEST(SchedulerAging, K2_AgingRule) {
    SchedulerConfig config;
    auto aged = [&](Priority base, Nanos waited) {
        return effective_priority(base, waited, config);
    };
    EXPECT_EQ(aged(Priority::Low, 0), Priority::Low);
    EXPECT_EQ(aged(Priority::Low, kNanosPerSecond - 1), Priority::Low);  // Full seconds only.
    EXPECT_EQ(aged(Priority::Low, kNanosPerSecond), Priority::Normal);
    EXPECT_EQ(aged(Priority::Low, 2 * kNanosPerSecond), Priority::High);
    EXPECT_EQ(aged(Priority::Low, 60 * kNanosPerSecond), Priority::High);      // At most +2.
    EXPECT_EQ(aged(Priority::High, 5 * kNanosPerSecond), Priority::Realtime);  // Capped.
    EXPECT_EQ(aged(Priority::Realtime, 5 * kNanosPerSecond), Priority::Realtime);
    EXPECT_EQ(aged(Priority::System, 0), Priority::System);  // Never demoted.
    EXPECT_EQ(aged(Priority::Idle, -5), Priority::Idle);     // No negative aging.
}

TEST(SchedulerAging, K2_SlicesAndCapacities) {
    EXPECT_EQ(time_slice(Priority::Idle), 100 * kNanosPerMilli);
    EXPECT_EQ(time_slice(Priority::Low), 50 * kNanosPerMilli);
    EXPECT_EQ(time_slice(Priority::Normal), 25 * kNanosPerMilli);
    EXPECT_EQ(time_slice(Priority::High), 15 * kNanosPerMilli);
    EXPECT_EQ(time_slice(Priority::Realtime), 10 * kNanosPerMilli);
    EXPECT_EQ(time_slice(Priority::System), 0);  // Runs to completion.
}

TEST_F(SchedulerTest, K2_HighestPriorityFirstFifoAmongEquals) {
    ProcessId low = add(returns(), Priority::Low)->pid();
    ProcessId first = add(returns(), Priority::Normal)->pid();
    ProcessId second = add(returns(), Priority::Normal)->pid();
    EXPECT_EQ(run(), first);
    EXPECT_EQ(run(), second);
    EXPECT_EQ(run(), low);
    EXPECT_FALSE(scheduler.run_next(0)->has_value());
}

TEST_F(SchedulerTest, K2_AgedLowOutranksAFreshNormal) {
    ProcessId low = add(returns(), Priority::Low, 0)->pid();
    ProcessId normal = add(returns(), Priority::Normal, 2 * kNanosPerSecond)->pid();
    EXPECT_EQ(scheduler.effective_priority_of(low, 2 * kNanosPerSecond), Priority::High);
    EXPECT_EQ(run(2 * kNanosPerSecond), low);
    EXPECT_EQ(run(2 * kNanosPerSecond), normal);
}

TEST_F(SchedulerTest, K6_SpentSliceGoesBackToTheReadyQueue) {
    imports.target.reset();
    ProcessId looper = add(kPokeLoop, Priority::Low, 0, 5000)->pid();
    auto report = scheduler.run_next(0);
    ASSERT_TRUE(report.has_value() && report->has_value());
    EXPECT_EQ((*report)->pid, looper);
    EXPECT_EQ((*report)->state, ProcessState::Ready);
    EXPECT_FALSE((*report)->preempted);
    EXPECT_GT((*report)->fuel_used, 4900u);  // It ran its whole slice.
    EXPECT_EQ(scheduler.stats().ready, 1u);
}

TEST_F(SchedulerTest, K6_HigherPriorityBecomingReadyPreemptsAtTheNextSafepoint) {
    Ref<Process> high = add(kWaitOnce, Priority::High);
    Ref<Process> low = add(kPokeLoop, Priority::Low, 0, 1'000'000);
    EXPECT_EQ(run(), high->pid());
    EXPECT_EQ(high->state(), ProcessState::Waiting);
    EXPECT_EQ(scheduler.stats().waiting, 1u);

    imports.target = high->pid();  // Low's first `poke` makes High ready.
    auto report = scheduler.run_next(0);
    ASSERT_TRUE(report.has_value() && report->has_value());
    EXPECT_EQ((*report)->pid, low->pid());
    EXPECT_TRUE((*report)->preempted);
    EXPECT_EQ((*report)->state, ProcessState::Ready);
    // Within one safepoint interval (one loop iteration here), not its million-unit slice.
    EXPECT_LT((*report)->fuel_used, 10u);
    EXPECT_EQ(run(), high->pid());
    EXPECT_EQ(high->state(), ProcessState::Completed);
    EXPECT_EQ(scheduler.stats().preemptions, 1u);
}

TEST_F(SchedulerTest, K6_AfterTheWakeTheLowerRunsAtMostOneSafepointInterval) {
    // Low spins a full slice first, then pokes High awake mid-slice: from the poke to the
    // preemption it runs at most one loop iteration (call + br: the safepoint interval).
    Ref<Process> high = add(kWaitOnce, Priority::High);
    Ref<Process> low = add(kPokeLoop, Priority::Low, 0, 5000);
    EXPECT_EQ(run(), high->pid());
    imports.target.reset();
    auto spin = scheduler.run_next(0);
    ASSERT_TRUE(spin.has_value() && spin->has_value());
    EXPECT_EQ((*spin)->pid, low->pid());
    u64 before = low->fuel_used();
    imports.target = high->pid();
    auto report = scheduler.run_next(0);
    ASSERT_TRUE(report.has_value() && report->has_value());
    EXPECT_EQ((*report)->pid, low->pid());
    EXPECT_TRUE((*report)->preempted);
    // One iteration of `(loop (call 0) (br 0))` costs 3 fuel: the poke's call, the branch
    // back (a safepoint), and the loop header counted once more on re-entry at most.
    EXPECT_LE(low->fuel_used() - before, 4u);
    EXPECT_EQ(run(), high->pid());
}

TEST_F(SchedulerTest, K2_K6_NoSliceRunsMoreThanItsFuelAfterBlockingOrPreemption) {
    // Blocked after two units of its slice: the next slice still has exactly one slice of
    // fuel (the leftover is topped up, not added).
    constexpr u64 kSlice = 5000;
    Ref<Process> waiter = add(kWaitThenLoop, Priority::Normal, 0, kSlice);
    auto first = scheduler.run_next(0);
    ASSERT_TRUE(first.has_value() && first->has_value());
    EXPECT_EQ((*first)->state, ProcessState::Waiting);
    EXPECT_LT((*first)->fuel_used, 10u);
    scheduler.wake(waiter->pid());
    for (int slice = 0; slice < 3; ++slice) {
        auto report = scheduler.run_next(0);
        ASSERT_TRUE(report.has_value() && report->has_value());
        EXPECT_EQ((*report)->state, ProcessState::Ready);
        EXPECT_LE((*report)->fuel_used, kSlice);
        EXPECT_GT((*report)->fuel_used, kSlice - 10);
    }
    ASSERT_TRUE(scheduler.remove(waiter->pid()));

    // Preempted a few units into its slice: the next one is again at most one slice.
    Ref<Process> high = add(kWaitOnce, Priority::High);
    Ref<Process> low = add(kPokeLoop, Priority::Low, 0, kSlice);
    EXPECT_EQ(run(), high->pid());
    imports.target = high->pid();
    auto preempted = scheduler.run_next(0);
    ASSERT_TRUE(preempted.has_value() && preempted->has_value());
    EXPECT_TRUE((*preempted)->preempted);
    EXPECT_EQ(run(), high->pid());
    auto next = scheduler.run_next(0);
    ASSERT_TRUE(next.has_value() && next->has_value());
    EXPECT_EQ((*next)->pid, low->pid());
    EXPECT_LE((*next)->fuel_used, kSlice);
    EXPECT_GT((*next)->fuel_used, kSlice - 10);
}

TEST_F(SchedulerTest, K3_ExpiredReceiveDeadlineMakesTheProcessReady) {
    Ref<Process> waiter = add(kWaitOnce, Priority::Normal);
    EXPECT_EQ(run(), waiter->pid());
    ASSERT_EQ(waiter->state(), ProcessState::Waiting);
    waiter->mailbox().park_receiver(message_types::kAny, Timeout::until(100));
    EXPECT_FALSE(scheduler.run_next(99)->has_value());
    EXPECT_EQ(run(100), waiter->pid());
    EXPECT_EQ(waiter->state(), ProcessState::Completed);
}

TEST_F(SchedulerTest, K7_StatisticsCountStatesAndSwitches) {
    add(kWaitOnce, Priority::Normal);
    add(returns(), Priority::Low);
    EXPECT_EQ(scheduler.stats().ready, 2u);
    run();
    run();
    SchedulerStats stats = scheduler.stats();
    EXPECT_EQ(stats.ready, 0u);
    EXPECT_EQ(stats.waiting, 1u);
    EXPECT_EQ(stats.context_switches, 2u);
}

void queue_with_deadline(Process& process, std::optional<Nanos> deadline) {
    Message message;
    message.type = MessageType(0x10);
    message.deadline = deadline;
    ASSERT_TRUE(process.mailbox().send(std::move(message)));
}

TEST_F(SchedulerTest, K53_EarliestDeadlineFirstAmongRealtime) {
    Ref<Process> high = add(returns(), Priority::High);
    Ref<Process> none = add(returns(), Priority::Realtime);
    Ref<Process> late = add(returns(), Priority::Realtime);
    Ref<Process> soon = add(returns(), Priority::Realtime);
    Ref<Process> also_soon = add(returns(), Priority::Realtime);
    queue_with_deadline(*none, std::nullopt);
    queue_with_deadline(*late, 3000);
    queue_with_deadline(*soon, 1000);
    queue_with_deadline(*also_soon, 1000);
    queue_with_deadline(*high, 10);  // Below Realtime a deadline does not reorder.
    EXPECT_EQ(run(), soon->pid());
    EXPECT_EQ(run(), also_soon->pid());  // FIFO among equal deadlines.
    EXPECT_EQ(run(), late->pid());
    EXPECT_EQ(run(), none->pid());  // No deadline: after every one with one.
    EXPECT_EQ(run(), high->pid());
}

TEST_F(SchedulerTest, K53_AnAgedProcessCompetesByDeadlineAtRealtime) {
    // The aged one arrived later: only its earlier deadline puts it first.
    Ref<Process> realtime = add(returns(), Priority::Realtime, 0);
    Ref<Process> aged = add(returns(), Priority::High, 0);
    queue_with_deadline(*aged, 500);
    queue_with_deadline(*realtime, 900);
    EXPECT_EQ(scheduler.effective_priority_of(aged->pid(), kNanosPerSecond), Priority::Realtime);
    EXPECT_EQ(run(kNanosPerSecond), aged->pid());
}

TEST_F(SchedulerTest, K53_AnEarlierDeadlineBecomingReadyPreemptsTheRunningRealtime) {
    Ref<Process> urgent = add(kWaitOnce, Priority::Realtime);
    Ref<Process> relaxed = add(kWaitOnce, Priority::Realtime);
    Ref<Process> running = add(kPokeLoop, Priority::Realtime, 0, 100'000);
    EXPECT_EQ(run(), urgent->pid());
    EXPECT_EQ(run(), relaxed->pid());
    queue_with_deadline(*running, 500);
    queue_with_deadline(*relaxed, 900);
    queue_with_deadline(*urgent, 100);

    imports.target = relaxed->pid();  // A later deadline does not preempt.
    auto report = scheduler.run_next(0);
    ASSERT_TRUE(report.has_value() && report->has_value());
    EXPECT_EQ((*report)->pid, running->pid());
    EXPECT_FALSE((*report)->preempted);

    imports.target = urgent->pid();  // An earlier one does, at the next safepoint.
    report = scheduler.run_next(0);
    ASSERT_TRUE(report.has_value() && report->has_value());
    EXPECT_EQ((*report)->pid, running->pid());
    EXPECT_TRUE((*report)->preempted);
    EXPECT_LT((*report)->fuel_used, 10u);
    EXPECT_EQ(run(), urgent->pid());
}

}  // namespace
}  // namespace esta::kernel
