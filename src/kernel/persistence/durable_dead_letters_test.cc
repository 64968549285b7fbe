#include "kernel/persistence/durable_dead_letters.h"

#include <gtest/gtest.h>

#include "kernel/runtime/kernel_runtime.h"
#include "kernel/runtime/test_guests.h"
#include "kernel/test_support.h"
#include "protocol/memory_file_system.h"

namespace esta::kernel {
namespace {

constexpr const char* kFragile = R"(#include "estalogic.h"
static char buf[64];
static esta_info info;
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    if (esta_recv(ESTA_RECV_POLL, 0, buf, sizeof buf, &info) < 1) return -1;
    if (buf[0] == 'X') __builtin_trap();
    if (buf[0] == 'Q') esta_exit(5);
    return 0;
}
)";

DeadLetterRecord poison_record() {
    DeadLetterRecord record;
    record.process = ProcessId(3);
    record.type = MessageType(0x30);
    record.sender = ProcessId(2);
    record.seq = 9;
    record.trap = wasm::TrapKind::IntegerDivideByZero;
    record.trap_function = 4;
    record.trap_offset = 0x1a;
    record.attempts = 1;
    record.time = 1'500 * kNanosPerSecond;
    record.payload = {'X', 0, 7};
    return record;
}

TEST(DurableDeadLetters, K31_PoisonRecordIsDurableWithMessageTrapAndTime) {
    protocol::MemoryFileSystem fs;
    protocol::ManualClock clock{1'500 * kNanosPerSecond};
    {
        auto sink = DurableDeadLetters::open(fs, "/dlq", clock);
        ASSERT_TRUE(sink.has_value()) << sink.error().to_string();
        ASSERT_TRUE((*sink)->add(poison_record()));
    }
    // Reopened from disk only: the entry was synced before add() returned.
    auto queue = protocol::DeadLetterQueue::open(fs, "/dlq", clock);
    ASSERT_TRUE(queue.has_value()) << queue.error().to_string();
    auto entries = (*queue)->list();
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].reason, protocol::DeadLetterReason::Trap);
    EXPECT_EQ(entries[0].code, 4002u);
    EXPECT_EQ(entries[0].attempts, 1u);
    EXPECT_EQ(entries[0].time, 1'500 * kNanosPerSecond);
    EXPECT_EQ(entries[0].message_type, "kernel.0x0030");
    auto letter = (*queue)->inspect(entries[0].id);
    ASSERT_TRUE(letter.has_value());
    EXPECT_EQ(letter->message.payload.bytes, (std::vector<u8>{'X', 0, 7}));
    EXPECT_EQ(letter->message.sender.badge, 2u);
    EXPECT_NE(letter->note.find("func 4 +0x1a"), std::string::npos) << letter->note;
    EXPECT_EQ(letter->message.headers.at(1).key, "esta.seq");
    EXPECT_EQ(letter->message.headers.at(1).value, "9");
    EXPECT_TRUE(protocol::validate_envelope(letter->message, clock.now_ns()).empty());
}

TEST(DurableDeadLetters, P4_AStoppedQueueIsAnErrorNotALostMessage) {
    protocol::MemoryFileSystem fs;
    protocol::ManualClock clock{kNanosPerSecond};
    auto sink = DurableDeadLetters::open(fs, "/dlq", clock);
    ASSERT_TRUE(sink.has_value());
    fs.set_capacity(0);  // A full disk: the kernel must hear about it.
    EXPECT_FALSE((*sink)->add(poison_record()).has_value());
}

TEST(DurableDeadLetters, K31_KernelPoisonMessageLandsInTheDurableQueue) {
    testing::GuestCompiler compiler;
    if (std::string why = compiler.prepare(); !why.empty()) GTEST_SKIP() << why;
    auto module = compiler.build("fragile", kFragile);
    if (!module && compiler.toolchain_missing()) GTEST_SKIP() << compiler.log();
    ASSERT_TRUE(module) << compiler.log();

    protocol::MemoryFileSystem fs;
    protocol::ManualClock clock{1'000 * kNanosPerSecond};
    testing::RecordingAudit audit;
    auto sink = DurableDeadLetters::open(fs, "/dlq", clock);
    ASSERT_TRUE(sink.has_value());
    {
        Kernel kernel(clock, audit, **sink, KernelConfig{.threads = 1, .fuel_per_milli = 1000});
        ProcessSpec spec;
        spec.module = module;
        auto pids = kernel.supervise(RestartStrategy::OneForOne, {{"fragile", spec}});
        ASSERT_TRUE(pids.has_value()) << pids.error().to_string();
        ASSERT_TRUE(kernel.send(pids->at(0), MessageType(0x30), {'X'}));
        ASSERT_TRUE(kernel.send(pids->at(0), MessageType(0x30), {'Q'}));
        ASSERT_TRUE(kernel.run_until_idle());
        EXPECT_EQ(kernel.stats().dead_lettered, 1u);
    }
    auto queue = protocol::DeadLetterQueue::open(fs, "/dlq", clock);
    ASSERT_TRUE(queue.has_value());
    auto entries = (*queue)->list();
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].code, 4001u);
    EXPECT_EQ(entries[0].time, 1'000 * kNanosPerSecond);
    EXPECT_EQ((*queue)->inspect(entries[0].id)->message.payload.bytes, std::vector<u8>{'X'});
}

}  // namespace
}  // namespace esta::kernel
