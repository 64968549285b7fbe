// Consumed records reach a process as 0x0100 messages, and their offsets are committed only
// after its handler returned 0 on them (ABI.md, D-3): a handler that fails or traps leaves
// its record uncommitted, and the group delivers it again from there.
#include "drivers/kernel_bridge/record_consumer.h"
#include "drivers/embedded/journal_topics.h"
#include "drivers/kernel_bridge/guest_harness.h"
#include "kernel/guardrails/kernel_guard.h"
#include "kernel/guardrails/test_sink.h"
#include "protocol/memory_file_system.h"

namespace esta::drivers::testing {
namespace {

// Returns 0, except for a record whose value is "fail" (-1) or "trap" (a trap).
constexpr const char* kConsumerGuest = R"(#include "estalogic.h"
static unsigned char in[4096];
static esta_info info;
static int ends_with(esta_i32 n, const char* s, esta_i32 len) {
    if (n < len) return 0;
    for (esta_i32 i = 0; i < len; ++i)
        if (in[n - len + i] != (unsigned char)s[i]) return 0;
    return 1;
}
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    esta_i32 n = esta_recv(ESTA_RECV_POLL, 0x0100, in, sizeof in, &info);
    if (n < 0) return -2;
    if (ends_with(n, "trap", 4)) __builtin_trap();
    return ends_with(n, "fail", 4) ? -1 : 0;
}
)";

class RecordConsumption : public ::testing::Test {
  protected:
    void SetUp() override {
        static std::string log;
        static auto compiled = compile_guest("consumer", kConsumerGuest, log);
        module = compiled;
        if (!module) {
            if (log.rfind("skip: ", 0) == 0) GTEST_SKIP() << log;
            FAIL() << log;
        }
        auto backend = std::make_unique<JournalTopics>(fs, "/topics", clock,
                                                       std::vector<TopicSpec>{{"orders", 1}});
        topics = backend.get();
        driver = std::make_unique<TopicDriver>(std::move(backend), nullptr);
        ASSERT_TRUE(driver->start());
        kernel::KernelConfig config;
        config.threads = 1;
        kernel = std::make_unique<kernel::Kernel>(clock, audit, dead_letters, config);
        kernel::ProcessSpec spec;
        spec.module = module;
        auto spawned = kernel->spawn(spec);
        ASSERT_TRUE(spawned) << spawned.error().to_string();
        pid = *spawned;
    }

    void produce(std::initializer_list<const char*> values) {
        Scope scope{"out", TopicScope{"orders", true, false, ""}};
        for (const char* value : values) {
            CallContext context{scope, 1, clock.now_ns() + kNanosPerMilli, Caller::Module, "p"};
            ASSERT_TRUE(driver->call(topic_op::kProduce,
                                     ValueList{Value(), bytes_value(value), Value(), i64{0}},
                                     context));
        }
    }
    // Delivers what the topic holds to the process, runs it, and commits what it finished.
    void consume_all(RecordConsumer& consumer, std::size_t expected) {
        auto sent = consumer.pump(0);
        ASSERT_TRUE(sent) << sent.error().to_string();
        EXPECT_EQ(*sent, expected);
        ASSERT_TRUE(kernel->run_until_idle());
        ASSERT_TRUE(consumer.commit_finished());
    }
    // What the group hands a member that joins now, as values.
    std::vector<std::string> redelivered(u64 member) {
        driver->release(1);  // The first member left (its process is gone or done).
        CallContext context{feed, member, clock.now_ns() + kNanosPerMilli, Caller::Kernel, "k"};
        auto batch = driver->call(topic_op::kPoll, ValueList{i64{10}}, context);
        std::vector<std::string> values;
        if (!batch) return {"poll failed: " + batch.error().to_string()};
        for (const Value& record : *batch->get<ValueList>())
            values.emplace_back(*byte_view(*map_find(record, "value")));
        return values;
    }
    i64 committed() const { return topics->committed("orders", "billing", 0); }

    std::shared_ptr<const wasm::CompiledModule> module;
    protocol::ManualClock clock{1'000'000};
    protocol::MemoryFileSystem fs;
    JournalTopics* topics = nullptr;
    std::unique_ptr<TopicDriver> driver;
    kernel::testing::RecordingAudit audit;
    kernel::InMemoryDeadLetters dead_letters;
    std::unique_ptr<kernel::Kernel> kernel;
    kernel::ProcessId pid{0};
    Scope feed{"feed", TopicScope{"orders", false, true, "billing"}};
};

TEST_F(RecordConsumption, D3_OffsetsAreCommittedAfterTheHandlerReturnsZero) {
    produce({"a", "b", "c"});
    RecordConsumer consumer(*kernel, pid, *driver, feed, 1, clock);
    // Sent, not yet handled: nothing is committed.
    auto sent = consumer.pump(0);
    ASSERT_TRUE(sent);
    EXPECT_EQ(*sent, 3u);
    ASSERT_TRUE(consumer.commit_finished());
    EXPECT_EQ(committed(), 0);
    EXPECT_EQ(consumer.outstanding(), 3u);
    ASSERT_TRUE(kernel->run_until_idle());
    ASSERT_TRUE(consumer.commit_finished());
    EXPECT_EQ(committed(), 3);
    EXPECT_EQ(consumer.outstanding(), 0u);
    EXPECT_EQ(redelivered(2), std::vector<std::string>{});
}

TEST_F(RecordConsumption, D3_AFailedHandlerLeavesItsOffsetAndLaterOnesUncommitted) {
    produce({"a", "fail", "c"});
    RecordConsumer consumer(*kernel, pid, *driver, feed, 1, clock);
    consume_all(consumer, 3);
    EXPECT_EQ(kernel->process(pid)->failed_messages, 1u);
    // "c" succeeded, but committing past "fail" would lose it.
    EXPECT_EQ(committed(), 1);
    EXPECT_EQ(redelivered(2), (std::vector<std::string>{"fail", "c"}));
}

TEST_F(RecordConsumption, D3_ATrapLeavesTheOffsetUncommittedSoTheRecordIsRedelivered) {
    produce({"a", "trap", "c"});
    RecordConsumer consumer(*kernel, pid, *driver, feed, 1, clock);
    consume_all(consumer, 3);
    auto info = kernel->process(pid);
    ASSERT_TRUE(info && info->exit);
    EXPECT_EQ(info->exit->kind, kernel::ExitReason::Kind::Crashed);
    EXPECT_EQ(committed(), 1);
    EXPECT_EQ(redelivered(2), (std::vector<std::string>{"trap", "c"}));
}

TEST_F(RecordConsumption, D3_ARefusedDeliverySeeksBackSoNothingIsSkipped) {
    produce({"a", "b"});
    // An unknown process refuses the message; the records stay for the next poll.
    RecordConsumer consumer(*kernel, kernel::ProcessId(9999), *driver, feed, 1, clock);
    auto sent = consumer.pump(0);
    ASSERT_FALSE(sent);
    EXPECT_EQ(consumer.outstanding(), 0u);
    CallContext context{feed, 1, clock.now_ns() + kNanosPerMilli, Caller::Kernel, "k"};
    auto again = driver->call(topic_op::kPoll, ValueList{i64{10}}, context);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->get<ValueList>()->size(), 2u);
}

// The kernel's own polls and commits for a consuming grant report the topic driver failing
// to its region, like a guest's topic calls do (K-40): five quarantine it.
TEST_F(RecordConsumption, K40_ConsumingReportsTheTopicDriversFaultsToItsRegion) {
    observe::MetricsRegistry metrics;
    kernel::testing::RecordingSink sink;
    kernel::KernelGuard guard({}, clock, metrics, sink);
    kernel::RegionId region = *guard.add_driver("topic");
    RecordConsumer consumer(*kernel, pid, *driver, feed, 1, clock);
    consumer.report_faults(guard_faults(guard, region));
    produce({"a"});
    consume_all(consumer, 1);  // Polled and committed: no fault.
    EXPECT_EQ(guard.pending(region), 0u);

    driver->stop();  // Down: each poll is the driver's fault.
    for (int i = 0; i < 5; ++i) {
        auto pumped = consumer.pump(0);
        ASSERT_FALSE(pumped);
        EXPECT_EQ(pumped.error().code, Status::Unavailable) << pumped.error().to_string();
    }
    EXPECT_EQ(guard.pending(region), 5u);
    guard.serve();
    EXPECT_EQ(*guard.state(region), kernel::RegionState::Quarantined);
    EXPECT_EQ(*guard.find("driver.topic"), region);
}

}  // namespace
}  // namespace esta::drivers::testing
