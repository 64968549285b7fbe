// P-8, the kernel's side under kill -9: a child process runs a kernel over a real journal
// with a sender guest that sends PERSISTENT messages and a receiver guest that consumes
// them; the sender logs each acknowledged send, which the child's logger passes to the
// parent through a pipe. The parent kills the child with SIGKILL after a seeded number of
// acknowledgements, then checks the journal: every acknowledged message is there, and no
// message was consumed twice. A last life runs to the end: then every message was consumed
// exactly once. ESTA_KILL_LOOPS lives are killed (default 5; the `slow` test sets 50).
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>

#include "kernel/persistence/journaled_messages.h"
#include "kernel/runtime/kernel_runtime.h"
#include "kernel/runtime/test_guests.h"
#include "kernel/test_support.h"
#include "protocol/codec.h"
#include "protocol/prng.h"

namespace esta::kernel {
namespace {

constexpr u32 kMessagesPerLife = 300;

// Told its life by the kernel, sends kMessagesPerLife PERSISTENT messages {life, i lo,
// i hi} to "receiver" and logs each acknowledged one (the same three bytes).
constexpr const char* kSender = R"(#include "estalogic.h"
static unsigned char life[4];
static esta_info info;
__attribute__((export_name("_start"))) void start(void) {
    esta_handle receiver = esta_cap_lookup("receiver", 8);
    if (esta_recv(ESTA_RECV_FOREVER, 0, life, sizeof life, &info) < 1) esta_exit(2);
    for (unsigned i = 0; i < 300; ++i) {
        unsigned char m[3] = {life[0], (unsigned char)i, (unsigned char)(i >> 8)};
        if (esta_send(receiver, 0x30, m, 3, 0, 0, ESTA_SEND_PERSISTENT) <= 0) esta_exit(3);
        esta_log(ESTA_LOG_INFO, (const char*)m, 3);
    }
    esta_exit(0);
}
)";

// Consumes forever; exits 9 if a message does not come after the one before it (a
// duplicate or a reordering).
constexpr const char* kReceiver = R"(#include "estalogic.h"
static unsigned char m[4];
static esta_info info;
__attribute__((export_name("_start"))) void start(void) {
    long last = -1;
    for (;;) {
        if (esta_recv(ESTA_RECV_FOREVER, 0, m, sizeof m, &info) != 3) esta_exit(8);
        long key = ((long)m[0] << 16) | ((long)m[2] << 8) | m[1];
        if (key <= last) esta_exit(9);
        last = key;
    }
}
)";

class PipeLogger final : public KernelLogger {
  public:
    explicit PipeLogger(int fd) : m_fd(fd) {}
    void log(ProcessId, LogLevel, std::string_view text) override {
        if (text.size() != 3 || ::write(m_fd, text.data(), 3) != 3) _exit(5);
    }

  private:
    int m_fd;
};

using Module = std::shared_ptr<const wasm::CompiledModule>;

// One life: recover, restore, send, consume. Exits 0 when it ran to the end.
[[noreturn]] void child_life(const std::string& directory, u8 life, Module sender, Module receiver,
                             int report_fd) {
    protocol::PosixFileSystem fs;
    protocol::ManualClock clock{1'000 * kNanosPerSecond};
    auto journal = protocol::Journal::open(fs, directory, clock);
    if (!journal) _exit(3);
    JournaledMessages persistent(**journal, clock);
    PipeLogger logger(report_fd);
    testing::RecordingAudit audit;
    InMemoryDeadLetters dead_letters;
    SyscallServices services;
    services.logger = &logger;
    services.persistent = &persistent;
    Kernel kernel(clock, audit, dead_letters, KernelConfig{.threads = 1, .fuel_per_milli = 1000},
                  services);
    ProcessSpec receiving;
    receiving.module = std::move(receiver);
    auto receiver_pid = kernel.spawn(receiving);
    if (!receiver_pid) _exit(4);
    ProcessSpec sending;
    sending.module = std::move(sender);
    sending.grants.push_back(
        GrantSpec{"receiver", kernel.endpoint(*receiver_pid), Right::Write, 1});
    auto sender_pid = kernel.spawn(sending);
    if (!sender_pid) _exit(4);
    const ProcessId receivers[] = {*receiver_pid};
    if (!persistent.restore_into(kernel, receivers)) _exit(6);
    if (!kernel.send(*sender_pid, MessageType(0x40), {life})) _exit(4);
    if (!kernel.run_until_idle()) _exit(4);
    auto info = kernel.process(*receiver_pid);
    if (!info || info->exit) _exit(7);  // The receiver saw a duplicate or a reordering.
    _exit(0);
}

u64 loops_from_environment() {
    const char* value = std::getenv("ESTA_KILL_LOOPS");
    return value != nullptr ? std::strtoull(value, nullptr, 10) : 5;
}

// Journal contents for the receiver (pid 1): each persistent message's payload, and how
// many consumed markers name it.
struct Contents {
    std::map<u64, std::vector<u8>> messages;  // Input record sequence -> payload.
    std::map<u64, u32> consumed;              // Input record sequence -> markers.
};

Contents read_contents(const std::string& directory) {
    Contents contents;
    protocol::PosixFileSystem fs;
    protocol::ManualClock clock;
    auto journal = protocol::Journal::open(fs, directory, clock);
    EXPECT_TRUE(journal) << journal.error().to_string();
    if (!journal) return contents;
    auto records = (*journal)->read_stream(protocol::StreamId(1));
    EXPECT_TRUE(records);
    if (!records) return contents;
    for (const auto& record : *records) {
        if (record.type == protocol::RecordType::Input) {
            auto envelope = protocol::decode_envelope(ByteSpan(record.data));
            EXPECT_TRUE(envelope);
            if (envelope) contents.messages[record.sequence] = envelope->payload.bytes;
        } else if (record.type == protocol::RecordType::Marker && record.data.size() == 9) {
            u64 input = 0;
            std::memcpy(&input, record.data.data() + 1, 8);  // Little-endian host.
            ++contents.consumed[input];
        }
    }
    return contents;
}

TEST(PersistentKill, P8_KillNineLosesNoAcknowledgedMessageAndConsumesEachOnce) {
    testing::GuestCompiler compiler;
    if (std::string why = compiler.prepare(); !why.empty()) GTEST_SKIP() << why;
    Module sender = compiler.build("kill_sender", kSender);
    Module receiver = compiler.build("kill_receiver", kReceiver);
    if ((!sender || !receiver) && compiler.toolchain_missing()) GTEST_SKIP() << compiler.log();
    ASSERT_TRUE(sender && receiver) << compiler.log();

    const auto directory = std::filesystem::temp_directory_path() /
                           ("esta-persist-kill-" + std::to_string(::getpid()));
    std::filesystem::remove_all(directory);
    protocol::DeterministicRng rng(2026);
    std::set<std::vector<u8>> acknowledged;
    const u64 loops = loops_from_environment();
    u64 killed = 0;
    for (u64 life = 0; life <= loops; ++life) {
        const bool last = life == loops;  // The last life runs to the end.
        int fds[2];
        ASSERT_EQ(::pipe(fds), 0);
        const pid_t child = ::fork();
        ASSERT_GE(child, 0);
        if (child == 0) {
            ::close(fds[0]);
            child_life(directory.string(), static_cast<u8>(life), sender, receiver, fds[1]);
        }
        ::close(fds[1]);
        const u64 wanted = last ? kMessagesPerLife : 1 + rng.next_below(kMessagesPerLife - 1);
        for (u64 seen = 0; seen < wanted; ++seen) {
            pollfd ready{fds[0], POLLIN, 0};
            if (::poll(&ready, 1, 20'000) <= 0) break;
            std::vector<u8> ack(3);
            if (::read(fds[0], ack.data(), 3) != 3) break;
            acknowledged.insert(ack);
        }
        if (!last) ::kill(child, SIGKILL);
        std::vector<u8> ack(3);
        while (::read(fds[0], ack.data(), 3) == 3)
            acknowledged.insert(ack);  // Acks already in the pipe count too.
        ::close(fds[0]);
        int status = 0;
        ::waitpid(child, &status, 0);
        if (WIFSIGNALED(status)) ++killed;
        if (last) {
            ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
                << "last life ended with status " << status;
        } else if (WIFEXITED(status)) {
            ASSERT_EQ(WEXITSTATUS(status), 0) << "life " << life;  // Finished before the kill.
        }

        Contents contents = read_contents(directory.string());
        std::set<std::vector<u8>> journaled;
        for (const auto& [sequence, payload] : contents.messages) {
            EXPECT_TRUE(journaled.insert(payload).second) << "journaled twice, life " << life;
            EXPECT_LE(contents.consumed[sequence], 1u) << "consumed twice, life " << life;
        }
        for (const auto& message : acknowledged)
            ASSERT_TRUE(journaled.contains(message)) << "acknowledged but lost, life " << life;
        if (last) {
            for (const auto& [sequence, payload] : contents.messages)
                EXPECT_EQ(contents.consumed[sequence], 1u) << "never consumed: " << sequence;
        }
    }
    EXPECT_GE(acknowledged.size(), loops);
    // Most lives die mid-way (a life that finished before the kill is allowed).
    EXPECT_GE(killed * 2, loops) << killed << " of " << loops << " lives killed";
    std::printf("[ kill loop ] %llu lives killed of %llu, %zu messages acknowledged\n",
                static_cast<unsigned long long>(killed), static_cast<unsigned long long>(loops),
                acknowledged.size());
    std::filesystem::remove_all(directory);
}

}  // namespace
}  // namespace esta::kernel
