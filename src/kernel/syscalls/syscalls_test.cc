#include "kernel/syscalls/syscalls.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "kernel/abi_table.h"
#include "kernel/abi_value.h"
#include "kernel/audit_log_object.h"
#include "kernel/cap_encoding.h"
#include "kernel/driver_port.h"
#include "kernel/module_object.h"
#include "kernel/test_kv_driver.h"
#include "kernel/test_support.h"

namespace esta::kernel {
namespace {

using wasm::Value;

class RecordingWaker final : public ProcessWaker {
  public:
    void wake(ProcessId process) override { woken.push_back(process); }
    std::vector<ProcessId> woken;
};

// A process with a page of memory the test writes arguments into, as its guest would.
struct Guest {
    Ref<Process> process;
    std::unique_ptr<wasm::LinearMemory> memory;

    void write(u32 address, std::span<const u8> bytes) {
        auto span = *memory->span(address, bytes.size());
        std::memcpy(span.data(), bytes.data(), bytes.size());
    }
    void write_text(u32 address, std::string_view text) {
        write(address, std::span(reinterpret_cast<const u8*>(text.data()), text.size()));
    }
    void write_u32(u32 address, u32 value) { ASSERT_TRUE(memory->write(address, value)); }
    u32 read_u32(u32 address) { return *memory->read<u32>(address); }
    u64 read_u64(u32 address) { return *memory->read<u64>(address); }
    std::string read_text(u32 address, u32 length) {
        auto span = *memory->span(address, length);
        return std::string(span.begin(), span.end());
    }
};

class SyscallsTest : public ::testing::Test {
  protected:
    Guest guest(SpawnRequest request = {}) {
        request.module = testing::minimal_module();
        request.now = clock.now_ns();
        auto process =
            Process::spawn(std::move(request), ProcessId(++last_pid), ids, tree, syscalls);
        EXPECT_TRUE(process.has_value()) << process.error().to_string();
        auto memory = wasm::LinearMemory::create(wasm::MemoryType{wasm::Limits{1, 1}}, 1);
        EXPECT_TRUE(memory.has_value());
        return Guest{*process, std::move(*memory)};
    }
    // A grant of `to`'s endpoint for the sender, badged with the sender's name.
    Grant endpoint_grant(const Guest& to, std::string name, u32 badge,
                         Rights rights = Right::Write | Right::Transfer | Right::Delegate) {
        return Grant{std::move(name),
                     tree.grant(to.process->endpoint(), rights, {}, kKernelProcess, 0, badge)};
    }
    SyscallResult call(Guest& guest, std::string_view name, std::vector<Value> args) {
        return syscalls.invoke(name, *guest.process, guest.memory.get(), args);
    }
    static i64 status(Status status) { return -static_cast<i64>(status); }

    testing::RecordingAudit audit;
    CapTree tree{audit};
    ObjectIdAllocator ids;
    protocol::ManualClock clock{1'000'000'000};
    RecordingWaker waker;
    Syscalls syscalls{tree, clock, waker};
    u32 last_pid = 0;
};

Value w32(i64 value) {
    return Value::i32(static_cast<u32>(value));
}
Value w64(i64 value) {
    return Value::i64(static_cast<u64>(value));
}

TEST_F(SyscallsTest, K20_EveryAbiFunctionIsRegisteredWithItsSignature) {
    Guest g = guest();
    wasm::Store store;
    wasm::Linker linker;
    syscalls.define_imports(store, *g.process, linker);
    for (const abi::Function& function : abi::functions()) {
        auto found = linker.find(abi::kImportModule, function.name);
        ASSERT_TRUE(found.has_value()) << function.name;
        const wasm::FuncType& type = wasm::function_type(found->function);
        std::string actual = "(";
        for (std::size_t i = 0; i < type.params.size(); ++i) {
            actual += i ? ", " : "";
            actual += type.params[i] == wasm::ValType::I32   ? "i32"
                      : type.params[i] == wasm::ValType::I64 ? "i64"
                                                             : "f64";
        }
        actual += ") -> ";
        actual += type.results.empty()                    ? "()"
                  : type.results[0] == wasm::ValType::I32 ? "i32"
                                                          : "i64";
        EXPECT_EQ(actual, abi::signature(function)) << function.name;
    }
    EXPECT_FALSE(linker.find(abi::kImportModule, "not_in_the_abi").has_value());
}

TEST_F(SyscallsTest, K20_FunctionsWithoutTheirServiceAnswerNotSupported) {
    Guest g = guest();
    // No observer among the services: spans are not supported (a valid name, so the
    // decode step passes first).
    EXPECT_EQ(call(g, "span_begin", {w32(0), w32(4)}).value, status(Status::NotSupported));
    EXPECT_EQ(call(g, "span_begin", {w32(0), w32(0)}).value, status(Status::InvalidArgs));
    for (const abi::Function& function : abi::functions())
        EXPECT_TRUE(Syscalls::implemented(function.name)) << function.name;
    EXPECT_FALSE(Syscalls::implemented("not_in_the_abi"));
}

TEST_F(SyscallsTest, K21_BadRangesAreOutOfBoundsNeverAFault) {
    Guest g = guest();
    EXPECT_EQ(call(g, "cap_lookup", {w32(65530), w32(100)}).value, status(Status::OutOfBounds));
    EXPECT_EQ(call(g, "cap_lookup", {w32(-1), w32(2)}).value, status(Status::OutOfBounds));
    EXPECT_EQ(call(g, "recv", {w64(0), w32(0), w32(0), w32(16), w32(65536 - 8)}).value,
              status(Status::OutOfBounds));
    EXPECT_EQ(syscalls.invoke("cap_lookup", *g.process, nullptr, std::vector{w32(0), w32(1)}).value,
              status(Status::OutOfBounds));
}

TEST_F(SyscallsTest, K10_CapLookupFindsGrantsByName) {
    SpawnRequest request;
    request.grants.push_back(Grant{"kv", tree.grant(make_ref<testing::FakeTopic>(ids.next(), "t"),
                                                    Right::Read, {}, kKernelProcess, 0)});
    Guest g = guest(std::move(request));
    g.write_text(100, "kv");
    SyscallResult found = call(g, "cap_lookup", {w32(100), w32(2)});
    ASSERT_GT(found.value, 0);
    EXPECT_EQ(found.value, g.process->lookup_grant("kv")->value());
    EXPECT_EQ(call(g, "cap_lookup", {w32(100), w32(1)}).value, status(Status::NotFound));
}

TEST_F(SyscallsTest, K3_SendAndReceiveMoveHandlesAndWriteTheInfoRecord) {
    Guest bob = guest();
    SpawnRequest request;
    request.grants.push_back(endpoint_grant(bob, "bob", 7));
    int zero_calls = 0;
    request.grants.push_back(
        Grant{"gift", tree.grant(make_ref<testing::FakeTopic>(ids.next(), "t", &zero_calls),
                                 Right::Read | Right::Transfer, {}, kKernelProcess, 0)});
    Guest alice = guest(std::move(request));
    u32 to_bob = alice.process->lookup_grant("bob")->value();
    u32 gift = alice.process->lookup_grant("gift")->value();
    alice.write_text(0, "hello");
    alice.write_u32(64, gift);

    clock.advance(5);
    SyscallResult sent = call(alice, "send",
                              {w32(to_bob), w32(0x10), w32(0), w32(5), w32(64), w32(1),
                               w32(send_flags::kRequireAck | (3u << 8))});
    ASSERT_EQ(sent.kind, SyscallResult::Kind::Value);
    EXPECT_EQ(sent.value, 1);  // The first sequence number.
    EXPECT_EQ(alice.process->handles()
                  .get_object(HandleValue(gift), {}, {}, {alice.process->pid(), 0})
                  .error()
                  .code,
              Status::BadHandle);  // Moved out.

    SyscallResult got = call(bob, "recv", {w64(0), w32(0), w32(100), w32(64), w32(200)});
    ASSERT_EQ(got.value, 5);
    EXPECT_EQ(bob.read_text(100, 5), "hello");
    EXPECT_EQ(bob.read_u32(200), 72u);             // size
    EXPECT_EQ(bob.read_u32(204), 0x10u);           // type
    EXPECT_EQ(bob.read_u32(208), 5u);              // len
    EXPECT_EQ(bob.read_u32(212), 1u | (3u << 8));  // flags with priority
    EXPECT_EQ(bob.read_u64(216), 1u);              // seq
    EXPECT_EQ(bob.read_u64(224), 1'000'000'005u);  // time_ns
    EXPECT_EQ(bob.read_u32(232), 7u);              // sender_badge
    EXPECT_EQ(bob.read_u32(236), 1u);              // handles_n
    HandleValue received(bob.read_u32(240));
    auto topic = bob.process->handles().get<testing::FakeTopic>(received, Right::Read,
                                                                {bob.process->pid(), 0});
    EXPECT_TRUE(topic.has_value());
    EXPECT_EQ(bob.process->current_time(), 1'000'000'005);  // T-2.
    EXPECT_EQ(call(bob, "now", {}).value, 1'000'000'005);
    EXPECT_EQ(zero_calls, 0);
}

TEST_F(SyscallsTest, K15_SendWithoutTransferMovesNothing) {
    Guest bob = guest();
    SpawnRequest request;
    request.grants.push_back(endpoint_grant(bob, "bob", 1));
    request.grants.push_back(Grant{"kept", tree.grant(make_ref<testing::FakeTopic>(ids.next(), "t"),
                                                      Right::Read, {}, kKernelProcess, 0)});
    Guest alice = guest(std::move(request));
    u32 kept = alice.process->lookup_grant("kept")->value();
    alice.write_u32(64, kept);
    SyscallResult sent = call(alice, "send",
                              {w32(alice.process->lookup_grant("bob")->value()), w32(0x10), w32(0),
                               w32(0), w32(64), w32(1), w32(0)});
    EXPECT_EQ(sent.value, status(Status::AccessDenied));
    EXPECT_EQ(bob.process->mailbox().size(), 0u);
    EXPECT_EQ(alice.process->handles().size(), 2u);
}

TEST_F(SyscallsTest, K3_SendRefusesMalformedRequests) {
    Guest bob = guest();
    SpawnRequest request;
    request.grants.push_back(endpoint_grant(bob, "bob", 1, Right::Transfer));
    Guest alice = guest(std::move(request));
    i64 h = alice.process->lookup_grant("bob")->value();
    auto send = [&](u32 type, u32 handles_n, u32 flags) {
        return call(alice, "send",
                    {w32(h), w32(type), w32(0), w32(0), w32(64), w32(handles_n), w32(flags)})
            .value;
    };
    EXPECT_EQ(send(0x10, 0, 1u << 12), status(Status::InvalidArgs));  // Unknown flag.
    EXPECT_EQ(send(0x0001, 0, 0), status(Status::InvalidArgs));       // Kernel type (Ping).
    EXPECT_EQ(send(0x10, 5, 0), status(Status::InvalidArgs));         // Five handles.
    EXPECT_EQ(send(0x10, 0, 0), status(Status::AccessDenied));        // No WRITE.
    EXPECT_EQ(
        call(alice, "send", {w32(12345), w32(0x10), w32(0), w32(0), w32(0), w32(0), w32(0)}).value,
        status(Status::BadHandle));
}

TEST_F(SyscallsTest, K3_SendToAnEndedProcessIsNotFound) {
    Guest bob = guest();
    SpawnRequest request;
    request.grants.push_back(endpoint_grant(bob, "bob", 1));
    Guest alice = guest(std::move(request));
    bob.process->kill();
    EXPECT_EQ(call(alice, "send",
                   {w32(alice.process->lookup_grant("bob")->value()), w32(0x10), w32(0), w32(0),
                    w32(0), w32(0), w32(0)})
                  .value,
              status(Status::NotFound));
}

TEST_F(SyscallsTest, K3_BlockingReceiveParksAndWakesOnSend) {
    Guest bob = guest();
    SpawnRequest request;
    request.grants.push_back(endpoint_grant(bob, "bob", 1));
    Guest alice = guest(std::move(request));
    SyscallResult waiting = call(bob, "recv", {w64(-1), w32(0), w32(0), w32(16), w32(100)});
    EXPECT_EQ(waiting.kind, SyscallResult::Kind::Block);
    EXPECT_TRUE(bob.process->mailbox().receiver_parked());
    call(alice, "send",
         {w32(alice.process->lookup_grant("bob")->value()), w32(0x10), w32(0), w32(3), w32(0),
          w32(0), w32(0)});
    EXPECT_EQ(waker.woken, std::vector<ProcessId>{bob.process->pid()});
    // The engine retries the same call after the wake-up.
    EXPECT_EQ(call(bob, "recv", {w64(-1), w32(0), w32(0), w32(16), w32(100)}).value, 3);
}

TEST_F(SyscallsTest, K3_ReceiveTimeoutIsMeasuredFromTheFirstAttempt) {
    Guest bob = guest();
    std::vector<Value> args = {w64(5), w32(0), w32(0), w32(16), w32(100)};
    EXPECT_EQ(call(bob, "recv", args).kind, SyscallResult::Kind::Block);
    clock.advance(4 * kNanosPerMilli);
    EXPECT_EQ(call(bob, "recv", args).kind, SyscallResult::Kind::Block);
    clock.advance(1 * kNanosPerMilli);
    EXPECT_EQ(call(bob, "recv", args).value, status(Status::Timeout));
    EXPECT_EQ(call(bob, "recv", {w64(0), w32(0), w32(0), w32(16), w32(100)}).value,
              status(Status::Empty));
    EXPECT_EQ(call(bob, "recv", {w64(-7), w32(0), w32(0), w32(16), w32(100)}).value,
              status(Status::InvalidArgs));
}

TEST_F(SyscallsTest, K3_BufferTooSmallLeavesTheMessageAndReportsItsLength) {
    Guest bob = guest();
    SpawnRequest request;
    request.grants.push_back(endpoint_grant(bob, "bob", 1));
    Guest alice = guest(std::move(request));
    call(alice, "send",
         {w32(alice.process->lookup_grant("bob")->value()), w32(0x10), w32(0), w32(40), w32(0),
          w32(0), w32(0)});
    EXPECT_EQ(call(bob, "recv", {w64(0), w32(0), w32(0), w32(39), w32(100)}).value,
              status(Status::BufferTooSmall));
    EXPECT_EQ(bob.read_u32(108), 40u);  // info.len
    EXPECT_EQ(bob.process->mailbox().size(), 1u);
    EXPECT_EQ(call(bob, "recv", {w64(0), w32(0), w32(0), w32(40), w32(100)}).value, 40);
}

TEST_F(SyscallsTest, K15_DeriveInfoRevokeAndDropThroughTheAbi) {
    SpawnRequest request;
    request.grants.push_back(
        Grant{"topic", tree.grant(make_ref<testing::FakeTopic>(ids.next(), "decisions"),
                                  Right::Read | Right::Write | Right::Delegate | Right::Revoke, {},
                                  kKernelProcess, 0)});
    Guest g = guest(std::move(request));
    i64 root = g.process->lookup_grant("topic")->value();
    auto restrictions = abi::encode_value(abi::AbiValue(abi::ValueMap{{"max_uses", i64{3}}}));
    g.write(1000, restrictions);
    i64 read_only = static_cast<i64>(Rights(Right::Read | Right::Delegate).bits());
    SyscallResult child =
        call(g, "cap_derive",
             {w32(root), w64(read_only), w32(1000), w32(static_cast<i64>(restrictions.size()))});
    ASSERT_GT(child.value, 0);
    SyscallResult escalated =
        call(g, "cap_derive", {w32(child.value), w64(read_only | 2), w32(0), w32(0)});
    EXPECT_EQ(escalated.value, status(Status::RightsEscalation));
    SyscallResult grandchild = call(g, "cap_derive", {w32(child.value), w64(1), w32(0), w32(0)});
    ASSERT_GT(grandchild.value, 0);

    SyscallResult info = call(g, "cap_info", {w32(grandchild.value), w32(2000), w32(512)});
    ASSERT_GT(info.value, 0);
    auto record = abi::decode_value(*g.memory->span(2000, static_cast<u64>(info.value)));
    ASSERT_TRUE(record.has_value());
    EXPECT_EQ(*record->find("kind_name")->get<std::string>(), "topic");
    EXPECT_EQ(*record->find("uses_remaining")->get<i64>(), 3);
    EXPECT_EQ(call(g, "cap_info", {w32(grandchild.value), w32(2000), w32(4)}).value,
              status(Status::BufferTooSmall));

    EXPECT_EQ(call(g, "cap_revoke", {w32(root)}).value, 2);  // child and grandchild.
    EXPECT_EQ(call(g, "cap_info", {w32(grandchild.value), w32(2000), w32(512)}).value > 0, true);
    EXPECT_EQ(call(g, "cap_drop", {w32(grandchild.value)}).value, 0);
    EXPECT_EQ(call(g, "cap_drop", {w32(grandchild.value)}).value, status(Status::BadHandle));
}

TEST_F(SyscallsTest, K16_LargeRevocationSuspendsBetweenBoundedSteps) {
    Syscalls small{tree, clock, waker, SyscallConfig{.revoke_steps_per_call = 10}};
    SpawnRequest request;
    request.grants.push_back(Grant{"t", tree.grant(make_ref<testing::FakeTopic>(ids.next(), "t"),
                                                   Rights::all_standard(), {}, kKernelProcess, 0)});
    Guest g = guest(std::move(request));
    HandleValue root = *g.process->lookup_grant("t");
    CheckContext context{g.process->pid(), 0};
    for (int i = 0; i < 25; ++i) {
        ASSERT_TRUE(g.process->handles().derive(root, Right::Read, {}, context).has_value());
    }
    std::vector<Value> args = {w32(root.value())};
    int suspensions = 0;
    SyscallResult result = small.invoke("cap_revoke", *g.process, g.memory.get(), args);
    while (result.kind == SyscallResult::Kind::Block) {
        ++suspensions;
        result = small.invoke("cap_revoke", *g.process, g.memory.get(), args);
    }
    EXPECT_EQ(suspensions, 2);  // 10 + 10 + 5.
    EXPECT_EQ(result.value, 25);
}

TEST_F(SyscallsTest, K1_ExitYieldAndNow) {
    Guest g = guest();
    SyscallResult exit = call(g, "exit", {w32(3)});
    EXPECT_EQ(exit.kind, SyscallResult::Kind::Exit);
    EXPECT_EQ(exit.value, 3);
    EXPECT_EQ(call(g, "yield", {}).kind, SyscallResult::Kind::Block);
    EXPECT_EQ(call(g, "yield", {}).value, 0);
    clock.advance(999);  // The host clock moving does not move `now` (T-2).
    EXPECT_EQ(call(g, "now", {}).value, 1'000'000'000);
}

// (import "estalogic" "cap_drop" (func (param i32) (result i32)))
// (import "estalogic" "exit" (func (param i32)))
// (func (export "_start") (call 1 (call 0 (i32.const 12345))))
TEST_F(SyscallsTest, K20_AGuestCallsTheKernelThroughItsImports) {
    const std::vector<u8> bytes = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
        // types: 0 (i32)->i32, 1 (i32)->(), 2 ()->()
        0x01, 0x0d, 0x03, 0x60, 0x01, 0x7f, 0x01, 0x7f, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x00, 0x00,
        // imports
        0x02, 0x27, 0x02, 0x09, 'e', 's', 't', 'a', 'l', 'o', 'g', 'i', 'c', 0x08, 'c', 'a', 'p',
        '_', 'd', 'r', 'o', 'p', 0x00, 0x00, 0x09, 'e', 's', 't', 'a', 'l', 'o', 'g', 'i', 'c',
        0x04, 'e', 'x', 'i', 't', 0x00, 0x01,
        // function 2 of type 2, exported as _start
        0x03, 0x02, 0x01, 0x02, 0x07, 0x0a, 0x01, 0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x02,
        // code: i32.const 12345; call 0; call 1; end
        0x0a, 0x0c, 0x01, 0x0a, 0x00, 0x41, 0xb9, 0xe0, 0x00, 0x10, 0x00, 0x10, 0x01, 0x0b};
    auto module = wasm::compile(ByteSpan(bytes.data(), bytes.size()));
    ASSERT_TRUE(module.has_value()) << module.error().to_string();
    SpawnRequest request;
    request.module = *module;
    auto process = Process::spawn(std::move(request), ProcessId(50), ids, tree, syscalls);
    ASSERT_TRUE(process.has_value()) << process.error().to_string();
    ASSERT_TRUE((*process)->transition(ProcessState::Ready).has_value());
    ASSERT_TRUE((*process)->run_slice().has_value());
    ASSERT_EQ((*process)->state(), ProcessState::Completed);
    // cap_drop(12345) answered -BAD_HANDLE, which the guest passed to exit.
    EXPECT_EQ((*process)->exit_reason()->kind, ExitReason::Kind::Code);
    EXPECT_EQ((*process)->exit_reason()->code, -static_cast<i32>(Status::BadHandle));
}

// ---- random, log, metric ------------------------------------------------------------

class RecordingServices final : public KernelLogger,
                                public KernelMetrics,
                                public KernelAnswerRecorder {
  public:
    void log(ProcessId process, LogLevel level, std::string_view text) override {
        lines.push_back(std::to_string(process.value()) + ":" +
                        std::to_string(static_cast<int>(level)) + ":" + std::string(text));
    }
    Result<void> add(ProcessId, std::string_view name, double value) override {
        if (name != "hours") return Err(Status::NotFound, "test.metric");
        total += value;
        return Ok();
    }
    void started(ProcessId, const protocol::ProcessStart&, Nanos) override {}
    void delivered(ProcessId, const Message&) override {}
    void ended(ProcessId, const protocol::ProcessEnd&, Nanos) override {}
    void answered(ProcessId process, protocol::SyscallAnswer answer, Nanos) override {
        // The random bytes are the one span the call wrote.
        std::vector<u8> bytes;
        for (const auto& write : answer.writes)
            bytes.insert(bytes.end(), write.bytes.begin(), write.bytes.end());
        answers.push_back({process, answer.function, std::move(bytes)});
    }
    struct Answer {
        ProcessId process;
        std::string syscall;
        std::vector<u8> bytes;
    };
    std::vector<std::string> lines;
    double total = 0;
    std::vector<Answer> answers;
};

class ObserveSyscallsTest : public SyscallsTest {
  protected:
    SyscallResult observed_call(Guest& guest, std::string_view name, std::vector<Value> args) {
        return observed.invoke(name, *guest.process, guest.memory.get(), args);
    }
    RecordingServices services;
    Syscalls observed{
        tree, clock, waker, {}, SyscallServices{&services, &services, &services, nullptr, 42}};
};

TEST_F(ObserveSyscallsTest, T2_RandomIsDeterministicPerProcessAndRecorded) {
    Guest a = guest();
    Guest b = guest();
    ASSERT_EQ(observed_call(a, "random", {w32(100), w32(13)}).value, 0);
    ASSERT_EQ(observed_call(b, "random", {w32(100), w32(13)}).value, 0);
    std::string first_a = a.read_text(100, 13);
    EXPECT_NE(first_a, b.read_text(100, 13));  // Streams differ by process identity.
    ASSERT_EQ(services.answers.size(), 2u);
    EXPECT_EQ(services.answers[0].process, a.process->pid());
    EXPECT_EQ(services.answers[0].syscall, "random");
    EXPECT_EQ(std::string(services.answers[0].bytes.begin(), services.answers[0].bytes.end()),
              first_a);
    // The next draw continues the stream rather than repeating it.
    ASSERT_EQ(observed_call(a, "random", {w32(100), w32(13)}).value, 0);
    EXPECT_NE(a.read_text(100, 13), first_a);

    // A fresh kernel with the same seed gives the same first bytes to the same pid.
    Syscalls replay{
        tree, clock, waker, {}, SyscallServices{nullptr, nullptr, nullptr, nullptr, 42}};
    ASSERT_EQ(
        replay.invoke("random", *a.process, a.memory.get(), std::vector<Value>{w32(200), w32(13)})
            .value,
        0);
    EXPECT_EQ(a.read_text(200, 13), first_a);
    EXPECT_EQ(observed_call(a, "random", {w32(65530), w32(13)}).value, status(Status::OutOfBounds));
}

TEST_F(ObserveSyscallsTest, K20_LogChecksTheLevelAndReachesTheLogger) {
    Guest g = guest();
    g.write_text(10, "accrued");
    EXPECT_EQ(observed_call(g, "log", {w32(2), w32(10), w32(7)}).value, 0);
    EXPECT_EQ(observed_call(g, "log", {w32(7), w32(10), w32(7)}).value,
              status(Status::InvalidArgs));
    EXPECT_EQ(observed_call(g, "log", {w32(-1), w32(10), w32(7)}).value,
              status(Status::InvalidArgs));
    EXPECT_EQ(observed_call(g, "log", {w32(6), w32(65535), w32(7)}).value,
              status(Status::OutOfBounds));
    ASSERT_EQ(services.lines.size(), 1u);
    EXPECT_EQ(services.lines[0], std::to_string(g.process->pid().value()) + ":2:accrued");
    // Without a logger the syscall is not offered.
    EXPECT_EQ(call(g, "log", {w32(2), w32(10), w32(7)}).value, status(Status::NotSupported));
}

TEST_F(ObserveSyscallsTest, K20_MetricAddsToDeclaredNamesOnly) {
    Guest g = guest();
    g.write_text(10, "hours");
    g.write_text(20, "bogus");
    EXPECT_EQ(observed_call(g, "metric", {w32(10), w32(5), Value::f64(1.5)}).value, 0);
    EXPECT_EQ(observed_call(g, "metric", {w32(10), w32(5), Value::f64(2.0)}).value, 0);
    EXPECT_EQ(observed_call(g, "metric", {w32(20), w32(5), Value::f64(1.0)}).value,
              status(Status::NotFound));
    EXPECT_EQ(observed_call(g, "metric", {w32(10), w32(0), Value::f64(1.0)}).value,
              status(Status::InvalidArgs));
    EXPECT_EQ(observed_call(g, "metric", {w32(10), w32(5), Value::f64(std::nan(""))}).value,
              status(Status::InvalidArgs));
    EXPECT_DOUBLE_EQ(services.total, 3.5);
}

// ---- audit ----------------------------------------------------------------------------

class RecordingAuditLog final : public KernelAuditLog {
  public:
    Result<u64> append(ProcessId process, std::string_view kind,
                       std::span<const u8> record) override {
        records.push_back(std::to_string(process.value()) + ":" + std::string(kind) + ":" +
                          std::string(record.begin(), record.end()));
        return records.size();
    }
    std::vector<std::string> records;
};

class AuditSyscallTest : public SyscallsTest {
  protected:
    Guest audited(Rights rights) {
        SpawnRequest request;
        request.grants.push_back(
            Grant{"audit", tree.grant(log_object, rights, {}, kKernelProcess, 0)});
        return guest(std::move(request));
    }
    RecordingAuditLog log;
    Ref<AuditLogObject> log_object = make_ref<AuditLogObject>(ids.next(), "audit", log);
};

TEST_F(AuditSyscallTest, K20_AuditNeedsWriteOnTheAuditHandleAndReturnsTheRecordId) {
    Guest writer = audited(Right::Write);
    writer.write_text(10, "accrual");
    writer.write_text(20, "5h");
    EXPECT_EQ(call(writer, "audit", {w32(10), w32(7), w32(20), w32(2)}).value, 1);
    EXPECT_EQ(call(writer, "audit", {w32(10), w32(7), w32(20), w32(2)}).value, 2);
    ASSERT_EQ(log.records.size(), 2u);
    EXPECT_EQ(log.records[0], std::to_string(writer.process->pid().value()) + ":app.accrual:5h");

    Guest reader = audited(Right::Read);
    reader.write_text(10, "accrual");
    EXPECT_EQ(call(reader, "audit", {w32(10), w32(7), w32(20), w32(2)}).value,
              status(Status::AccessDenied));
    Guest stranger = guest();
    stranger.write_text(10, "accrual");
    EXPECT_EQ(call(stranger, "audit", {w32(10), w32(7), w32(20), w32(2)}).value,
              status(Status::AccessDenied));
    EXPECT_EQ(call(writer, "audit", {w32(10), w32(0), w32(20), w32(2)}).value,
              status(Status::InvalidArgs));
    EXPECT_EQ(call(writer, "audit", {w32(10), w32(7), w32(65535), w32(2)}).value,
              status(Status::OutOfBounds));
    EXPECT_EQ(log.records.size(), 2u);
}

// ---- call on a driver handle ------------------------------------------------------------

class DriverCallTest : public SyscallsTest {
  protected:
    Guest with_keyspace(Rights rights) {
        SpawnRequest request;
        request.grants.push_back(Grant{"kv", tree.grant(port, rights, {}, kKernelProcess, 0)});
        Guest g = guest(std::move(request));
        return g;
    }
    // Writes the encoded request at 100 and calls op with the reply buffer at 1000.
    SyscallResult kv_call(Guest& g, i32 op, const abi::AbiValue& request, u32 reply_capacity = 256,
                          i64 timeout_ms = 100) {
        std::vector<u8> bytes = abi::encode_value(request);
        g.write(100, bytes);
        return call(
            g, "call",
            {w32(g.process->lookup_grant("kv")->value()), w32(op), w32(100),
             w32(static_cast<i64>(bytes.size())), w32(1000), w32(reply_capacity), w64(timeout_ms)});
    }
    abi::AbiValue reply_of(Guest& g, i64 length) {
        auto span = *g.memory->span(1000, static_cast<u32>(length));
        return *abi::decode_value(span);
    }
    static abi::AbiValue bytes(std::string_view text) {
        return abi::ByteString(text.begin(), text.end());
    }

    testing::KeyValueDriver driver;
    Ref<DriverPort> port = *DriverPort::create(ids.next(), ObjectType::RedisKeyspace, "kv", driver);
};

TEST_F(DriverCallTest, K20_GuestCallReachesTheDriverThroughTheCapabilityChecks) {
    Guest g = with_keyspace(Right::Read | Right::Write);
    SyscallResult set =
        kv_call(g, testing::KeyValueDriver::kSet, abi::ValueList{"hours", bytes("40")});
    ASSERT_EQ(set.kind, SyscallResult::Kind::Value);
    ASSERT_GT(set.value, 0);
    EXPECT_TRUE(reply_of(g, set.value).is_null());
    EXPECT_EQ(driver.values.at("hours"), (abi::ByteString{'4', '0'}));
    EXPECT_EQ(driver.last_deadline, clock.now_ns() + 100 * kNanosPerMilli);

    SyscallResult get = kv_call(g, testing::KeyValueDriver::kGet, abi::ValueList{"hours"});
    ASSERT_GT(get.value, 0);
    EXPECT_EQ(reply_of(g, get.value), bytes("40"));
    EXPECT_EQ(kv_call(g, testing::KeyValueDriver::kGet, abi::ValueList{"none"}).value,
              status(Status::NotFound));
}

TEST_F(DriverCallTest, K20_CallChecksTheOpsRightTheOpAndTheBuffers) {
    Guest reader = with_keyspace(Right::Read);
    EXPECT_EQ(
        kv_call(reader, testing::KeyValueDriver::kSet, abi::ValueList{"hours", bytes("1")}).value,
        status(Status::AccessDenied));
    EXPECT_TRUE(driver.values.empty());
    driver.values["hours"] = {'7'};
    EXPECT_GT(kv_call(reader, testing::KeyValueDriver::kGet, abi::ValueList{"hours"}).value, 0);
    EXPECT_EQ(kv_call(reader, 99, abi::ValueList{"hours"}).value, status(Status::InvalidArgs));
    EXPECT_EQ(kv_call(reader, testing::KeyValueDriver::kGet, abi::ValueList{"hours"}, 1).value,
              status(Status::BufferTooSmall));
    EXPECT_EQ(
        kv_call(reader, testing::KeyValueDriver::kGet, abi::ValueList{"hours"}, 256, -1).value,
        status(Status::InvalidArgs));
    // A malformed request (tag 0xEE) changes nothing.
    reader.write(100, std::vector<u8>{0xEE});
    EXPECT_EQ(call(reader, "call",
                   {w32(reader.process->lookup_grant("kv")->value()), w32(1), w32(100), w32(1),
                    w32(1000), w32(256), w64(10)})
                  .value,
              status(Status::InvalidArgs));
    EXPECT_EQ(
        call(reader, "call", {w32(12345), w32(1), w32(100), w32(1), w32(1000), w32(256), w64(10)})
            .value,
        status(Status::InvalidArgs));  // The decode runs before the handle check.
}

TEST_F(DriverCallTest, K20_CallOnAnEndpointIsARequestNotADriverCall) {
    Guest receiver = guest();
    SpawnRequest request;
    request.grants.push_back(endpoint_grant(receiver, "peer", 1));
    Guest g = guest(std::move(request));
    std::vector<u8> request_bytes = abi::encode_value(abi::ValueList{"k"});
    g.write(100, request_bytes);
    i64 length = static_cast<i64>(request_bytes.size());
    EXPECT_EQ(
        call(g, "call", {w32(777), w32(1), w32(100), w32(length), w32(1000), w32(256), w64(10)})
            .value,
        status(Status::BadHandle));
    EXPECT_EQ(call(g, "call",
                   {w32(g.process->lookup_grant("peer")->value()), w32(0x10), w32(100), w32(length),
                    w32(1000), w32(256), w64(10)})
                  .kind,
              SyscallResult::Kind::Block);  // Queued as a request; kernel_runtime_test.cc.
    EXPECT_EQ(DriverPort::create(ids.next(), ObjectType::Endpoint, "x", driver).error().code,
              Status::InvalidArgs);
}

// ---- spawn ------------------------------------------------------------------------------

class RecordingSpawner final : public KernelSpawner {
  public:
    RecordingSpawner(ObjectIdAllocator& ids, CapTree& tree, ImportProvider& imports)
        : m_ids(ids), m_tree(tree), m_imports(imports) {}
    Result<Ref<Process>> spawn(SpawnRequest request) override {
        auto child = ESTA_TRY(
            Process::spawn(std::move(request), ProcessId(++m_last), m_ids, m_tree, m_imports));
        children.push_back(child);
        return child;
    }
    std::vector<Ref<Process>> children;

  private:
    ObjectIdAllocator& m_ids;
    CapTree& m_tree;
    ImportProvider& m_imports;
    u32 m_last = 100;
};

class SpawnSyscallTest : public SyscallsTest {
  protected:
    Guest parent(Rights module_rights) {
        SpawnRequest request;
        request.grants.push_back(
            Grant{"mod", tree.grant(module, module_rights, {}, kKernelProcess, 0)});
        request.grants.push_back(endpoint_grant(peer, "peer", 7));
        return guest(std::move(request));
    }
    SyscallResult spawn_call(Guest& g, const abi::AbiValue& grants, i64 priority = 2) {
        g.write_text(10, "_start");
        std::vector<u8> bytes = abi::encode_value(grants);
        g.write(100, bytes);
        return spawner_calls.invoke(
            "spawn", *g.process, g.memory.get(),
            std::vector<Value>{w32(g.process->lookup_grant("mod")->value()), w32(10), w32(6),
                               w32(100), w32(static_cast<i64>(bytes.size())), w32(priority)});
    }
    Guest peer = guest();
    Ref<ModuleObject> module =
        make_ref<ModuleObject>(ids.next(), "minimal", testing::minimal_module());
    RecordingSpawner spawner{ids, tree, syscalls};
    Syscalls spawner_calls{
        tree, clock, waker, {}, SyscallServices{nullptr, nullptr, nullptr, &spawner, 0}};
};

TEST_F(SpawnSyscallTest, K20_SpawnStartsAChildWithMovedGrantsAndReturnsAProcessHandle) {
    Guest g = parent(Right::Execute);
    HandleValue peer_value = *g.process->lookup_grant("peer");
    SyscallResult result =
        spawn_call(g, abi::ValueMap{{"up", abi::AbiValue(i64{peer_value.value()})}});
    ASSERT_EQ(result.kind, SyscallResult::Kind::Value);
    ASSERT_GT(result.value, 0);
    ASSERT_EQ(spawner.children.size(), 1u);
    Ref<Process> child = spawner.children[0];
    EXPECT_EQ(child->parent(), g.process->pid());
    EXPECT_TRUE(child->lookup_grant("up").has_value());
    // Moved: the parent's handle is gone.
    EXPECT_FALSE(g.process->handles().get_object(peer_value, std::nullopt, Rights::none(),
                                                 CheckContext{g.process->pid(), 0}));
    // The returned handle names the child.
    auto named =
        g.process->handles().get<Process>(HandleValue(static_cast<u32>(result.value)), Right::Read,
                                          CheckContext{g.process->pid(), clock.now_ns()});
    ASSERT_TRUE(named.has_value());
    EXPECT_EQ((*named)->pid(), child->pid());
}

TEST_F(SpawnSyscallTest, K20_SpawnChecksEverythingBeforeMovingAnything) {
    Guest no_execute = parent(Right::Read);
    HandleValue peer_value = *no_execute.process->lookup_grant("peer");
    EXPECT_EQ(
        spawn_call(no_execute, abi::ValueMap{{"up", abi::AbiValue(i64{peer_value.value()})}}).value,
        status(Status::AccessDenied));
    EXPECT_TRUE(no_execute.process->lookup_grant("peer").has_value());

    Guest g = parent(Right::Execute);
    peer_value = *g.process->lookup_grant("peer");
    EXPECT_EQ(spawn_call(g, abi::ValueMap{{"up", abi::AbiValue(i64{peer_value.value()})},
                                          {"bad", abi::AbiValue(i64{999})}})
                  .value,
              status(Status::BadHandle));
    EXPECT_EQ(spawn_call(g, abi::ValueMap{{"a", abi::AbiValue(i64{peer_value.value()})},
                                          {"b", abi::AbiValue(i64{peer_value.value()})}})
                  .value,
              status(Status::InvalidArgs));
    EXPECT_EQ(spawn_call(g, abi::ValueList{}).value, status(Status::InvalidArgs));
    EXPECT_EQ(spawn_call(g, abi::ValueMap{}, 6).value, status(Status::InvalidArgs));
    EXPECT_TRUE(spawner.children.empty());
    // The peer handle is still the parent's after every refusal.
    EXPECT_TRUE(g.process->handles()
                    .get_object(peer_value, std::nullopt, Right::Transfer,
                                CheckContext{g.process->pid(), 0})
                    .has_value());
    // Without a spawner the kernel does not offer spawn.
    EXPECT_EQ(call(g, "spawn", {w32(1), w32(10), w32(6), w32(100), w32(0), w32(2)}).value,
              status(Status::NotSupported));
}

TEST_F(SpawnSyscallTest, K15_SpawnGrantsADerivedHandleAndTheParentKeepsItsOwn) {
    Guest g = parent(Right::Execute);
    HandleValue peer_value = *g.process->lookup_grant("peer");
    i64 peer = i64{peer_value.value()};
    auto derived = [&](i64 rights, abi::ValueMap extra = {}) {
        abi::ValueMap grant{{"handle", abi::AbiValue(peer)}, {"rights", abi::AbiValue(rights)}};
        for (auto& entry : extra)
            grant.push_back(std::move(entry));
        return abi::AbiValue(std::move(grant));
    };
    i64 write = static_cast<i64>(Rights(Right::Write).bits());
    // Refused before anything happens: more rights than held, a malformed map.
    i64 everything = static_cast<i64>(Rights::all_standard().bits());
    EXPECT_EQ(spawn_call(g, abi::ValueMap{{"up", derived(everything)}}).value,
              status(Status::RightsEscalation));
    EXPECT_EQ(
        spawn_call(g, abi::ValueMap{{"up", abi::ValueMap{{"handle", abi::AbiValue(peer)}}}}).value,
        status(Status::InvalidArgs));
    EXPECT_EQ(
        spawn_call(g, abi::ValueMap{{"up", derived(write, {{"color", abi::AbiValue(i64{1})}})}})
            .value,
        status(Status::InvalidArgs));
    EXPECT_TRUE(spawner.children.empty());

    // Derived twice from one handle, once with a use limit, and the same handle moved too.
    SyscallResult result =
        spawn_call(g, abi::ValueMap{{"up", derived(write, {{"max_uses", abi::AbiValue(i64{3})}})},
                                    {"up_again", derived(write)},
                                    {"moved", abi::AbiValue(peer)}});
    ASSERT_GT(result.value, 0) << result.value;
    ASSERT_EQ(spawner.children.size(), 1u);
    Ref<Process> child = spawner.children[0];
    CheckContext as_child{child->pid(), 0};
    HandleValue up = *child->lookup_grant("up");
    const Handle* handle = *child->handles().lookup(up, as_child);
    EXPECT_EQ(handle->rights(), Rights(Right::Write));
    EXPECT_EQ(handle->node().depth(), 1u);  // A child of the parent's capability.
    EXPECT_EQ(handle->node().uses_remaining(), u64{3});
    EXPECT_TRUE(child->lookup_grant("up_again").has_value());
    EXPECT_TRUE(child->lookup_grant("moved").has_value());
    EXPECT_FALSE(g.process->handles().lookup(peer_value, CheckContext{g.process->pid(), 0}));
}

}  // namespace
}  // namespace esta::kernel
