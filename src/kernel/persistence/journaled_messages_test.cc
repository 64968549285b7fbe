#include "kernel/persistence/journaled_messages.h"

#include <gtest/gtest.h>

#include "kernel/persistence/kernel_envelope.h"
#include "kernel/runtime/kernel_runtime.h"
#include "kernel/runtime/test_guests.h"
#include "kernel/test_support.h"
#include "protocol/memory_file_system.h"

namespace esta::kernel {
namespace {

using Module = std::shared_ptr<const wasm::CompiledModule>;

// Sends 'a'..'e' PERSISTENT to "receiver", then one plain 'z'; exits with the sends that
// were acknowledged (returned a sequence).
constexpr const char* kSender = R"(#include "estalogic.h"
__attribute__((export_name("_start"))) void start(void) {
    esta_handle receiver = esta_cap_lookup("receiver", 8);
    esta_i32 acknowledged = 0;
    for (char c = 'a'; c <= 'e'; ++c)
        if (esta_send(receiver, 0x30, &c, 1, 0, 0, ESTA_SEND_PERSISTENT) > 0) ++acknowledged;
    char plain = 'z';
    esta_send(receiver, 0x30, &plain, 1, 0, 0, 0);
    esta_exit(acknowledged);
}
)";

// Waits for a type nobody sends: the messages stay queued, unconsumed.
constexpr const char* kSleeper = R"(#include "estalogic.h"
static char buf[8];
static esta_info info;
__attribute__((export_name("_start"))) void start(void) {
    esta_recv(ESTA_RECV_FOREVER, 0x77, buf, sizeof buf, &info);
    esta_exit(0);
}
)";

// Takes what is queued; exits with the count, or 100 + i when message i is not 'a' + i.
constexpr const char* kCounter = R"(#include "estalogic.h"
static char buf[8];
static esta_info info;
__attribute__((export_name("_start"))) void start(void) {
    esta_i32 count = 0;
    while (esta_recv(ESTA_RECV_POLL, 0, buf, sizeof buf, &info) > 0) {
        if (buf[0] != 'a' + count) esta_exit(100 + count);
        ++count;
    }
    esta_exit(count);
}
)";

class PersistentMessagesTest : public ::testing::Test {
  protected:
    void SetUp() override {
        if (std::string why = m_compiler.prepare(); !why.empty()) GTEST_SKIP() << why;
        sender = build("sender", kSender);
        sleeper = build("sleeper", kSleeper);
        counter = build("counter", kCounter);
    }
    Module build(const std::string& name, const char* code) {
        Module module = m_compiler.build(name, code);
        if (!module && !m_compiler.toolchain_missing()) ADD_FAILURE() << m_compiler.log();
        return module;
    }
    static ProcessSpec spec(Module module) {
        ProcessSpec spec;
        spec.module = std::move(module);
        return spec;
    }
    std::unique_ptr<protocol::Journal> open_journal(protocol::FsyncPolicy policy) {
        protocol::JournalOptions options;
        options.fsync = policy;
        auto journal = protocol::Journal::open(fs, "/journal", clock, options);
        EXPECT_TRUE(journal.has_value()) << journal.error().to_string();
        return journal ? std::move(*journal) : nullptr;
    }
    static std::string exit_of(Kernel& kernel, ProcessId pid) {
        auto info = kernel.process(pid);
        return info && info->exit ? info->exit->to_string() : "none";
    }
    // Runs the sender against a receiver that consumes nothing; returns the sender's exit.
    std::string run_first_life(protocol::Journal& journal) {
        JournaledMessages persistent(journal, clock);
        Kernel kernel(clock, audit, dead_letters, config,
                      SyscallServices{.persistent = &persistent});
        ProcessId receiver = *kernel.spawn(spec(sleeper));
        ProcessSpec sending = spec(sender);
        sending.grants.push_back(GrantSpec{"receiver", kernel.endpoint(receiver), Right::Write, 1});
        ProcessId sender_pid = *kernel.spawn(sending);
        EXPECT_TRUE(kernel.run_until_idle());
        return exit_of(kernel, sender_pid);
    }
    // A restarted kernel: pid 1 is the counter; returns its exit.
    std::string run_next_life(protocol::Journal& journal) {
        JournaledMessages persistent(journal, clock);
        Kernel kernel(clock, audit, dead_letters, config,
                      SyscallServices{.persistent = &persistent});
        ProcessId receiver = *kernel.spawn(spec(counter));
        const ProcessId receivers[] = {receiver};
        EXPECT_TRUE(persistent.restore_into(kernel, receivers));
        EXPECT_TRUE(kernel.run_until_idle());
        return exit_of(kernel, receiver);
    }

    protocol::MemoryFileSystem fs;
    protocol::ManualClock clock{1'000 * kNanosPerSecond};
    testing::RecordingAudit audit;
    InMemoryDeadLetters dead_letters;
    KernelConfig config{.threads = 1, .fuel_per_milli = 1000};
    testing::GuestCompiler m_compiler;
    Module sender, sleeper, counter;
};

#define ESTA_NEED_GUESTS() \
    if (!sender || !sleeper || !counter) GTEST_SKIP() << m_compiler.log()

TEST_F(PersistentMessagesTest, P8_AcknowledgedMessagesSurvivePowerLossExactlyOnce) {
    ESTA_NEED_GUESTS();
    {
        auto journal = open_journal(protocol::FsyncPolicy::Always);
        ASSERT_TRUE(journal);
        EXPECT_EQ(run_first_life(*journal), "code(5)");
    }
    protocol::DeterministicRng rng(7);
    fs.crash(rng, protocol::MemoryFileSystem::Tear::Garbage);  // Power loss.
    auto journal = open_journal(protocol::FsyncPolicy::Always);
    ASSERT_TRUE(journal);
    // All five, in order, and not the plain message.
    EXPECT_EQ(run_next_life(*journal), "code(5)");
    // Consumed, so a third life finds nothing.
    EXPECT_EQ(run_next_life(*journal), "normal");  // Exit 0.
}

TEST_F(PersistentMessagesTest, P8_AFullDiskFailsTheSendAndOnlyAcknowledgedOnesComeBack) {
    ESTA_NEED_GUESTS();
    auto journal = open_journal(protocol::FsyncPolicy::Always);
    ASSERT_TRUE(journal);
    // Measure one record (a message like the sender's, on another stream), then leave
    // room for two and a half more: the third persistent send finds the disk full.
    const std::string segment = "/journal/segment-00000000000000000001.wal";
    const u64 header_only = fs.bytes_of(segment)->size();
    JournaledMessages probe(*journal, clock);
    Message message;
    message.type = MessageType(0x30);
    message.sender = ProcessId(2);
    message.time = clock.now_ns();
    message.payload = {'a'};
    ASSERT_TRUE(probe.journal(ProcessId(9), message));
    const u64 record = fs.bytes_of(segment)->size() - header_only;
    fs.set_capacity(fs.bytes_of(segment)->size() + 2 * record + record / 2);
    EXPECT_EQ(run_first_life(*journal), "code(2)");
    journal.reset();
    fs.set_capacity(~u64{0});
    journal = open_journal(protocol::FsyncPolicy::Always);
    ASSERT_TRUE(journal);
    // Exactly the two acknowledged ones, in order; the failed sends never come back.
    EXPECT_EQ(run_next_life(*journal), "code(2)");
}

// P-5 end to end: an ingress hands the kernel 'a', 'b' under idempotency keys and loses
// power before it sees the acknowledgements; after the restart it sends both again, then
// 'c'. The receiver gets each exactly once, and a later copy changes nothing.
TEST_F(PersistentMessagesTest, P5_IdempotencyKeysApplyARedeliveredMessageOnceAcrossARestart) {
    ESTA_NEED_GUESTS();
    auto input = [&](char c) {
        Message message;
        message.type = MessageType(0x30);
        message.payload = {static_cast<u8>(c)};
        return message;
    };
    const std::string key_a = "order-a", key_b = "order-b", key_c = "order-c";
    u64 record_a = 0;
    {
        auto journal = open_journal(protocol::FsyncPolicy::Always);
        ASSERT_TRUE(journal);
        JournaledMessages persistent(*journal, clock);
        Kernel kernel(clock, audit, dead_letters, config,
                      SyscallServices{.persistent = &persistent});
        ProcessId receiver = *kernel.spawn(spec(sleeper));  // Consumes nothing.
        record_a = *persistent.accept(kernel, receiver, input('a'), key_a);
        ASSERT_TRUE(persistent.accept(kernel, receiver, input('b'), key_b));
        // A copy within the same life is answered with the first record.
        EXPECT_EQ(*persistent.accept(kernel, receiver, input('a'), key_a), record_a);
        EXPECT_EQ(kernel.process(receiver)->state, ProcessState::Ready);
        ASSERT_TRUE(kernel.run_until_idle());
    }
    protocol::DeterministicRng rng(11);
    fs.crash(rng, protocol::MemoryFileSystem::Tear::Garbage);  // Power loss.
    for (int life = 0; life < 2; ++life) {
        auto journal = open_journal(protocol::FsyncPolicy::Always);
        ASSERT_TRUE(journal);
        JournaledMessages persistent(*journal, clock);
        Kernel kernel(clock, audit, dead_letters, config,
                      SyscallServices{.persistent = &persistent});
        ProcessId receiver = *kernel.spawn(spec(counter));
        const ProcessId receivers[] = {receiver};
        ASSERT_TRUE(persistent.restore_into(kernel, receivers));
        // The sender retries what it never saw acknowledged: both are already there.
        EXPECT_EQ(*persistent.accept(kernel, receiver, input('a'), key_a), record_a);
        ASSERT_TRUE(persistent.accept(kernel, receiver, input('b'), key_b));
        ASSERT_TRUE(persistent.accept(kernel, receiver, input('c'), key_c));
        ASSERT_TRUE(kernel.run_until_idle());
        // First restart: a, b, c once each, in order. Second: all three were consumed, and
        // the copies are recognised, so nothing is delivered again.
        EXPECT_EQ(exit_of(kernel, receiver), life == 0 ? "code(3)" : "normal");
    }
    auto journal = open_journal(protocol::FsyncPolicy::Always);
    ASSERT_TRUE(journal);
    JournaledMessages persistent(*journal, clock);
    Kernel kernel(clock, audit, dead_letters, config, SyscallServices{.persistent = &persistent});
    ProcessId receiver = *kernel.spawn(spec(sleeper));
    EXPECT_EQ(persistent.accept(kernel, receiver, Message{}, "").error().code, Status::InvalidArgs);
}

TEST_F(PersistentMessagesTest, P8_WithoutAJournalAPersistentSendIsNotAcknowledged) {
    ESTA_NEED_GUESTS();
    Kernel kernel(clock, audit, dead_letters, config);  // No PersistentMessages service.
    ProcessId receiver = *kernel.spawn(spec(sleeper));
    ProcessSpec sending = spec(sender);
    sending.grants.push_back(GrantSpec{"receiver", kernel.endpoint(receiver), Right::Write, 1});
    ProcessId sender_pid = *kernel.spawn(sending);
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(exit_of(kernel, sender_pid), "normal");  // Exit 0: none of the five.
}

TEST(KernelEnvelope, P1_APersistentMessageRoundTripsThroughTheEnvelope) {
    Message message;
    message.type = MessageType(0x1234);
    message.sender = ProcessId(7);
    message.sender_badge = 42;
    message.priority = 6;
    message.flags = send_flags::kPersistent | send_flags::kRequireAck;
    message.time = 5 * kNanosPerSecond;
    message.trace_id[0] = 0xAB;
    message.trace_id[15] = 0xCD;
    message.payload = {1, 2, 3};
    auto back = from_envelope(to_envelope(message, protocol::MessageId{1, 2}));
    ASSERT_TRUE(back.has_value()) << back.error().to_string();
    EXPECT_EQ(back->type, message.type);
    EXPECT_EQ(back->sender, message.sender);
    EXPECT_EQ(back->sender_badge, 42u);
    EXPECT_EQ(back->priority, 6);
    EXPECT_EQ(back->flags, message.flags);
    EXPECT_EQ(back->time, message.time);
    EXPECT_EQ(back->trace_id, message.trace_id);
    EXPECT_EQ(back->payload, message.payload);

    protocol::Envelope foreign = to_envelope(message, protocol::MessageId{1, 2});
    foreign.type = "accrual.hours_worked";
    EXPECT_FALSE(from_envelope(foreign).has_value());
    foreign = to_envelope(message, protocol::MessageId{1, 2});
    foreign.headers[1].value = "8";  // Priority out of range.
    EXPECT_FALSE(from_envelope(foreign).has_value());
}

}  // namespace
}  // namespace esta::kernel
