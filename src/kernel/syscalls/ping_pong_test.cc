// End to end: two guests written in C against sdk/c/estalogic.h, compiled by clang-14 for
// wasm32 without libc, exchange messages under the kernel (syscalls + scheduler). Skipped
// when clang-14 or wasm-ld is not installed.
#include <gtest/gtest.h>

#include "kernel/driver_port.h"
#include "kernel/runtime/test_guests.h"
#include "kernel/scheduler.h"
#include "kernel/syscalls/syscalls.h"
#include "kernel/test_kv_driver.h"
#include "kernel/test_support.h"

namespace esta::kernel {
namespace {

constexpr const char* kPing = R"(#include "estalogic.h"
static char buf[64];
static esta_info info;
__attribute__((export_name("_start"))) void start(void) {
    esta_handle peer = esta_cap_lookup("peer", 4);
    if (peer < 0) esta_exit(90);
    for (int i = 0; i < 10; ++i) {
        if (esta_send(peer, 0x10, "ping", 4, 0, 0, ESTA_SEND_PRIORITY(1)) < 0) esta_exit(91);
        esta_i32 n = esta_recv(ESTA_RECV_FOREVER, 0x11, buf, sizeof buf, &info);
        if (n != 4 || buf[1] != 'o' || info.size != ESTA_LIMIT_INFO_SIZE) esta_exit(92);
    }
    esta_exit(0);
}
)";

constexpr const char* kPong = R"(#include "estalogic.h"
static char buf[64];
static esta_info info;
__attribute__((export_name("_start"))) void start(void) {
    esta_handle peer = esta_cap_lookup("peer", 4);
    for (int i = 0; i < 10; ++i) {
        esta_i32 n = esta_recv(ESTA_RECV_FOREVER, 0x10, buf, sizeof buf, &info);
        if (n != 4 || info.sender_badge != 1) esta_exit(93);
        if (esta_send(peer, 0x11, "pong", 4, 0, 0, 0) < 0) esta_exit(94);
    }
    esta_exit(0);
}
)";

// Reactive style: the kernel calls estalogic_handle once per message.
constexpr const char* kEcho = R"(#include "estalogic.h"
static char buf[64];
static esta_info info;
static int initialized;
__attribute__((export_name("estalogic_init"))) esta_i32 init(void) {
    initialized = 1;
    return 0;
}
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    if (!initialized) return -3;
    esta_i32 n = esta_recv(ESTA_RECV_POLL, 0, buf, sizeof buf, &info);
    if (n < 0) return -1;
    esta_handle peer = esta_cap_lookup("peer", 4);
    return esta_send(peer, 0x11, buf, (esta_u32)n, 0, 0, 0) < 0 ? -2 : 0;
}
)";

constexpr const char* kClient = R"(#include "estalogic.h"
static char buf[64];
static esta_info info;
__attribute__((export_name("_start"))) void start(void) {
    esta_handle peer = esta_cap_lookup("peer", 4);
    for (int i = 0; i < 10; ++i) {
        if (esta_send(peer, 0x10, "ping", 4, 0, 0, 0) < 0) esta_exit(91);
        esta_i32 n = esta_recv(ESTA_RECV_FOREVER, 0x11, buf, sizeof buf, &info);
        if (n != 4 || buf[1] != 'i') esta_exit(92);
    }
    esta_exit(0);
}
)";

class PingPong : public ::testing::Test {
  protected:
    void SetUp() override {
        if (std::string why = m_guests.prepare(); !why.empty()) GTEST_SKIP() << why;
    }
    // Compiles one guest; nullptr when it does not build (m_log says why).
    std::shared_ptr<const wasm::CompiledModule> build(const std::string& name, const char* code) {
        auto module = m_guests.build(name, code);
        m_log = m_guests.log();
        return module;
    }

    testing::GuestCompiler m_guests;
    std::string m_log;
};

TEST_F(PingPong, K3_TwoCGuestsExchangeMessagesUnderTheKernel) {
    auto ping_module = build("ping", kPing);
    auto pong_module = build("pong", kPong);
    if (!ping_module || !pong_module) {
        if (m_log.find("wasm-ld") != std::string::npos) GTEST_SKIP() << m_log;
        FAIL() << m_log;
    }
    testing::RecordingAudit audit;
    CapTree tree(audit);
    ObjectIdAllocator ids;
    protocol::ManualClock clock(1'000);
    Scheduler scheduler;
    Syscalls syscalls(tree, clock, scheduler);

    auto spawn = [&](std::shared_ptr<const wasm::CompiledModule> module, u32 pid) {
        SpawnRequest request;
        request.module = std::move(module);
        auto process = Process::spawn(std::move(request), ProcessId(pid), ids, tree, syscalls);
        EXPECT_TRUE(process.has_value()) << process.error().to_string();
        return *process;
    };
    Ref<Process> ping = spawn(ping_module, 1);
    Ref<Process> pong = spawn(pong_module, 2);
    // Each may write to the other's endpoint; the badge tells pong who is asking.
    ASSERT_TRUE(ping->add_grant(
        "peer", tree.grant(pong->endpoint(), Right::Write, {}, kKernelProcess, 0, /*badge=*/1)));
    ASSERT_TRUE(pong->add_grant(
        "peer", tree.grant(ping->endpoint(), Right::Write, {}, kKernelProcess, 0, /*badge=*/2)));
    ASSERT_TRUE(scheduler.add(ping, 0));
    ASSERT_TRUE(scheduler.add(pong, 0));

    int slices = 0;
    while (slices < 200) {
        clock.advance(1'000);
        auto report = scheduler.run_next(clock.now_ns());
        ASSERT_TRUE(report.has_value()) << report.error().to_string();
        if (!report->has_value()) break;
        ++slices;
    }
    ASSERT_EQ(ping->state(), ProcessState::Completed);
    ASSERT_EQ(pong->state(), ProcessState::Completed);
    EXPECT_EQ(ping->exit_reason()->to_string(), "normal");
    EXPECT_EQ(pong->exit_reason()->to_string(), "normal");
    EXPECT_GE(slices, 20);  // They took turns: each round trip blocks both once.
    EXPECT_EQ(scheduler.stats().context_switches, static_cast<u64>(slices));
}

TEST_F(PingPong, K1_ReactiveModuleHandlesOneMessagePerCall) {
    auto echo_module = build("echo", kEcho);
    auto client_module = build("client", kClient);
    if (!echo_module || !client_module) {
        if (m_log.find("wasm-ld") != std::string::npos) GTEST_SKIP() << m_log;
        FAIL() << m_log;
    }
    testing::RecordingAudit audit;
    CapTree tree(audit);
    ObjectIdAllocator ids;
    protocol::ManualClock clock(1'000);
    Scheduler scheduler;
    Syscalls syscalls(tree, clock, scheduler);
    auto spawn = [&](std::shared_ptr<const wasm::CompiledModule> module, u32 pid) {
        SpawnRequest request;
        request.module = std::move(module);
        auto process = Process::spawn(std::move(request), ProcessId(pid), ids, tree, syscalls);
        EXPECT_TRUE(process.has_value()) << process.error().to_string();
        return *process;
    };
    Ref<Process> echo = spawn(echo_module, 1);
    Ref<Process> client = spawn(client_module, 2);
    EXPECT_EQ(echo->style(), ModuleStyle::Reactive);
    EXPECT_EQ(client->style(), ModuleStyle::Actor);
    ASSERT_TRUE(echo->add_grant(
        "peer", tree.grant(client->endpoint(), Right::Write, {}, kKernelProcess, 0)));
    ASSERT_TRUE(client->add_grant(
        "peer", tree.grant(echo->endpoint(), Right::Write, {}, kKernelProcess, 0)));
    ASSERT_TRUE(scheduler.add(echo, 0));
    ASSERT_TRUE(scheduler.add(client, 0));
    for (int slices = 0; slices < 200; ++slices) {
        clock.advance(1'000);
        auto report = scheduler.run_next(clock.now_ns());
        ASSERT_TRUE(report.has_value()) << report.error().to_string();
        if (!report->has_value()) break;
    }
    EXPECT_EQ(client->state(), ProcessState::Completed);
    EXPECT_EQ(client->exit_reason()->to_string(), "normal");
    EXPECT_EQ(echo->state(), ProcessState::Waiting)  // A reactive process lives on.
        << (echo->exit_reason() ? echo->exit_reason()->to_string() : "");
    EXPECT_EQ(echo->failed_messages(), 0u);
}

// A guest `call` on a key-value handle, through the capability checks to an in-process
// driver and back; the read-only handle is refused a write.
constexpr const char* kKvClient = R"(#include "estalogic.h"
static unsigned char req[64];
static unsigned char resp[64];
static esta_u32 put_u32(unsigned char* p, esta_u32 v) {
    p[0] = (unsigned char)v; p[1] = (unsigned char)(v >> 8);
    p[2] = (unsigned char)(v >> 16); p[3] = (unsigned char)(v >> 24);
    return 4;
}
static esta_u32 put_blob(unsigned char* p, int tag, const char* s, esta_u32 n) {
    p[0] = (unsigned char)tag;
    put_u32(p + 1, n);
    for (esta_u32 i = 0; i < n; ++i) p[5 + i] = (unsigned char)s[i];
    return 5 + n;
}
static esta_u32 request(esta_u32 count, const char* value) {
    esta_u32 n = 0;
    req[n++] = ESTA_VALUE_LIST;
    n += put_u32(req + n, count);
    n += put_blob(req + n, ESTA_VALUE_TEXT, "hours", 5);
    if (count == 2) n += put_blob(req + n, ESTA_VALUE_BYTES, value, 2);
    return n;
}
__attribute__((export_name("_start"))) void start(void) {
    esta_handle kv = esta_cap_lookup("kv", 2);
    esta_handle ro = esta_cap_lookup("ro", 2);
    if (kv < 0 || ro < 0) esta_exit(90);
    esta_u32 n = request(2, "40");
    if (esta_call(kv, ESTA_KV_SET, req, n, resp, sizeof resp, 100) != 1 || resp[0] != ESTA_VALUE_NULL)
        esta_exit(91);
    n = request(1, 0);
    if (esta_call(ro, ESTA_KV_GET, req, n, resp, sizeof resp, 100) != 7 ||
        resp[0] != ESTA_VALUE_BYTES || resp[5] != '4' || resp[6] != '0')
        esta_exit(92);
    n = request(2, "99");
    if (esta_call(ro, ESTA_KV_SET, req, n, resp, sizeof resp, 100) != -ESTA_ACCESS_DENIED)
        esta_exit(93);
    esta_exit(0);
}
)";

TEST_F(PingPong, K20_GuestCallReachesAKeyValueDriverThroughItsCapability) {
    auto module = build("kv_client", kKvClient);
    if (!module) {
        if (m_log.find("wasm-ld") != std::string::npos) GTEST_SKIP() << m_log;
        FAIL() << m_log;
    }
    testing::RecordingAudit audit;
    CapTree tree(audit);
    ObjectIdAllocator ids;
    protocol::ManualClock clock(1'000);
    Scheduler scheduler;
    Syscalls syscalls(tree, clock, scheduler);
    testing::KeyValueDriver driver;
    auto port = DriverPort::create(ids.next(), ObjectType::RedisKeyspace, "kv", driver);
    ASSERT_TRUE(port.has_value());

    SpawnRequest request;
    request.module = module;
    request.grants.push_back(
        Grant{"kv", tree.grant(*port, Right::Read | Right::Write, {}, kKernelProcess, 0)});
    request.grants.push_back(Grant{"ro", tree.grant(*port, Right::Read, {}, kKernelProcess, 0)});
    auto client = Process::spawn(std::move(request), ProcessId(1), ids, tree, syscalls);
    ASSERT_TRUE(client.has_value()) << client.error().to_string();
    ASSERT_TRUE(scheduler.add(*client, 0));
    for (int slices = 0; slices < 50; ++slices) {
        clock.advance(1'000);
        auto report = scheduler.run_next(clock.now_ns());
        ASSERT_TRUE(report.has_value()) << report.error().to_string();
        if (!report->has_value()) break;
    }
    ASSERT_EQ((*client)->state(), ProcessState::Completed);
    EXPECT_EQ((*client)->exit_reason()->to_string(), "normal");
    EXPECT_EQ(driver.values.at("hours"), (abi::ByteString{'4', '0'}));
}

}  // namespace
}  // namespace esta::kernel
