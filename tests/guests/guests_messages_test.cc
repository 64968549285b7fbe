// Guests in C exchanging messages under the kernel: ping/pong (an actor and a reactive
// module) and a forwarding chain of reactive links; order, types and badges are checked by
// the guests and reported back.
#include <gtest/gtest.h>

#include "guest_kernel.h"
#include "kernel/abi_table.h"

namespace esta::kernel::testing {
namespace {

#define ESTA_REQUIRE_GUESTS() \
    if (!guests_built()) GTEST_SKIP() << "clang-14 / wasm-ld-14 not installed"

TEST(GuestMessages, K4_PingPongInOrderWithTypesAndBadges) {
    ESTA_REQUIRE_GUESTS();
    GuestKernel kernel;
    Ref<Process> ping = kernel.start("ping", 1);
    Ref<Process> pong = kernel.start("pong", 2);
    ASSERT_TRUE(ping && pong);
    EXPECT_EQ(pong->style(), ModuleStyle::Reactive);
    kernel.connect(*ping, "peer", *pong, Right::Write, /*badge=*/11);
    kernel.connect(*pong, "peer", *ping, Right::Write, /*badge=*/22);
    kernel.run();

    EXPECT_EQ(ping->state(), ProcessState::Completed);
    EXPECT_EQ(ping->exit_reason()->to_string(), "normal");
    abi::AbiValue report = kernel.report_of(1);
    EXPECT_EQ(GuestKernel::entry(report, "rounds"), 10);
    EXPECT_EQ(GuestKernel::entry(report, "mismatches"), 0);
    EXPECT_EQ(GuestKernel::entry(report, "badge"), 22);  // How ping's endpoint names pong.
    EXPECT_EQ(GuestKernel::entry(report, "info_size"), abi::kInfoRecordSize);
    EXPECT_EQ(pong->state(), ProcessState::Waiting);  // A reactive module lives on.
    EXPECT_EQ(pong->failed_messages(), 0u);
}

// The same exchange with a pong built against wasi-libc (modules/pong_wasi.c).
TEST(GuestMessages, K20_SdkWorksBesideWasiLibc) {
    ESTA_REQUIRE_GUESTS();
#ifndef ESTA_GUESTS_WITH_WASI_LIBC
    GTEST_SKIP() << "wasi-libc not installed";
#endif
    GuestKernel kernel;
    Ref<Process> ping = kernel.start("ping", 1);
    Ref<Process> pong = kernel.start("pong_wasi", 2);
    ASSERT_TRUE(ping && pong);
    kernel.connect(*ping, "peer", *pong, Right::Write, 11);
    kernel.connect(*pong, "peer", *ping, Right::Write, 22);
    kernel.run();
    abi::AbiValue report = kernel.report_of(1);
    EXPECT_EQ(GuestKernel::entry(report, "rounds"), 10);
    EXPECT_EQ(GuestKernel::entry(report, "mismatches"), 0);
    EXPECT_EQ(pong->failed_messages(), 0u);
}

TEST(GuestMessages, K4_ForwardingChainKeepsOrderTypesAndEveryHopsBadge) {
    ESTA_REQUIRE_GUESTS();
    GuestKernel kernel;
    Ref<Process> source = kernel.start("chain_source", 1);
    Ref<Process> first = kernel.start("chain_forward", 2);
    Ref<Process> second = kernel.start("chain_forward", 3);
    Ref<Process> third = kernel.start("chain_forward", 4);
    Ref<Process> sink = kernel.start("chain_sink", 5);
    ASSERT_TRUE(source && first && second && third && sink);
    // Each endpoint names its one sender by the sender's pid.
    kernel.connect(*source, "next", *first, Right::Write, 1);
    kernel.connect(*first, "next", *second, Right::Write, 2);
    kernel.connect(*second, "next", *third, Right::Write, 3);
    kernel.connect(*third, "next", *sink, Right::Write, 4);
    kernel.run();

    EXPECT_EQ(source->exit_reason()->to_string(), "normal");
    EXPECT_EQ(sink->exit_reason()->to_string(), "normal");
    abi::AbiValue report = kernel.report_of(5);
    EXPECT_EQ(GuestKernel::entry(report, "received"), 20);
    EXPECT_EQ(GuestKernel::entry(report, "out_of_order"), 0);
    EXPECT_EQ(GuestKernel::entry(report, "wrong_type"), 0);
    EXPECT_EQ(GuestKernel::entry(report, "wrong_badges"), 0);
    for (const Ref<Process>& link : {first, second, third}) {
        EXPECT_EQ(link->failed_messages(), 0u);
        EXPECT_EQ(link->mailbox().stats().received, 20u);
    }
}

}  // namespace
}  // namespace esta::kernel::testing
