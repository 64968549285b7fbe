// Calls and replies between C guests under the kernel runtime: handles moved by a reply,
// callers whose server's endpoint closes or whose server crashes and is restarted, and
// handles that come back with a retried message (T-4). Exit codes carry the guests'
// findings: a status is exited as itself (esta_exit(-n) for n < 0).
#include <gtest/gtest.h>

#include "kernel/runtime/guest_test.h"

namespace esta::kernel {
namespace {

using testing::exit_of;
using testing::exit_with;
using testing::Module;
using testing::spec_of;

// Reactive: answers each request with {reply moving a handle without TRANSFER, reply
// moving one handle twice} as two i32 statuses, and moves a fresh WRITE|TRANSFER handle
// derived from "gift" with the answer. Returns < 0 when the moved handle stayed here.
constexpr const char* kGiver = R"(#include "estalogic.h"
static esta_u32 request;
static esta_info info;
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    if (esta_recv(ESTA_RECV_POLL, 0, &request, sizeof request, &info) != 4) return -1;
    esta_handle gift = esta_cap_lookup("gift", 4);
    esta_handle plain = esta_cap_lookup("plain", 5);
    esta_handle copy = esta_cap_derive(gift, ESTA_RIGHT_WRITE | ESTA_RIGHT_TRANSFER, 0, 0);
    if (copy < 0) return -2;
    esta_i32 results[2];
    results[0] = esta_reply(0x21, 0, 0, &plain, 1);
    esta_handle twice[2] = {copy, copy};
    results[1] = esta_reply(0x21, 0, 0, twice, 2);
    if (esta_reply(0x21, results, sizeof results, &copy, 1) != 0) return -3;
    return esta_cap_drop(copy) == -ESTA_BAD_HANDLE ? 0 : -4;
}
)";

// Calls "server" twice: the first answer's handle slots hold one handle, which sends to
// the sink; the second call leaves no room for the slots (BUFFER_TOO_SMALL).
constexpr const char* kTaker = R"(#include "estalogic.h"
struct answer {
    esta_i32 denied, twice;
    esta_handle handles[4];
};
static struct answer out;
__attribute__((export_name("_start"))) void start(void) {
    esta_handle server = esta_cap_lookup("server", 6);
    esta_u32 in = 1;
    esta_i32 n = esta_call(server, 0x20, &in, 4, &out, sizeof out, ESTA_RECV_FOREVER);
    if (n != 8) esta_exit(n < 0 ? -n : 90);
    if (out.denied != -ESTA_ACCESS_DENIED) esta_exit(91);
    if (out.twice != -ESTA_INVALID_ARGS) esta_exit(92);
    if (out.handles[0] <= 0 || out.handles[1] != 0 || out.handles[3] != 0) esta_exit(93);
    if (esta_send(out.handles[0], 0x30, "hi", 2, 0, 0, 0) < 0) esta_exit(94);
    n = esta_call(server, 0x20, &in, 4, &out, 8, ESTA_RECV_FOREVER);
    esta_exit(n == -ESTA_BUFFER_TOO_SMALL ? 0 : 95);
}
)";

// Exits with the type of the first message it receives.
constexpr const char* kSink = R"(#include "estalogic.h"
static char buf[16];
static esta_info info;
__attribute__((export_name("_start"))) void start(void) {
    if (esta_recv(ESTA_RECV_FOREVER, 0, buf, sizeof buf, &info) < 0) esta_exit(1);
    esta_exit((esta_i32)info.type);
}
)";

// One call to "server" without a deadline; exits with its status, or 100 + length.
constexpr const char* kPatientCaller = R"(#include "estalogic.h"
__attribute__((export_name("_start"))) void start(void) {
    esta_handle server = esta_cap_lookup("server", 6);
    esta_u32 in = 1, out = 0;
    esta_i32 n = esta_call(server, 0x20, &in, 4, &out, 4, ESTA_RECV_FOREVER);
    esta_exit(n < 0 ? -n : 100 + n);
}
)";

// Waits for the kernel's 0x61 only (requests stay queued), then exits.
constexpr const char* kDeafServer = R"(#include "estalogic.h"
static char buf[16];
static esta_info info;
__attribute__((export_name("_start"))) void start(void) {
    esta_recv(ESTA_RECV_FOREVER, 0x61, buf, sizeof buf, &info);
    esta_exit(0);
}
)";

// Reactive: traps on a request 'X' (4001), answers any other with its byte.
constexpr const char* kBrittleServer = R"(#include "estalogic.h"
static char buf[16];
static esta_info info;
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    if (esta_recv(ESTA_RECV_POLL, 0, buf, sizeof buf, &info) < 1) return -1;
    if (buf[0] == 'X') __builtin_trap();
    return esta_reply(0x21, buf, 1, 0, 0) == 0 ? 0 : -2;
}
)";

// Calls with 'X' (the server crashes: NOT_FOUND), then with 'A' (the restarted server
// answers). Exits 0, or with the step that went wrong.
constexpr const char* kSecondChanceCaller = R"(#include "estalogic.h"
__attribute__((export_name("_start"))) void start(void) {
    esta_handle server = esta_cap_lookup("server", 6);
    char out[4] = {0};
    esta_i32 first = esta_call(server, 0x20, "X", 1, out, sizeof out, ESTA_RECV_FOREVER);
    if (first != -ESTA_NOT_FOUND) esta_exit(first < 0 ? -first : 90);
    esta_i32 second = esta_call(server, 0x20, "A", 1, out, sizeof out, ESTA_RECV_FOREVER);
    if (second != 1 || out[0] != 'A') esta_exit(second < 0 ? -second : 91);
    esta_exit(0);
}
)";

// Reactive: answers every call with how many calls it has had (a u32).
constexpr const char* kCounter = R"(#include "estalogic.h"
static esta_u32 count;
static char buf[16];
static esta_info info;
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    if (esta_recv(ESTA_RECV_POLL, 0, buf, sizeof buf, &info) < 0) return -1;
    ++count;
    return esta_reply(0x21, &count, 4, 0, 0) == 0 ? 0 : -2;
}
)";

// Sends one 0x30 to "worker", moving its handle "counter" with it.
constexpr const char* kDispatcher = R"(#include "estalogic.h"
__attribute__((export_name("_start"))) void start(void) {
    esta_handle counter = esta_cap_lookup("counter", 7);
    esta_handle worker = esta_cap_lookup("worker", 6);
    esta_exit(esta_send(worker, 0x30, "w", 1, &counter, 1, 0) < 0 ? 1 : 0);
}
)";

// Reactive: calls the counter through the handle its message brought. The first delivery
// spins until the watchdog stops it (3001); the retried one exits with 40 + the count.
constexpr const char* kRetriedWorker = R"(#include "estalogic.h"
static char buf[16];
static esta_info info;
volatile unsigned spins;
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    if (esta_recv(ESTA_RECV_POLL, 0, buf, sizeof buf, &info) < 0) return -1;
    if (info.handles_n != 1) esta_exit(9);
    esta_u32 in = 0, count = 0;
    esta_i32 n = esta_call(info.handles[0], 0x20, &in, 4, &count, 4, ESTA_RECV_FOREVER);
    if (n != 4) esta_exit(8);
    if (count == 1) for (;;) spins++;
    esta_exit(40 + (esta_i32)count);
}
)";

// Spawns "child" from its module handle, granting it a one-use WRITE handle derived from
// "sink" (the parent keeps its own, and sends with it).
constexpr const char* kSpawner = R"(#include "estalogic.h"
#include "estalogic_value.h"
static esta_u8 grants[128];
__attribute__((export_name("_start"))) void start(void) {
    esta_handle mod = esta_cap_lookup("mod", 3);
    esta_handle sink = esta_cap_lookup("sink", 4);
    esta_writer w;
    esta_writer_init(&w, grants, sizeof grants);
    esta_put_map(&w, 1);
    esta_put_key(&w, "up", 2);
    esta_put_map(&w, 3);
    esta_put_key(&w, "handle", 6);
    esta_put_i64(&w, sink);
    esta_put_key(&w, "rights", 6);
    esta_put_i64(&w, ESTA_RIGHT_WRITE);
    esta_put_key(&w, "max_uses", 8);
    esta_put_i64(&w, 1);
    esta_i32 len = esta_writer_finish(&w);
    if (len < 0) esta_exit(90);
    esta_i32 child = esta_spawn(mod, "_start", 6, grants, (esta_u32)len, ESTA_PRIORITY_NORMAL);
    if (child <= 0) esta_exit(child < 0 ? -child : 91);
    if (esta_send(sink, 0x31, "p", 1, 0, 0, 0) < 0) esta_exit(92);
    esta_exit(0);
}
)";

// Sends twice with its one-use grant "up": the second is USES_EXHAUSTED.
constexpr const char* kSpawnedChild = R"(#include "estalogic.h"
__attribute__((export_name("_start"))) void start(void) {
    esta_handle up = esta_cap_lookup("up", 2);
    if (up < 0) esta_exit(80);
    if (esta_send(up, 0x30, "c", 1, 0, 0, 0) < 0) esta_exit(81);
    esta_i64 second = esta_send(up, 0x30, "c", 1, 0, 0, 0);
    esta_exit(second == -ESTA_USES_EXHAUSTED ? 0 : 82);
}
)";

// Receives two messages and exits with the sum of their types.
constexpr const char* kTwoMessageSink = R"(#include "estalogic.h"
static char buf[16];
static esta_info info;
__attribute__((export_name("_start"))) void start(void) {
    esta_i32 sum = 0;
    for (int i = 0; i < 2; ++i) {
        if (esta_recv(ESTA_RECV_FOREVER, 0, buf, sizeof buf, &info) < 0) esta_exit(1);
        sum += (esta_i32)info.type;
    }
    esta_exit(sum);
}
)";

using KernelIpc = testing::KernelGuestTest;

TEST_F(KernelIpc, K15_ReplyMovesHandlesToTheCallerWithTransferChecked) {
    ESTA_BUILD(giver, "giver", kGiver);
    ESTA_BUILD(taker, "taker", kTaker);
    ESTA_BUILD(sink, "sink", kSink);
    Kernel kernel(clock, audit, dead_letters, config);
    ProcessId sink_pid = *kernel.spawn(spec_of(sink));
    ProcessSpec server_spec = spec_of(giver);
    Rights giftable = Right::Write | Right::Transfer | Right::Delegate;
    server_spec.grants.push_back(GrantSpec{"gift", kernel.endpoint(sink_pid), giftable});
    server_spec.grants.push_back(GrantSpec{"plain", kernel.endpoint(sink_pid), Right::Write});
    ProcessId server = *kernel.spawn(std::move(server_spec));
    ProcessId client = testing::spawn_client(kernel, taker, server);
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(exit_of(kernel, client), "normal");
    EXPECT_EQ(exit_of(kernel, sink_pid), "code(48)");  // 0x30, sent with the moved handle.
    EXPECT_EQ(kernel.process(server)->failed_messages, 0u);
    EXPECT_EQ(kernel.process(server)->state, ProcessState::Waiting);
}

TEST_F(KernelIpc, K3_CallersQueuedAtAnEndpointThatClosesGetNotFound) {
    ESTA_BUILD(deaf, "deaf", kDeafServer);
    ESTA_BUILD(caller, "patient", kPatientCaller);
    Kernel kernel(clock, audit, dead_letters, config);
    ProcessId server = *kernel.spawn(spec_of(deaf));
    std::vector<ProcessId> callers;
    for (int i = 0; i < 3; ++i)
        callers.push_back(testing::spawn_client(kernel, caller, server));
    ASSERT_TRUE(kernel.run_until_idle());
    for (ProcessId pid : callers)
        ASSERT_EQ(kernel.process(pid)->state, ProcessState::Waiting);  // Parked in call.
    ASSERT_TRUE(kernel.send(server, MessageType(0x61), {}));
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(exit_of(kernel, server), "normal");
    for (ProcessId pid : callers)
        EXPECT_EQ(exit_of(kernel, pid), exit_with(Status::NotFound));
    // A call to the closed endpoint fails at once.
    ProcessId late = testing::spawn_client(kernel, caller, server);
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(exit_of(kernel, late), exit_with(Status::NotFound));
}

TEST_F(KernelIpc, K31_ACallerOfACrashedServerGetsNotFoundAndTheRestartedOneAnswers) {
    ESTA_BUILD(brittle, "brittle", kBrittleServer);
    ESTA_BUILD(caller, "second_chance", kSecondChanceCaller);
    Kernel kernel(clock, audit, dead_letters, config);
    auto pids = kernel.supervise(RestartStrategy::OneForOne, {{"server", spec_of(brittle)}});
    ASSERT_TRUE(pids.has_value()) << pids.error().to_string();
    ProcessId server = pids->at(0);
    ProcessId client = testing::spawn_client(kernel, caller, server);
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(exit_of(kernel, client), "normal");
    EXPECT_EQ(kernel.process(server)->restarts, 1u);
    ASSERT_EQ(dead_letters.records().size(), 1u);  // The 'X' request, a poison message.
    EXPECT_EQ(dead_letters.records()[0].payload, std::vector<u8>{'X'});
}

TEST_F(KernelIpc, K15_SpawnGrantsADerivedOneUseHandleAndTheAuditSeesIt) {
    ESTA_BUILD(spawner, "spawner", kSpawner);
    ESTA_BUILD(child, "spawned_child", kSpawnedChild);
    ESTA_BUILD(sink, "two_message_sink", kTwoMessageSink);
    Kernel kernel(clock, audit, dead_letters, config);
    ProcessId sink_pid = *kernel.spawn(spec_of(sink));
    ProcessSpec parent_spec = spec_of(spawner);
    parent_spec.grants.push_back(
        GrantSpec{"mod", kernel.module_object("child", child), Right::Execute});
    parent_spec.grants.push_back(
        GrantSpec{"sink", kernel.endpoint(sink_pid), Right::Write | Right::Delegate});
    ProcessId parent = *kernel.spawn(std::move(parent_spec));
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(exit_of(kernel, parent), "normal");
    ProcessId spawned(parent.value() + 1);
    ASSERT_TRUE(kernel.process(spawned).has_value());
    EXPECT_EQ(exit_of(kernel, spawned), "normal");
    EXPECT_EQ(exit_of(kernel, sink_pid), "code(97)");  // 0x30 + 0x31.
    // K-18: the derivation, the spent budget and the refusal are on the record.
    EXPECT_GE(audit.count(CapEventKind::Delegated), 1u);
    EXPECT_EQ(audit.count(CapEventKind::UseLimitReached), 1u);
    const CapEvent* denied = audit.last(CapEventKind::Denied);
    ASSERT_NE(denied, nullptr);
    EXPECT_EQ(denied->status, Status::UsesExhausted);
    EXPECT_EQ(denied->process, spawned);
}

// On scheduler threads: only the wall-clock watchdog stops the first delivery, and the
// outcome does not depend on when it does.
TEST_F(KernelIpc, T4_ARetriedMessageBringsItsHandlesAgain) {
    ESTA_BUILD(counter, "counter", kCounter);
    ESTA_BUILD(dispatcher, "dispatcher", kDispatcher);
    ESTA_BUILD(worker, "retried_worker", kRetriedWorker);
    protocol::SystemClock wall;
    KernelConfig threaded{.threads = 1, .watchdog_limit = 20 * kNanosPerMilli};
    threaded.watchdog_period = 2 * kNanosPerMilli;
    Kernel kernel(wall, audit, dead_letters, threaded);
    ProcessId counter_pid = *kernel.spawn(spec_of(counter));
    ProcessSpec worker_spec = spec_of(worker);
    worker_spec.slice_fuel = u64{1} << 60;  // Only the watchdog can stop the spin.
    ProcessId worker_pid =
        kernel.supervise(RestartStrategy::OneForOne, {{"worker", worker_spec}})->at(0);
    ProcessSpec dispatcher_spec = spec_of(dispatcher);
    dispatcher_spec.grants.push_back(
        GrantSpec{"counter", kernel.endpoint(counter_pid), Right::Write | Right::Transfer});
    dispatcher_spec.grants.push_back(
        GrantSpec{"worker", kernel.endpoint(worker_pid), Right::Write});
    ProcessId dispatcher_pid = *kernel.spawn(std::move(dispatcher_spec));
    ASSERT_TRUE(kernel.start());
    ASSERT_TRUE(kernel.wait_idle(60 * kNanosPerSecond));
    // The restart starts at the next tick after the crash.
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (exit_of(kernel, worker_pid) == "none" && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    kernel.shutdown();
    EXPECT_EQ(exit_of(kernel, dispatcher_pid), "normal");
    EXPECT_EQ(exit_of(kernel, worker_pid), "code(42)");  // Second call, on the same handle.
    auto crashes = kernel.crash_reports();
    ASSERT_EQ(crashes.size(), 1u);
    EXPECT_EQ(crashes[0].trap, wasm::TrapKind::Timeout);
    EXPECT_EQ(crashes[0].disposition, MessageDisposition::Retry);
    EXPECT_TRUE(dead_letters.records().empty());
}

}  // namespace
}  // namespace esta::kernel
