// Guests that misbehave: bad pointers (K-21), an infinite loop (K-6), a memory hog (E-5) and
// a deep recursion (trap 4006). Each is refused or stopped on its own; the kernel and the
// other processes carry on (a ping/pong pair runs beside each).
#include <gtest/gtest.h>

#include "guest_kernel.h"

namespace esta::kernel::testing {
namespace {

constexpr i64 kInvalidArgs = -8, kOutOfBounds = -9;

#define ESTA_REQUIRE_GUESTS() \
    if (!guests_built()) GTEST_SKIP() << "clang-14 / wasm-ld-14 not installed"

// A ping/pong pair as bystanders (pids 101 and 102): both must end as they do alone.
struct Bystanders {
    explicit Bystanders(GuestKernel& kernel)
        : ping(kernel.start("ping", 101)), pong(kernel.start("pong", 102)) {
        kernel.connect(*ping, "peer", *pong, Right::Write, 1);
        kernel.connect(*pong, "peer", *ping, Right::Write, 2);
    }
    void expect_unharmed(GuestKernel& kernel) const {
        EXPECT_EQ(ping->exit_reason()->to_string(), "normal");
        abi::AbiValue report = kernel.report_of(101);
        EXPECT_EQ(GuestKernel::entry(report, "rounds"), 10);
        EXPECT_EQ(GuestKernel::entry(report, "mismatches"), 0);
        EXPECT_EQ(pong->failed_messages(), 0u);
    }
    Ref<Process> ping;
    Ref<Process> pong;
};

TEST(GuestFaults, K21_BadPointersAreOutOfBoundsAndTrapOnlyTheCaller) {
    ESTA_REQUIRE_GUESTS();
    GuestKernel kernel;
    auto target = make_ref<Endpoint>(kernel.ids.next(), "target", ProcessId(1001), MailboxConfig{});
    Ref<Process> guest = kernel.start("bad_pointers", 1);
    Bystanders bystanders(kernel);
    ASSERT_TRUE(guest->add_grant("target", kernel.tree.grant(target, Right::Write | Right::Transfer,
                                                             {}, kKernelProcess, 0)));
    kernel.run();

    abi::AbiValue report = kernel.report_of(1);
    for (const char* key :
         {"lookup_past_end", "lookup_wraps", "send_payload_past_end", "send_payload_huge",
          "send_handles_past_end", "recv_buffer_past_end", "recv_info_past_end",
          "info_out_past_end", "derive_restrictions_past_end", "random_past_end", "log_past_end"}) {
        EXPECT_EQ(GuestKernel::entry(report, key), kOutOfBounds) << key;
    }
    EXPECT_EQ(GuestKernel::entry(report, "send_five_handles"), kInvalidArgs);
    EXPECT_EQ(GuestKernel::entry(report, "derive_restrictions_malformed"), kInvalidArgs);
    EXPECT_EQ(GuestKernel::entry(report, "still_works"), 1);
    EXPECT_EQ(target->mailbox().size(), 1u);  // Only the one good send arrived.
    // Its own out-of-bounds store is a wasm trap: this process ends, nothing else does.
    EXPECT_EQ(guest->exit_reason()->to_string(), "crashed(trap 4004)");
    bystanders.expect_unharmed(kernel);
}

TEST(GuestFaults, K6_InfiniteLoopIsPreemptedAtTheNextSafepoint) {
    ESTA_REQUIRE_GUESTS();
    GuestKernel kernel;
    SpawnRequest high;
    high.priority = Priority::High;
    Ref<Process> waiter = kernel.start("waiter", 2, std::move(high));
    SpawnRequest low;
    low.priority = Priority::Low;
    low.budgets.fuel_per_slice = 200'000;
    Ref<Process> looper = kernel.start("infinite_loop", 1, std::move(low));
    kernel.connect(*looper, "waiter", *waiter, Right::Write);

    auto slice = [&] {
        kernel.clock.advance(kNanosPerMilli);
        auto report = kernel.scheduler.run_next(kernel.clock.now_ns());
        EXPECT_TRUE(report.has_value() && report->has_value());
        return report && *report ? **report : SliceReport{};
    };
    SliceReport first = slice();  // The waiter starts and waits.
    EXPECT_EQ(first.pid, waiter->pid());
    EXPECT_EQ(waiter->state(), ProcessState::Waiting);
    // The looper wakes the waiter, which outranks it: it stops at its next safepoint, a few
    // instructions later, not at the end of its 200 000-unit slice.
    SliceReport woke = slice();
    EXPECT_EQ(woke.pid, looper->pid());
    EXPECT_TRUE(woke.preempted);
    EXPECT_EQ(woke.state, ProcessState::Ready);
    EXPECT_LT(woke.fuel_used, 1'000u);
    SliceReport waited = slice();
    EXPECT_EQ(waited.pid, waiter->pid());
    EXPECT_EQ(waiter->exit_reason()->to_string(), "normal");
    EXPECT_EQ(GuestKernel::entry(kernel.report_of(2), "type"), 0x60);
    // Alone, the looper runs slice after slice and never ends; what it gets is bounded by its
    // slices' fuel. A slice after a preemption also spends the fuel the preempted one left
    // (the engine's resume adds a slice's fuel to what remains), so the bound is on the sum.
    for (int i = 0; i < 5; ++i) {
        SliceReport spun = slice();
        EXPECT_EQ(spun.pid, looper->pid());
        EXPECT_EQ(spun.state, ProcessState::Ready);
        EXPECT_FALSE(spun.preempted);
        EXPECT_GT(spun.fuel_used, 0u);
        EXPECT_LE(spun.fuel_used, 2 * 200'000u);
    }
    EXPECT_GE(looper->fuel_used(), 5 * 199'000u);
    EXPECT_LE(looper->fuel_used(), 6 * 200'000u);  // Six slices, the preempted one included.
    // Bystanders started now still get their turns beside it.
    Bystanders bystanders(kernel);
    kernel.run(200);
    bystanders.expect_unharmed(kernel);
    EXPECT_EQ(looper->state(), ProcessState::Ready);
    looper->kill();
    EXPECT_EQ(looper->exit_reason()->to_string(), "killed");
}

TEST(GuestFaults, E5_MemoryHogStopsAtItsMemoryClassThenTraps) {
    ESTA_REQUIRE_GUESTS();
    GuestKernel kernel;
    SpawnRequest request;
    request.budgets.memory.max_memory_pages = 256;  // The user class: 16 MiB.
    Ref<Process> hog = kernel.start("memory_hog", 1, std::move(request));
    Bystanders bystanders(kernel);
    kernel.run();
    abi::AbiValue report = kernel.report_of(1);
    EXPECT_EQ(GuestKernel::entry(report, "pages"), 256);
    EXPECT_EQ(GuestKernel::entry(report, "last_grow_by_one"), -1);
    EXPECT_GT(GuestKernel::entry(report, "grows"), 0);
    EXPECT_EQ(hog->exit_reason()->to_string(), "crashed(trap 4004)");
    bystanders.expect_unharmed(kernel);
}

TEST(GuestFaults, E6_DeepRecursionTrapsWithCallDepth) {
    ESTA_REQUIRE_GUESTS();
    GuestKernel kernel;
    Ref<Process> recursing = kernel.start("deep_recursion", 1);
    Bystanders bystanders(kernel);
    kernel.run();
    EXPECT_EQ(recursing->exit_reason()->to_string(), "crashed(trap 4006)");
    bystanders.expect_unharmed(kernel);
}

}  // namespace
}  // namespace esta::kernel::testing
