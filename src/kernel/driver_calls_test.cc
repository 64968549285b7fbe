#include "kernel/driver_calls.h"

#include <gtest/gtest.h>

#include <thread>

#include "kernel/syscalls/syscalls.h"

namespace esta::kernel {
namespace {

class RecordingWaker final : public ProcessWaker {
  public:
    void wake(ProcessId pid) override { woken.push_back(pid.value()); }
    std::vector<u32> woken;
};

TEST(DriverCalls, D1_AnInlineAnswerIsTheCallsResultAndNeverParks) {
    auto calls = std::make_shared<DriverCalls>();
    auto slot = calls->open(ProcessId(1));
    calls->completion(slot)(abi::AbiValue(i64{5}));
    auto answer = calls->settle_inline(slot);
    ASSERT_TRUE(answer.has_value());
    EXPECT_EQ(**answer, abi::AbiValue(i64{5}));
    EXPECT_EQ(calls->in_flight(), 0u);
}

TEST(DriverCalls, D1_AnswersAreDeliveredInSubmissionOrderWhateverOrderTheyCompleteIn) {
    auto calls = std::make_shared<DriverCalls>();
    std::vector<std::shared_ptr<DriverCallSlot>> slots;
    for (u32 pid = 1; pid <= 3; ++pid) {
        slots.push_back(calls->open(ProcessId(pid)));
        EXPECT_FALSE(calls->settle_inline(slots.back()).has_value());
    }
    EXPECT_EQ(calls->in_flight(), 3u);
    // Completed on other threads, last first; nothing is visible before delivery.
    std::thread third([&] { calls->completion(slots[2])(abi::AbiValue(i64{3})); });
    third.join();
    EXPECT_FALSE(calls->take_delivered(slots[2]).has_value());
    std::thread others([&] {
        calls->completion(slots[0])(abi::AbiValue(i64{1}));
        calls->completion(slots[1])(Err(Status::Unavailable, "down"));
    });
    RecordingWaker waker;
    EXPECT_EQ(calls->deliver(waker, true), 3u);
    others.join();
    EXPECT_EQ(waker.woken, (std::vector<u32>{1, 2, 3}));
    EXPECT_EQ(calls->in_flight(), 0u);
    auto second = calls->take_delivered(slots[1]);
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(second->error().code, Status::Unavailable);
}

TEST(DriverCalls, D1_ALateSecondAnswerIsIgnoredAndTheNotifierRunsOncePerCompletion) {
    auto calls = std::make_shared<DriverCalls>();
    int notified = 0;
    calls->set_notify([&] { ++notified; });
    auto slot = calls->open(ProcessId(4));
    EXPECT_FALSE(calls->settle_inline(slot).has_value());
    auto done = calls->completion(slot);
    done(abi::AbiValue(i64{1}));
    done(abi::AbiValue(i64{2}));
    EXPECT_EQ(notified, 1);
    calls->set_notify(nullptr);
    RecordingWaker waker;
    EXPECT_EQ(calls->deliver(waker, false), 1u);
    EXPECT_EQ(**calls->take_delivered(slot), abi::AbiValue(i64{1}));
}

}  // namespace
}  // namespace esta::kernel
