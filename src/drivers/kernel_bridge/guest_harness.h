// Test support: drivers reached the way a module reaches them. A relay guest, written in C
// against sdk/c/estalogic.h and compiled by clang-14 for wasm32, runs under the kernel's
// Syscalls and Scheduler; for each message it receives it does `cap_lookup(name)` and
// `call(handle, op, request, ...)`, and sends the status and the reply bytes to a sink
// process the test reads. So every request in a test crosses the guest ABI, the capability
// checks, the bridge, the driver and its store, and comes back through the value encoding.
// Header-only; used by *_test.cc and *_itest.cc only.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "drivers/kernel_bridge/driver_bridge.h"
#include "kernel/driver_port.h"
#include "kernel/scheduler.h"
#include "kernel/syscalls/syscalls.h"
#include "kernel/test_support.h"
#include "observe/audit_sink.h"

namespace esta::drivers::testing {

// Message in: u32 name length, name, i32 op, i64 timeout_ms, request value.
// Message out (type 0x20, to "sink"): i32 call result, then the reply's bytes.
inline constexpr const char* kRelayGuest = R"(#include "estalogic.h"
static unsigned char in[65536];
static unsigned char out[65536];
static esta_info info;
static esta_u32 get_u32(const unsigned char* p) {
    return (esta_u32)p[0] | ((esta_u32)p[1] << 8) | ((esta_u32)p[2] << 16) | ((esta_u32)p[3] << 24);
}
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    esta_i32 n = esta_recv(ESTA_RECV_POLL, 0, in, sizeof in, &info);
    if (n < 16) return -1;
    esta_u32 name_len = get_u32(in);
    if (name_len > (esta_u32)n - 16) return -2;
    const unsigned char* p = in + 4 + name_len;
    esta_i32 op = (esta_i32)get_u32(p);
    esta_i64 timeout = (esta_i64)((esta_u64)get_u32(p + 4) | ((esta_u64)get_u32(p + 8) << 32));
    esta_handle h = esta_cap_lookup((const char*)in + 4, name_len);
    esta_i32 result = h;
    if (h >= 0) result = esta_call(h, op, p + 12, (esta_u32)n - 16 - name_len, out + 4,
                                   sizeof out - 4, timeout);
    out[0] = (unsigned char)result; out[1] = (unsigned char)(result >> 8);
    out[2] = (unsigned char)(result >> 16); out[3] = (unsigned char)(result >> 24);
    esta_handle sink = esta_cap_lookup("sink", 4);
    esta_u32 len = 4 + (result > 0 ? (esta_u32)result : 0);
    return esta_send(sink, 0x20, out, len, 0, 0, 0) < 0 ? -3 : 0;
}
)";

// Compiles a C guest against the SDK. Null with `log` set when the toolchain is missing
// (log starts with "skip: "; the caller skips) or the compile failed (the caller fails).
inline std::shared_ptr<const wasm::CompiledModule> compile_guest(const std::string& name,
                                                                 const char* source,
                                                                 std::string& log) {
    const char* source_dir = std::getenv("ESTA_SOURCE_DIR");
    if (source_dir == nullptr) {
        log = "skip: ESTA_SOURCE_DIR is not set (ctest sets it)";
        return nullptr;
    }
    if (std::system("clang-14 --version > /dev/null 2>&1") != 0) {
        log = "skip: clang-14 not installed";
        return nullptr;
    }
    auto dir = std::filesystem::temp_directory_path() /
               ("esta_guest_" + name + "_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "guest.c") << source;
    // -fno-builtin: without libc, clang must not turn the SDK's byte loops into memcpy.
    std::string command =
        "clang-14 --target=wasm32 -nostdlib -fno-builtin -O1 -Wall -Werror "
        "-Wl,--no-entry -Wl,--allow-undefined -I" +
        (std::filesystem::path(source_dir) / "sdk" / "c").string() + " " +
        (dir / "guest.c").string() + " -o " + (dir / "guest.wasm").string() + " > " +
        (dir / "log.txt").string() + " 2>&1";
    std::shared_ptr<const wasm::CompiledModule> compiled;
    if (std::system(command.c_str()) != 0) {
        std::stringstream text;
        text << std::ifstream(dir / "log.txt").rdbuf();
        log = text.str();
        if (log.find("wasm-ld") != std::string::npos) log = "skip: " + log;
    } else {
        std::ifstream file(dir / "guest.wasm", std::ios::binary);
        std::vector<u8> bytes((std::istreambuf_iterator<char>(file)),
                              std::istreambuf_iterator<char>());
        auto module = wasm::compile(ByteSpan(bytes.data(), bytes.size()));
        if (module) {
            compiled = *module;
        } else {
            log = module.error().to_string();
        }
    }
    std::filesystem::remove_all(dir);
    return compiled;
}

// The relay, compiled once per test binary.
inline std::shared_ptr<const wasm::CompiledModule> relay_module(std::string& log) {
    static std::string cached_log;
    static std::shared_ptr<const wasm::CompiledModule> cached =
        compile_guest("relay", kRelayGuest, cached_log);
    log = cached_log;
    return cached;
}

// Skips (toolchain absent) or fails (it did not compile) unless the relay is available.
#define ESTA_NEED_RELAY(module)                                               \
    do {                                                                      \
        std::string relay_log;                                                \
        module = ::esta::drivers::testing::relay_module(relay_log);           \
        if (!module) {                                                        \
            if (relay_log.rfind("skip: ", 0) == 0) GTEST_SKIP() << relay_log; \
            FAIL() << relay_log;                                              \
        }                                                                     \
    } while (0)

// Skips when a service is absent, unless CI=true, where that is a failure.
#define ESTA_NEED_SERVICE_OR_SKIP(available, what)                                       \
    do {                                                                                 \
        if (!(available)) {                                                              \
            const char* ci = std::getenv("CI");                                          \
            if (ci != nullptr && std::string(ci) == "true") FAIL() << what << " absent"; \
            GTEST_SKIP() << what << " absent";                                           \
        }                                                                                \
    } while (0)

// Counts audit records and keeps the last one's event and subject.
class CountingAuditSink final : public observe::AuditSink {
  public:
    Result<u64> append(std::string_view event, const observe::Value::Map& data) override {
        last_event = event;
        auto subject = data.find("subject");
        last_subject =
            subject != data.end() && subject->second.as_text() ? *subject->second.as_text() : "";
        return ++records;
    }
    u64 records = 0;
    std::string last_event;
    std::string last_subject;
};

// A kernel (capability tree, scheduler, syscalls on a manual clock) with a guest (the relay
// unless told otherwise) and the sink, and driver ports granted to the guest under names.
class GuestHarness {
  public:
    explicit GuestHarness(std::shared_ptr<const wasm::CompiledModule> relay)
        : m_tree(m_cap_audit), m_syscalls(m_tree, m_clock, m_scheduler) {
        m_sink = spawn(kernel::testing::minimal_module(), 1);
        m_relay = spawn(std::move(relay), 2);
        EXPECT_TRUE(m_relay->add_grant(
            "sink",
            m_tree.grant(m_sink->endpoint(), kernel::Right::Write, {}, kernel::kKernelProcess, 0)));
        EXPECT_TRUE(m_scheduler.add(m_relay, 0));
        run();
    }

    // Puts `driver` behind a port with `scope` and grants it to the relay as `name` with
    // `rights`. `driver` and `driver_clock` outlive the harness.
    // With `executor`, the driver's work runs on its thread while the relay is parked.
    void grant(const std::string& name, Driver& driver, Scope scope, kernel::Rights rights,
               const protocol::Clock& driver_clock, DriverExecutor* executor = nullptr) {
        kernel::ObjectId id = m_ids.next();
        auto bridge = std::make_unique<KernelDriverBridge>(
            driver, std::move(scope), id, scheduler_time(m_scheduler), driver_clock, executor);
        auto port = kernel::DriverPort::create(id, port_object_type(driver.kind()), name, *bridge);
        ASSERT_TRUE(port.has_value());
        ASSERT_TRUE(m_relay->add_grant(
            name, m_tree.grant(*port, rights, {}, kernel::kKernelProcess, m_clock.now_ns())));
        m_bridges.push_back(std::move(bridge));
        m_ports.push_back(std::move(*port));
    }

    // Queues a message of `type` from the kernel for the guest, without running it.
    Result<void> post(u32 type, std::vector<u8> payload) {
        kernel::Message message;
        message.type = kernel::MessageType(type);
        message.sender = kernel::kKernelProcess;
        message.time = m_clock.now_ns();
        message.payload = std::move(payload);
        if (!m_relay->mailbox().send(std::move(message))) {
            return Err(Status::Internal, "guest.send");
        }
        m_scheduler.wake(m_relay->pid());
        return Ok();
    }
    // One slice of whatever is ready; false when nothing was.
    bool step() {
        m_clock.advance(1'000);
        auto report = m_scheduler.run_next(m_clock.now_ns());
        return report && report->has_value();
    }
    // Queues a message of `type` from the kernel for the guest, runs it, and returns what
    // the guest sent to "sink" (Internal when it sent nothing).
    Result<std::vector<u8>> deliver(u32 type, std::vector<u8> payload) {
        ESTA_TRY(post(type, std::move(payload)));
        run();
        return answer();
    }
    // What the guest sent to "sink" last (Internal when it sent nothing).
    Result<std::vector<u8>> answer() {
        auto answer = m_sink->mailbox().receive(kernel::message_types::kAny,
                                                kernel::Timeout::poll(), m_clock.now_ns());
        if (!answer || !answer->has_value()) return Err(Status::Internal, "guest.no_answer");
        return std::move((*answer)->payload);
    }

    // The relay's `call(cap_lookup(name), op, request, timeout_ms)`: the decoded reply, or
    // the status the guest saw (context "guest.call").
    Result<Value> call(const std::string& name, i32 op, const Value& request,
                       i64 timeout_ms = 5'000) {
        std::vector<u8> bytes =
            ESTA_TRY(deliver(0x30, call_message(name, op, request, timeout_ms)));
        return decode_answer(bytes);
    }
    // The message that makes the relay call `name`.
    static std::vector<u8> call_message(const std::string& name, i32 op, const Value& request,
                                        i64 timeout_ms) {
        std::vector<u8> payload;
        put(payload, static_cast<u32>(name.size()));
        payload.insert(payload.end(), name.begin(), name.end());
        put(payload, static_cast<u32>(op));
        put(payload, static_cast<u32>(timeout_ms));
        put(payload, static_cast<u32>(static_cast<u64>(timeout_ms) >> 32));
        kernel::abi::encode_value(request, payload);
        return payload;
    }
    // The relay's answer: the decoded reply, or the status the guest saw.
    static Result<Value> decode_answer(const std::vector<u8>& bytes) {
        if (bytes.size() < 4) return Err(Status::Internal, "relay.short_answer");
        i32 result = static_cast<i32>(
            static_cast<u32>(bytes[0]) | (static_cast<u32>(bytes[1]) << 8) |
            (static_cast<u32>(bytes[2]) << 16) | (static_cast<u32>(bytes[3]) << 24));
        if (result < 0) return Err(static_cast<Status>(-result), "guest.call");
        return kernel::abi::decode_value(ByteSpan(bytes.data() + 4, bytes.size() - 4));
    }

    KernelDriverBridge& bridge(std::size_t index) { return *m_bridges.at(index); }
    kernel::Process& relay() { return *m_relay; }
    kernel::Syscalls& syscalls() { return m_syscalls; }
    protocol::ManualClock& clock() { return m_clock; }

  private:
    static void put(std::vector<u8>& out, u32 value) {
        for (int shift = 0; shift < 32; shift += 8)
            out.push_back(static_cast<u8>(value >> shift));
    }
    kernel::Ref<kernel::Process> spawn(std::shared_ptr<const wasm::CompiledModule> module,
                                       u32 pid) {
        kernel::SpawnRequest request;
        request.module = std::move(module);
        auto process = kernel::Process::spawn(std::move(request), kernel::ProcessId(pid), m_ids,
                                              m_tree, m_syscalls);
        EXPECT_TRUE(process.has_value()) << process.error().to_string();
        return *process;
    }
    // Runs slices until nothing is ready and no driver call is in flight (bounded: the
    // relay handles one message per wake). Idle with calls in flight, it waits for them
    // and delivers their answers, as the kernel's deterministic run does.
    void run() {
        for (int slices = 0; slices < 100; ++slices) {
            m_clock.advance(1'000);
            auto report = m_scheduler.run_next(m_clock.now_ns());
            ASSERT_TRUE(report.has_value()) << report.error().to_string();
            if (report->has_value()) continue;
            if (m_syscalls.driver_calls_in_flight() == 0) return;
            m_syscalls.deliver_driver_replies(true);
        }
        FAIL() << "the relay did not settle";
    }

    kernel::testing::RecordingAudit m_cap_audit;
    kernel::CapTree m_tree;
    kernel::ObjectIdAllocator m_ids;
    protocol::ManualClock m_clock{1'000'000};
    kernel::Scheduler m_scheduler;
    kernel::Syscalls m_syscalls;
    kernel::Ref<kernel::Process> m_sink;
    kernel::Ref<kernel::Process> m_relay;
    std::vector<std::unique_ptr<KernelDriverBridge>> m_bridges;
    std::vector<kernel::Ref<kernel::DriverPort>> m_ports;
};

}  // namespace esta::drivers::testing
