// T-1 and T-2 through real guests: a kernel journals what its processes receive, and a
// replay from the journal alone reproduces every output, or names the first difference.
#include "kernel/persistence/replay.h"

#include <gtest/gtest.h>

#include <cstring>

#include "kernel/persistence/journaled_answers.h"
#include "kernel/persistence/kernel_envelope.h"
#include "kernel/runtime/kernel_runtime.h"
#include "kernel/runtime/test_guests.h"
#include "kernel/runtime/test_harness.h"
#include "kernel/test_support.h"
#include "observe/crypto.h"
#include "protocol/memory_file_system.h"

namespace esta::kernel {
namespace {

// For each of 3 messages: sends "out" the message, then `now` and 8 random bytes; the
// second reply's first byte is XORed with FLIP (0 here; 1 in the changed module).
constexpr const char* kWorker = R"(#include "estalogic.h"
#define FLIP %d
static unsigned char buf[64];
static unsigned char out[96];
static esta_info info;
__attribute__((export_name("_start"))) void start(void) {
    esta_handle sink = esta_cap_lookup("out", 3);
    for (int i = 0; i < 3; ++i) {
        esta_i32 n = esta_recv(ESTA_RECV_FOREVER, 0, buf, sizeof buf, &info);
        if (n < 0) esta_exit(90);
        esta_i64 now = esta_now();
        volatile unsigned char* o = out;  // Not a memcpy: the guest has no libc.
        for (int k = 0; k < n; ++k) o[k] = buf[k];
        for (int k = 0; k < 8; ++k) o[n + k] = (unsigned char)(now >> (8 * k));
        esta_random(out + n + 8, 8);
        if (i == 1) out[0] ^= FLIP;
        esta_send(sink, 0x50, out, (esta_u32)n + 16, 0, 0, 0);
    }
    esta_exit(3);
}
)";

// Waits for a type nobody sends: what the worker sends stays queued.
constexpr const char* kSink = R"(#include "estalogic.h"
static char buf[8];
static esta_info info;
__attribute__((export_name("_start"))) void start(void) {
    esta_recv(ESTA_RECV_FOREVER, 0x77, buf, sizeof buf, &info);
}
)";

// Reactive: sends "out" each message's bytes reversed.
constexpr const char* kHandler = R"(#include "estalogic.h"
static unsigned char buf[64];
static unsigned char out[64];
static esta_info info;
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    esta_i32 n = esta_recv(ESTA_RECV_POLL, 0, buf, sizeof buf, &info);
    if (n < 0) return -1;
    volatile unsigned char* o = out;  // Not a memcpy: the guest has no libc.
    for (int k = 0; k < n; ++k) o[k] = buf[n - 1 - k];
    esta_send(esta_cap_lookup("out", 3), 0x51, out, (esta_u32)n, 0, 0, 0);
    return 0;
}
)";

// Takes one message and divides by its length minus 3: "abc" traps (4002) when TRAP is 1.
constexpr const char* kTrapper = R"(#include "estalogic.h"
#define TRAP %d
static char buf[16];
static esta_info info;
volatile esta_i32 divisor;
__attribute__((export_name("_start"))) esta_i32 start(void) {
    esta_i32 n = esta_recv(ESTA_RECV_FOREVER, 0, buf, sizeof buf, &info);
    divisor = TRAP ? n - 3 : 1;
    return 100 / divisor;
}
)";

using Module = std::shared_ptr<const wasm::CompiledModule>;

class ReplayTest : public ::testing::Test {
  protected:
    // The guests are built once for the suite (clang takes a while).
    static void SetUpTestSuite() {
        s_compiler = std::make_unique<testing::GuestCompiler>();
        s_skip = s_compiler->prepare();
        if (!s_skip.empty()) return;
        worker = build("worker", with_flip(0));
        changed = build("changed", with_flip(1));
        sink = build("sink", kSink);
        handler = build("handler", kHandler);
        trapper = build("trapper", with_number(kTrapper, 1));
        untrapped = build("untrapped", with_number(kTrapper, 0));
        if (!worker || !changed || !sink || !handler || !trapper || !untrapped)
            s_skip = s_compiler->log();
    }
    static void TearDownTestSuite() {
        worker = changed = sink = handler = trapper = untrapped = nullptr;
        s_compiler.reset();
    }
    void SetUp() override {
        if (!s_skip.empty()) GTEST_SKIP() << s_skip;
        auto opened = protocol::Journal::open(fs, "/journal", clock);
        ASSERT_TRUE(opened.has_value()) << opened.error().to_string();
        journal = std::move(*opened);
    }
    static std::string with_number(const char* format, int number) {
        char code[2048];
        std::snprintf(code, sizeof code, format, number);
        return code;
    }
    static std::string with_flip(int flip) { return with_number(kWorker, flip); }
    static Module build(const std::string& name, const std::string& code) {
        Module module = s_compiler->build(name, code);
        if (!module && !s_compiler->toolchain_missing()) ADD_FAILURE() << s_compiler->log();
        return module;
    }
    static std::vector<u8> bytes(const std::string& name) { return s_compiler->bytes(name); }

    // Runs `name` (module `module`) live with "out" granted to a sink; the kernel sends it
    // `messages`, one per millisecond of kernel time. Returns its pid.
    // The kernel lives on until the test ends (its shutdown message would be one more
    // input).
    ProcessId run_live(const std::string& name, Module module, bool record_hash,
                       const std::vector<std::string>& messages) {
        Kernel& kernel = start_live();
        const ProcessId sink_pid = m_sink;
        ProcessSpec spec;
        spec.module = std::move(module);
        spec.name = name;
        if (record_hash) spec.module_sha256 = observe::sha256(ByteSpan(bytes(name)));
        spec.grants.push_back(GrantSpec{"out", kernel.endpoint(sink_pid), Right::Write, 7});
        auto spawned = kernel.spawn(spec);
        EXPECT_TRUE(spawned.has_value()) << spawned.error().to_string();
        const ProcessId pid = *spawned;
        EXPECT_TRUE(kernel.run_until_idle());
        for (const std::string& text : messages) {
            clock.advance(kNanosPerMilli);
            EXPECT_TRUE(
                kernel.send(pid, MessageType(0x40), std::vector<u8>(text.begin(), text.end())));
            clock.advance(kNanosPerMilli);  // Handled later than it was sent.
            EXPECT_TRUE(kernel.run_until_idle());
        }
        EXPECT_EQ(recorder->failed_appends(), 0u);
        return pid;
    }

    // A kernel journaling on `journal`, with the sink process (m_sink) spawned.
    Kernel& start_live() {
        recorder = std::make_unique<JournaledAnswers>(*journal, clock);
        live = std::make_unique<Kernel>(clock, audit, dead_letters, config,
                                        SyscallServices{.answers = recorder.get()});
        ProcessSpec sink_spec;
        sink_spec.module = sink;
        auto sink_pid = live->spawn(sink_spec);
        EXPECT_TRUE(sink_pid.has_value()) << sink_pid.error().to_string();
        m_sink = sink_pid.value_or(ProcessId(0));
        return *live;
    }

    protocol::MemoryFileSystem fs;
    protocol::ManualClock clock{1'000 * kNanosPerSecond};
    testing::RecordingAudit audit;
    InMemoryDeadLetters dead_letters;
    KernelConfig config{.threads = 1, .fuel_per_milli = 1000};
    std::unique_ptr<protocol::Journal> journal;
    std::unique_ptr<JournaledAnswers> recorder;
    std::unique_ptr<Kernel> live;
    ProcessId m_sink{0};

    static inline std::unique_ptr<testing::GuestCompiler> s_compiler;
    static inline std::string s_skip;
    static inline Module worker, changed, sink, handler, trapper, untrapped;
};

TEST_F(ReplayTest, T1_ReplayReproducesEveryOutput) {
    const ProcessId pid = run_live("worker", worker, true, {"alpha", "beta", "gamma"});
    auto report = replay_process(*journal, pid, ByteSpan(bytes("worker")));
    ASSERT_TRUE(report.has_value()) << report.error().to_string();
    EXPECT_TRUE(report->identical()) << report->difference->what << "\n"
                                     << report->difference->expected << "\n"
                                     << report->difference->got;
    EXPECT_EQ(report->lives, 1u);
    EXPECT_EQ(report->inputs, 3u);
    EXPECT_EQ(report->outputs, 4u);  // Three sends and the exit.
    EXPECT_EQ(report->end, "code(3)");
    EXPECT_EQ(report->unverified_lives, 0u);

    auto listed = list_journaled_processes(*journal);
    ASSERT_TRUE(listed.has_value());
    ASSERT_EQ(listed->size(), 2u);  // The sink and the worker.
    EXPECT_EQ(listed->back().name, "worker");
    EXPECT_EQ(listed->back().inputs, 3u);
}

TEST_F(ReplayTest, T1_ReplayOfAProcessStillWaitingEndsAtTheJournalsEnd) {
    const ProcessId pid = run_live("worker", worker, true, {"alpha"});
    auto report = replay_process(*journal, pid, ByteSpan(bytes("worker")));
    ASSERT_TRUE(report.has_value()) << report.error().to_string();
    EXPECT_TRUE(report->identical());
    EXPECT_EQ(report->inputs, 1u);
    EXPECT_EQ(report->end, "waiting (the journal ends here)");
}

TEST_F(ReplayTest, T1_ReplayDetectsChangedModule) {
    const ProcessId pid = run_live("worker", worker, true, {"alpha", "beta", "gamma"});
    auto report = replay_process(*journal, pid, ByteSpan(bytes("changed")));
    ASSERT_TRUE(report.has_value()) << report.error().to_string();
    ASSERT_FALSE(report->identical());
    EXPECT_NE(report->difference->what.find("module changed"), std::string::npos);
    EXPECT_EQ(report->difference->expected,
              "module " + digest_hex(observe::sha256(ByteSpan(bytes("worker")))));
    EXPECT_EQ(report->inputs, 0u);  // Nothing ran.
}

TEST_F(ReplayTest, T1_ReplayShowsFirstDifference) {
    // Without a recorded hash the module cannot be checked up front; the outputs still are.
    const ProcessId pid = run_live("worker", worker, false, {"alpha", "beta", "gamma"});
    auto report = replay_process(*journal, pid, ByteSpan(bytes("changed")));
    ASSERT_TRUE(report.has_value()) << report.error().to_string();
    EXPECT_EQ(report->unverified_lives, 1u);
    ASSERT_FALSE(report->identical());
    const ReplayDifference& difference = *report->difference;
    EXPECT_EQ(difference.input, 2u);  // The second message, "beta".
    EXPECT_NE(difference.what.find("bytes#0 of send differ at offset 0"), std::string::npos)
        << difference.what;
    EXPECT_NE(difference.expected.find("\"beta\\x"), std::string::npos) << difference.expected;
    EXPECT_NE(difference.got.find("ceta"), std::string::npos) << difference.got;  // 'b' ^ 1.
    EXPECT_EQ(report->outputs, 1u);  // The first send matched.
}

TEST_F(ReplayTest, T2_NowIsTheJournaledTime) {
    const ProcessId pid = run_live("worker", worker, true, {"alpha", "beta"});
    auto history = protocol::read_history(*journal, protocol::StreamId(pid.value()));
    ASSERT_TRUE(history.has_value());
    std::vector<Nanos> delivered;
    std::vector<Nanos> reported;
    for (const auto& step : *history) {
        if (auto* envelope = std::get_if<protocol::Envelope>(&step.event)) {
            ASSERT_TRUE(is_delivery(*envelope));
            delivered.push_back(step.time);
        } else if (auto* answer = std::get_if<protocol::SyscallAnswer>(&step.event)) {
            if (answer->function == "now") {
                ASSERT_FALSE(answer->exited);
                reported.push_back(answer->result);
            } else if (answer->function == "send") {
                // The payload carries `now` after the message's 5 or 4 bytes.
                const std::vector<u8>& payload = answer->request.at(0);
                Nanos now = 0;
                std::memcpy(&now, payload.data() + payload.size() - 16, 8);
                EXPECT_EQ(now, reported.back());
            }
        }
    }
    ASSERT_EQ(delivered.size(), 2u);
    EXPECT_EQ(reported, delivered);
    // The time the kernel assigned at the send, not the clock when it was handled.
    EXPECT_EQ(delivered[0], 1'000 * kNanosPerSecond + kNanosPerMilli);
    EXPECT_EQ(delivered[1], 1'000 * kNanosPerSecond + 3 * kNanosPerMilli);
}

TEST_F(ReplayTest, T1_ReplayReproducesAReactiveHandler) {
    const ProcessId pid = run_live("handler", handler, true, {"one", "two", "three", "four"});
    auto report = replay_process(*journal, pid, ByteSpan(bytes("handler")));
    ASSERT_TRUE(report.has_value()) << report.error().to_string();
    EXPECT_TRUE(report->identical()) << report->difference->what;
    EXPECT_EQ(report->inputs, 4u);
    EXPECT_EQ(report->outputs, 4u);
    // The worker's module answers these inputs differently: the first request differs.
    ProcessId other = pid;
    auto wrong = replay_process(*journal, other, ByteSpan(bytes("worker")));
    ASSERT_TRUE(wrong.has_value());
    ASSERT_FALSE(wrong->identical());
    EXPECT_NE(wrong->difference->what.find("module changed"), std::string::npos);
}

// `pid`'s history copied into `copy` record by record, the `tampered`-th delivery (from 1;
// 0: none) with its payload replaced by `payload`: its recv answer still says otherwise.
void copy_history(protocol::Journal& from, protocol::Journal& copy, const protocol::Clock& clock,
                  ProcessId pid, int tampered, const std::string& payload) {
    JournaledAnswers rewrite(copy, clock);
    auto history = protocol::read_history(from, protocol::StreamId(pid.value()));
    ASSERT_TRUE(history.has_value()) << history.error().to_string();
    int deliveries = 0;
    for (auto& step : *history) {
        if (auto* start = std::get_if<protocol::ProcessStart>(&step.event)) {
            rewrite.started(pid, *start, step.time);
        } else if (auto* envelope = std::get_if<protocol::Envelope>(&step.event)) {
            if (!is_delivery(*envelope)) continue;
            auto message = from_delivery_envelope(*envelope);
            ASSERT_TRUE(message.has_value());
            if (++deliveries == tampered) message->payload.assign(payload.begin(), payload.end());
            rewrite.delivered(pid, *message);
        } else if (auto* answer = std::get_if<protocol::SyscallAnswer>(&step.event)) {
            rewrite.answered(pid, *answer, step.time);
        } else if (auto* end = std::get_if<protocol::ProcessEnd>(&step.event)) {
            rewrite.ended(pid, *end, step.time);
        }
    }
    EXPECT_EQ(rewrite.failed_appends(), 0u);
}

TEST_F(ReplayTest, T1_ARecvAnswerThatIsNotTheJournaledDeliveryIsADifference) {
    for (const char* name : {"worker", "handler"}) {  // An actor's recv, a handler's.
        SCOPED_TRACE(name);
        // On the fixture's file system, which outlives the kernel that journals there.
        auto open_copy = [&](const char* dir) {
            auto opened = protocol::Journal::open(fs, "/" + std::string(name) + dir, clock);
            EXPECT_TRUE(opened.has_value());
            return std::move(*opened);
        };
        live.reset();  // The previous round's kernel journals its shutdown first.
        recorder.reset();
        journal = open_copy("/live");
        const ProcessId pid = run_live(name, std::string(name) == "worker" ? worker : handler, true,
                                       {"alpha", "beta", "gamma"});
        // Copied as it is, the history replays identically: the copy itself changes nothing.
        auto faithful = open_copy("/faithful");
        copy_history(*journal, *faithful, clock, pid, 0, "");
        auto same = replay_process(*faithful, pid, ByteSpan(bytes(name)));
        ASSERT_TRUE(same.has_value()) << same.error().to_string();
        EXPECT_TRUE(same->identical()) << same->difference->what;

        // The second delivery says "bet!" while the recv that took it handed over "beta".
        auto tampered = open_copy("/tampered");
        copy_history(*journal, *tampered, clock, pid, 2, "bet!");
        auto report = replay_process(*tampered, pid, ByteSpan(bytes(name)));
        ASSERT_TRUE(report.has_value()) << report.error().to_string();
        ASSERT_FALSE(report->identical());
        const ReplayDifference& difference = *report->difference;
        EXPECT_NE(difference.what.find("recv answered type 64 payload \"beta\", which is not a "
                                       "message the journal delivered"),
                  std::string::npos)
            << difference.what;
        EXPECT_NE(difference.expected.find("\"bet!\""), std::string::npos) << difference.expected;
        EXPECT_EQ(report->outputs, 1u);  // The first message's send matched.
    }
}

TEST_F(ReplayTest, T1_ReplayReproducesTheTrapAndTheFuel) {
    const ProcessId pid = run_live("trapper", trapper, false, {"abc"});
    ASSERT_EQ(testing::exit_of(*live, pid), "crashed(trap 4002)");
    auto report = replay_process(*journal, pid, ByteSpan(bytes("trapper")));
    ASSERT_TRUE(report.has_value()) << report.error().to_string();
    EXPECT_TRUE(report->identical())
        << report->difference->what << ": " << report->difference->expected << " / "
        << report->difference->got;
    EXPECT_EQ(report->end, "crashed(trap 4002)");
    // A module that does not trap there is caught at the end, with the fuel of each.
    auto other = replay_process(*journal, pid, ByteSpan(bytes("untrapped")));
    ASSERT_TRUE(other.has_value());
    ASSERT_FALSE(other->identical());
    EXPECT_EQ(other->difference->what, "the process ended differently");
    EXPECT_EQ(other->difference->expected.rfind("crashed(trap 4002) after ", 0), 0u)
        << other->difference->expected;
    EXPECT_EQ(other->difference->got.rfind("code(100) after ", 0), 0u) << other->difference->got;
}

// A process ended from outside gets an end record too ("killed"), and its replay stops
// there: at the kernel's shutdown, and when a sibling's crash restarts its group.
TEST_F(ReplayTest, T1_AKilledProcessEndsItsStreamAndReplaysToThatEnd) {
    const ProcessId pid = run_live("handler", handler, true, {"one", "two"});
    live->shutdown();  // A reactive process waiting for its next message: killed.
    ASSERT_EQ(testing::exit_of(*live, pid), "killed");
    auto history = protocol::read_history(*journal, protocol::StreamId(pid.value()));
    ASSERT_TRUE(history.has_value());
    ASSERT_FALSE(history->empty());
    const auto* end = std::get_if<protocol::ProcessEnd>(&history->back().event);
    ASSERT_NE(end, nullptr);
    EXPECT_EQ(end->exit, "killed");
    auto report = replay_process(*journal, pid, ByteSpan(bytes("handler")));
    ASSERT_TRUE(report.has_value()) << report.error().to_string();
    EXPECT_TRUE(report->identical()) << report->difference->what;
    EXPECT_GE(report->inputs, 2u);
    EXPECT_EQ(report->end, "killed (stopped from outside)");
}

TEST_F(ReplayTest, T1_AChildKilledByItsGroupsRestartReplaysEveryLife) {
    Kernel& kernel = start_live();
    auto spec = [&](const std::string& name, Module module) {
        ProcessSpec made;
        made.module = std::move(module);
        made.name = name;
        made.module_sha256 = observe::sha256(ByteSpan(bytes(name)));
        made.grants.push_back(GrantSpec{"out", kernel.endpoint(m_sink), Right::Write, 7});
        return made;
    };
    auto pids = kernel.supervise(
        RestartStrategy::OneForAll,
        {{"handler", spec("handler", handler)}, {"trapper", spec("trapper", trapper)}});
    ASSERT_TRUE(pids.has_value()) << pids.error().to_string();
    const ProcessId handler_pid = pids->at(0);
    const ProcessId trapper_pid = pids->at(1);
    auto send = [&](ProcessId to, std::string text) {
        clock.advance(kNanosPerMilli);
        ASSERT_TRUE(kernel.send(to, MessageType(0x40), std::vector<u8>(text.begin(), text.end())));
        ASSERT_TRUE(kernel.run_until_idle());
    };
    send(handler_pid, "one");
    send(trapper_pid, "abc");  // Traps: the handler is killed with it and both restart.
    clock.advance(kNanosPerSecond);
    ASSERT_TRUE(kernel.run_until_idle());
    send(handler_pid, "two");
    EXPECT_EQ(recorder->failed_appends(), 0u);

    auto history = protocol::read_history(*journal, protocol::StreamId(handler_pid.value()));
    ASSERT_TRUE(history.has_value());
    std::vector<std::string> ends;
    u32 starts = 0;
    for (const auto& step : *history) {
        if (const auto* end = std::get_if<protocol::ProcessEnd>(&step.event))
            ends.push_back(end->exit);
        starts += std::holds_alternative<protocol::ProcessStart>(step.event) ? 1 : 0;
    }
    EXPECT_EQ(ends, std::vector<std::string>{"killed"});
    EXPECT_EQ(starts, 2u);
    auto report = replay_process(*journal, handler_pid, ByteSpan(bytes("handler")));
    ASSERT_TRUE(report.has_value()) << report.error().to_string();
    EXPECT_TRUE(report->identical()) << report->difference->what;
    EXPECT_EQ(report->lives, 2u);
    EXPECT_EQ(report->inputs, 2u);
    EXPECT_EQ(report->outputs, 2u);
}

TEST_F(ReplayTest, T1_ReplayOfAnUnknownProcessIsNotFound) {
    auto report = replay_process(*journal, ProcessId(42), ByteSpan(bytes("worker")));
    ASSERT_FALSE(report.has_value());
    EXPECT_EQ(report.error().code, Status::NotFound);
}

}  // namespace
}  // namespace esta::kernel
