// `estalogic replay` end to end: a kernel journals a process on disk, the command replays
// it from the directory and the module file, and its exit code says what it found.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "app/cli_test_support.h"
#include "kernel/persistence/journaled_answers.h"
#include "kernel/persistence/replay.h"
#include "kernel/runtime/kernel_runtime.h"
#include "kernel/runtime/test_guests.h"
#include "kernel/test_support.h"
#include "observe/crypto.h"

namespace esta::app {
namespace {

namespace fs = std::filesystem;
using namespace esta::kernel;

// Echoes two messages back to "out" with their time, then exits.
constexpr const char* kEcho = R"(#include "estalogic.h"
static unsigned char buf[32];
static esta_info info;
__attribute__((export_name("_start"))) void start(void) {
    esta_handle out = esta_cap_lookup("out", 3);
    for (int i = 0; i < 2; ++i) {
        esta_i32 n = esta_recv(ESTA_RECV_FOREVER, 0, buf, sizeof buf, &info);
        esta_i64 now = esta_now();
        esta_send(out, 0x50 + (esta_i32)(now & 1) + FLIP, buf, (esta_u32)n, 0, 0, 0);
    }
    esta_exit(0);
}
)";

int run(std::vector<std::string> args) {
    return run_estalogic(std::move(args));
}

class ReplayCommand : public ::testing::Test {
  protected:
    void SetUp() override {
        if (std::string why = m_compiler.prepare(); !why.empty()) GTEST_SKIP() << why;
        m_dir = fs::temp_directory_path() / ("esta-replay-cli-" + std::to_string(::getpid()));
        fs::remove_all(m_dir);
        fs::create_directories(m_dir);
        echo = m_compiler.build("echo", "#define FLIP 0\n" + std::string(kEcho));
        changed = m_compiler.build("changed", "#define FLIP 2\n" + std::string(kEcho));
        if (!echo || !changed) GTEST_SKIP() << m_compiler.log();
        write_module("echo");
        write_module("changed");
    }
    void TearDown() override {
        if (!m_dir.empty()) fs::remove_all(m_dir);
    }
    void write_module(const std::string& name) {
        const std::vector<u8> bytes = m_compiler.bytes(name);
        std::ofstream(m_dir / (name + ".wasm"), std::ios::binary)
            .write(reinterpret_cast<const char*>(bytes.data()),
                   static_cast<std::streamsize>(bytes.size()));
    }
    std::string path(const std::string& name) const { return (m_dir / name).string(); }

    // Runs the echo process live over a journal in `journal`.
    void record() {
        protocol::PosixFileSystem files;
        protocol::ManualClock clock{5 * kNanosPerSecond};
        auto journal = protocol::Journal::open(files, path("journal"), clock);
        ASSERT_TRUE(journal.has_value()) << journal.error().to_string();
        JournaledAnswers recorder(**journal, clock);
        testing::RecordingAudit audit;
        InMemoryDeadLetters dead_letters;
        Kernel kernel(clock, audit, dead_letters, KernelConfig{.threads = 1},
                      SyscallServices{.answers = &recorder});
        auto out = make_ref<Endpoint>(ObjectId(1u << 30), "out", ProcessId(900), MailboxConfig{});
        ProcessSpec spec;
        spec.module = echo;
        spec.name = "echo";
        spec.module_sha256 = observe::sha256(ByteSpan(m_compiler.bytes("echo")));
        spec.grants.push_back(GrantSpec{"out", out, Right::Write});
        auto pid = kernel.spawn(spec);
        ASSERT_TRUE(pid.has_value());
        for (const char* text : {"one", "two"}) {
            clock.advance(kNanosPerMilli + 1);
            ASSERT_TRUE(kernel.send(*pid, MessageType(0x40), std::vector<u8>(text, text + 3)));
            ASSERT_TRUE(kernel.run_until_idle());
        }
    }

    testing::GuestCompiler m_compiler;
    fs::path m_dir;
    std::shared_ptr<const wasm::CompiledModule> echo, changed;
};

TEST_F(ReplayCommand, T1_ReplayCommandReportsIdenticalDifferentAndMissing) {
    record();
    EXPECT_EQ(run({"replay", path("journal"), "--list"}), 0);
    // Every process with its module from the store (beside the journal), by SHA-256.
    EXPECT_EQ(run({"replay", path("journal")}), 66);  // No store yet.
    const std::string sha = kernel::digest_hex(observe::sha256(ByteSpan(m_compiler.bytes("echo"))));
    fs::create_directories(m_dir / "modules");
    fs::copy_file(m_dir / "echo.wasm", m_dir / "modules" / (sha + ".wasm"));
    EXPECT_EQ(run({"replay", path("journal")}), 0);
    EXPECT_EQ(run({"replay", m_dir.string()}), 0);  // The folder holding the journal.
    EXPECT_EQ(run({"replay", path("journal"), "--process", "echo"}), 0);
    // Another module under that hash in the store: refused by its hash.
    fs::copy_file(m_dir / "changed.wasm", m_dir / "modules" / (sha + ".wasm"),
                  fs::copy_options::overwrite_existing);
    EXPECT_EQ(run({"replay", path("journal")}), 1);
    EXPECT_EQ(run({"replay", path("journal"), "--module", path("echo.wasm")}), 0);
    EXPECT_EQ(run({"replay", path("journal"), "--process", "echo", "--module", path("echo.wasm")}),
              0);
    EXPECT_EQ(run({"replay", path("journal"), "--process", "1", "--module", path("echo.wasm")}), 0);
    // A changed module is refused by its hash.
    EXPECT_EQ(run({"replay", path("journal"), "--module", path("changed.wasm")}), 1);
    // No such process, module or journal.
    EXPECT_EQ(
        run({"replay", path("journal"), "--process", "nobody", "--module", path("echo.wasm")}), 66);
    EXPECT_EQ(run({"replay", path("journal"), "--module", path("missing.wasm")}), 66);
    EXPECT_EQ(run({"replay", path("nothing-here")}), 66);
    // Not a module.
    std::ofstream(path("junk.wasm")) << "not wasm";
    EXPECT_EQ(run({"replay", path("journal"), "--module", path("junk.wasm")}), 1);
    // Usage: the journal is required.
    EXPECT_NE(run({"replay"}), 0);
}

}  // namespace
}  // namespace esta::app
