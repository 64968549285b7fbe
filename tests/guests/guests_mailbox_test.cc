// The mailbox flooder (modules/flooder.c) against a target whose mailbox holds four
// messages, in each overflow mode (K-3), and with message priorities (K-4).
#include <gtest/gtest.h>

#include "guest_kernel.h"

namespace esta::kernel::testing {
namespace {

constexpr i64 kMailboxFull = -11, kTimeout = -14;
constexpr u32 kFlooder = 1, kSink = 2;

struct Flood {
    std::vector<i64> sends;     // Each send's result, in order.
    std::vector<i64> received;  // The numbers the target took, in order.
    std::vector<i64> priorities;
    i64 end = 0;  // How the target's last receive ended.
};

Flood flood(OverflowMode mode, u32 capacity, const std::string& entry, u32 sends) {
    Flood result;
    GuestKernel kernel;
    SpawnRequest flooder_request;
    flooder_request.entry = entry;
    SpawnRequest sink_request;
    sink_request.mailbox = MailboxConfig{.capacity = capacity, .overflow = mode};
    // The flooder goes first, so it fills the mailbox before anyone drains it.
    Ref<Process> flooder = kernel.start("flooder", kFlooder, std::move(flooder_request));
    Ref<Process> sink = kernel.start("flood_sink", kSink, std::move(sink_request));
    EXPECT_TRUE(flooder && sink);
    if (!flooder || !sink) return result;
    kernel.connect(*flooder, "target", *sink, Right::Write);
    kernel.run();
    EXPECT_EQ(flooder->exit_reason()->to_string(), "normal");
    EXPECT_EQ(sink->exit_reason()->to_string(), "normal");

    abi::AbiValue sent = kernel.report_of(kFlooder);
    for (u32 i = 0; i < sends; ++i)
        result.sends.push_back(GuestKernel::entry(sent, "send" + std::to_string(i)));
    abi::AbiValue got = kernel.report_of(kSink);
    i64 count = GuestKernel::entry(got, "count");
    for (i64 i = 0; i < count; ++i) {
        result.received.push_back(GuestKernel::entry(got, "got" + std::to_string(i)));
        result.priorities.push_back(GuestKernel::entry(got, "priority" + std::to_string(i)));
    }
    result.end = GuestKernel::entry(got, "end");
    return result;
}

// Sequence numbers of accepted sends increase.
void expect_increasing(const std::vector<i64>& sends, std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) {
        EXPECT_GE(sends[i], 0) << i;
        if (i > 0) {
            EXPECT_GT(sends[i], sends[i - 1]) << i;
        }
    }
}

#define ESTA_REQUIRE_GUESTS() \
    if (!guests_built()) GTEST_SKIP() << "clang-14 / wasm-ld-14 not installed"

TEST(GuestMailbox, K3_NotifySenderRefusesWhenFull) {
    ESTA_REQUIRE_GUESTS();
    Flood result = flood(OverflowMode::NotifySender, 4, "_start", 10);
    ASSERT_EQ(result.sends.size(), 10u);
    expect_increasing(result.sends, 4);
    for (std::size_t i = 4; i < 10; ++i)
        EXPECT_EQ(result.sends[i], kMailboxFull) << i;
    EXPECT_EQ(result.received, (std::vector<i64>{0, 1, 2, 3}));
    EXPECT_EQ(result.end, kTimeout);
}

TEST(GuestMailbox, K3_DropNewestKeepsTheFirstAndTellsTheSenderOk) {
    ESTA_REQUIRE_GUESTS();
    Flood result = flood(OverflowMode::DropNewest, 4, "_start", 10);
    ASSERT_EQ(result.sends.size(), 10u);
    for (i64 send : result.sends)
        EXPECT_GE(send, 0);
    EXPECT_EQ(result.received, (std::vector<i64>{0, 1, 2, 3}));
}

TEST(GuestMailbox, K3_DropOldestKeepsTheLatest) {
    ESTA_REQUIRE_GUESTS();
    Flood result = flood(OverflowMode::DropOldest, 4, "_start", 10);
    ASSERT_EQ(result.sends.size(), 10u);
    expect_increasing(result.sends, 10);
    EXPECT_EQ(result.received, (std::vector<i64>{6, 7, 8, 9}));
}

TEST(GuestMailbox, K3_BlockSenderParksTheFlooderUntilThereIsRoom) {
    ESTA_REQUIRE_GUESTS();
    Flood result = flood(OverflowMode::BlockSender, 4, "_start", 10);
    ASSERT_EQ(result.sends.size(), 10u);
    expect_increasing(result.sends, 10);
    EXPECT_EQ(result.received, (std::vector<i64>{0, 1, 2, 3, 4, 5, 6, 7, 8, 9}));
}

TEST(GuestMailbox, K4_HigherPriorityFirstFifoWithin) {
    ESTA_REQUIRE_GUESTS();
    Flood result = flood(OverflowMode::NotifySender, 64, "flood_priorities", 12);
    expect_increasing(result.sends, 12);
    // Sent with priorities 0, 3, 7, 0, 3, 7, ...
    EXPECT_EQ(result.received, (std::vector<i64>{2, 5, 8, 11, 1, 4, 7, 10, 0, 3, 6, 9}));
    EXPECT_EQ(result.priorities, (std::vector<i64>{7, 7, 7, 7, 3, 3, 3, 3, 0, 0, 0, 0}));
}

}  // namespace
}  // namespace esta::kernel::testing
