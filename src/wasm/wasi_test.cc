#include "wasm/wasi.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "wasm/binary_builder_test_util.h"

namespace esta::wasm {
namespace {

// A deterministic host: a clock that advances by a fixed step per reading, a counting
// "random" source, captured output and scripted input.
class FakeHost final : public WasiHost {
  public:
    u64 clock_time(WasiClock clock) override {
        last_clock = clock;
        now += 1000;
        return now;
    }
    u64 clock_resolution(WasiClock) override { return 1; }
    void random(std::span<u8> buffer) override {
        for (auto& byte : buffer)
            byte = next_random++;
    }
    Result<std::size_t> write(u32 fd, ByteSpan bytes) override {
        output[fd].append(bytes.begin(), bytes.end());
        return bytes.size();
    }
    Result<std::size_t> read_stdin(std::span<u8> buffer) override {
        std::size_t count = std::min(buffer.size(), input.size() - input_position);
        std::memcpy(buffer.data(), input.data() + input_position, count);
        input_position += count;
        return count;
    }

    u64 now = 5'000'000'000;
    WasiClock last_clock = WasiClock::Realtime;
    u8 next_random = 0x10;
    std::map<u32, std::string> output;
    std::string input;
    std::size_t input_position = 0;
};

// Calls WASI functions directly with a one-page memory, as an instance's import would.
class WasiTest : public ::testing::Test {
  protected:
    WasiTest() : m_memory(LinearMemory::create(MemoryType{Limits{1, 1}}, 1).value()) {}

    void configure(WasiConfig config) {
        m_wasi = std::make_unique<Wasi>(std::move(config), m_host);
    }

    // Runs `name` and returns its errno (or, for proc_exit, the HostResult kind as -1).
    HostResult call(std::string_view name, std::vector<Value> args, u32* errno_out = nullptr) {
        if (!m_wasi) configure({});
        for (auto& function : m_wasi->functions()) {
            if (function.name != name) continue;
            std::vector<Value> results(function.type.results.size());
            HostContext context(m_store, nullptr, m_memory.get());
            HostResult result = function.function(context, args, results);
            if (errno_out != nullptr && !results.empty()) *errno_out = results[0].as_i32();
            return result;
        }
        ADD_FAILURE() << "no WASI function " << name;
        return HostResult::trap(TrapKind::Unreachable, "missing");
    }
    u32 errno_of(std::string_view name, std::vector<Value> args) {
        u32 error = ~0u;
        call(name, std::move(args), &error);
        return error;
    }
    u32 load_u32(u32 address) { return m_memory->read<u32>(address).value(); }
    u64 load_u64(u32 address) { return m_memory->read<u64>(address).value(); }
    void store_u32(u32 address, u32 value) { ASSERT_TRUE(m_memory->write<u32>(address, value)); }
    void store_bytes(u32 address, std::string_view text) {
        auto span = m_memory->span(address, text.size()).value();
        std::memcpy(span.data(), text.data(), text.size());
    }
    std::string load_string(u32 address) {
        std::string text;
        while (char c = char(m_memory->read<u8>(address++).value()))
            text += c;
        return text;
    }

    static Value i32(u32 value) { return Value::i32(value); }
    static constexpr u32 kSuccess = 0;
    static constexpr u32 kBadFd = 8;
    static constexpr u32 kFault = 21;
    static constexpr u32 kInvalid = 28;
    static constexpr u32 kNoSys = 52;

    FakeHost m_host;
    Store m_store;
    std::unique_ptr<LinearMemory> m_memory;
    std::unique_ptr<Wasi> m_wasi;
};

TEST_F(WasiTest, E9_EveryPreview1FunctionExistsWithItsType) {
    configure({});
    auto functions = m_wasi->functions();
    EXPECT_EQ(functions.size(), 46u);
    std::map<std::string_view, FuncType> types;
    for (auto& function : functions)
        types[function.name] = function.type;
    using enum ValType;
    EXPECT_EQ(types["fd_write"], (FuncType{{I32, I32, I32, I32}, {I32}}));
    EXPECT_EQ(types["clock_time_get"], (FuncType{{I32, I64, I32}, {I32}}));
    EXPECT_EQ(types["fd_seek"], (FuncType{{I32, I64, I32, I32}, {I32}}));
    EXPECT_EQ(types["path_open"], (FuncType{{I32, I32, I32, I32, I32, I64, I64, I32, I32}, {I32}}));
    EXPECT_EQ(types["proc_exit"], (FuncType{{I32}, {}}));
    EXPECT_EQ(types["sched_yield"], (FuncType{{}, {I32}}));
}

TEST_F(WasiTest, E9_ArgsAreCountedAndCopiedAsCStrings) {
    configure({{"prog", "hello", ""}, {}});
    ASSERT_EQ(errno_of("args_sizes_get", {i32(0), i32(4)}), kSuccess);
    EXPECT_EQ(load_u32(0), 3u);
    EXPECT_EQ(load_u32(4), 5u + 6u + 1u);
    ASSERT_EQ(errno_of("args_get", {i32(100), i32(200)}), kSuccess);
    EXPECT_EQ(load_u32(100), 200u);
    EXPECT_EQ(load_string(load_u32(100)), "prog");
    EXPECT_EQ(load_string(load_u32(104)), "hello");
    EXPECT_EQ(load_string(load_u32(108)), "");
    EXPECT_EQ(load_u32(108), 211u);
    // The string buffer would run past the end of memory.
    EXPECT_EQ(errno_of("args_get", {i32(100), i32(65536 - 3)}), kFault);
}

TEST_F(WasiTest, E9_EnvironmentIsCountedAndCopied) {
    configure({{"prog"}, {"A=1", "LANG=C"}});
    ASSERT_EQ(errno_of("environ_sizes_get", {i32(0), i32(4)}), kSuccess);
    EXPECT_EQ(load_u32(0), 2u);
    EXPECT_EQ(load_u32(4), 4u + 7u);
    ASSERT_EQ(errno_of("environ_get", {i32(16), i32(64)}), kSuccess);
    EXPECT_EQ(load_string(load_u32(16)), "A=1");
    EXPECT_EQ(load_string(load_u32(20)), "LANG=C");
}

TEST_F(WasiTest, E9_FdWriteGathersIovecsToTheRightStream) {
    store_bytes(100, "hello, ");
    store_bytes(200, "world\n");
    store_u32(0, 100);
    store_u32(4, 7);
    store_u32(8, 200);
    store_u32(12, 6);
    ASSERT_EQ(errno_of("fd_write", {i32(1), i32(0), i32(2), i32(16)}), kSuccess);
    EXPECT_EQ(load_u32(16), 13u);
    EXPECT_EQ(m_host.output[1], "hello, world\n");
    ASSERT_EQ(errno_of("fd_write", {i32(2), i32(8), i32(1), i32(16)}), kSuccess);
    EXPECT_EQ(m_host.output[2], "world\n");

    EXPECT_EQ(errno_of("fd_write", {i32(0), i32(0), i32(1), i32(16)}), kBadFd);
    EXPECT_EQ(errno_of("fd_write", {i32(7), i32(0), i32(1), i32(16)}), kBadFd);
    // An iovec pointing outside memory is the guest's error (EFAULT), never a trap.
    store_u32(20, 65530);
    store_u32(24, 100);
    EXPECT_EQ(errno_of("fd_write", {i32(1), i32(20), i32(1), i32(16)}), kFault);
    EXPECT_EQ(errno_of("fd_write", {i32(1), i32(0xFFFF'FFF0u), i32(0x1000'0000u), i32(16)}),
              kFault);
}

TEST_F(WasiTest, E9_FdReadFillsFromStdinUntilAShortRead) {
    m_host.input = "abcdef";
    store_u32(0, 100);
    store_u32(4, 4);
    store_u32(8, 200);
    store_u32(12, 10);
    ASSERT_EQ(errno_of("fd_read", {i32(0), i32(0), i32(2), i32(16)}), kSuccess);
    EXPECT_EQ(load_u32(16), 6u);
    EXPECT_EQ(load_u32(100), 0x64636261u);  // "abcd"
    ASSERT_EQ(errno_of("fd_read", {i32(0), i32(0), i32(2), i32(16)}), kSuccess);
    EXPECT_EQ(load_u32(16), 0u);  // End of file.
    EXPECT_EQ(errno_of("fd_read", {i32(1), i32(0), i32(2), i32(16)}), kBadFd);
}

TEST_F(WasiTest, E9_ClockComesFromTheInjectedSource) {
    ASSERT_EQ(errno_of("clock_time_get", {i32(1), Value::i64(1), i32(8)}), kSuccess);
    EXPECT_EQ(load_u64(8), 5'000'001'000u);
    EXPECT_EQ(m_host.last_clock, WasiClock::Monotonic);
    ASSERT_EQ(errno_of("clock_time_get", {i32(0), Value::i64(1), i32(8)}), kSuccess);
    EXPECT_EQ(load_u64(8), 5'000'002'000u);
    EXPECT_EQ(errno_of("clock_time_get", {i32(9), Value::i64(1), i32(8)}), kInvalid);
    EXPECT_EQ(errno_of("clock_time_get", {i32(0), Value::i64(1), i32(65532)}), kFault);
    ASSERT_EQ(errno_of("clock_res_get", {i32(0), i32(8)}), kSuccess);
    EXPECT_EQ(load_u64(8), 1u);
}

TEST_F(WasiTest, E9_RandomComesFromTheInjectedSource) {
    ASSERT_EQ(errno_of("random_get", {i32(32), i32(4)}), kSuccess);
    EXPECT_EQ(load_u32(32), 0x13121110u);
    EXPECT_EQ(errno_of("random_get", {i32(65535), i32(2)}), kFault);
}

TEST_F(WasiTest, E9_ProcExitEndsTheRunWithItsCode) {
    HostResult result = call("proc_exit", {i32(42)});
    EXPECT_EQ(result.kind(), HostResult::Kind::Exit);
    EXPECT_EQ(result.exit_code(), 42u);
}

TEST_F(WasiTest, E9_StartUpCallsSeeStreamsAndNoPreopens) {
    EXPECT_EQ(errno_of("fd_prestat_get", {i32(3), i32(0)}), kBadFd);
    EXPECT_EQ(errno_of("fd_prestat_dir_name", {i32(3), i32(0), i32(8)}), kBadFd);
    ASSERT_EQ(errno_of("fd_fdstat_get", {i32(1), i32(64)}), kSuccess);
    EXPECT_EQ(m_memory->read<u8>(64).value(), 2u);         // Character device.
    EXPECT_EQ(load_u64(72) & (u64{1} << 6), u64{1} << 6);  // fd_write right.
    EXPECT_EQ(errno_of("fd_fdstat_get", {i32(5), i32(64)}), kBadFd);
    EXPECT_EQ(errno_of("fd_seek", {i32(1), Value::i64(0), i32(0), i32(8)}), 70u);  // ESPIPE

    ASSERT_EQ(errno_of("fd_close", {i32(2)}), kSuccess);
    EXPECT_EQ(errno_of("fd_close", {i32(2)}), kBadFd);
    EXPECT_EQ(errno_of("fd_write", {i32(2), i32(0), i32(0), i32(16)}), kBadFd);
}

TEST_F(WasiTest, E9_UnsupportedCallsReturnEnosys) {
    EXPECT_EQ(errno_of("path_open", {i32(3), i32(0), i32(0), i32(0), i32(0), Value::i64(0),
                                     Value::i64(0), i32(0), i32(0)}),
              kNoSys);
    EXPECT_EQ(errno_of("sock_accept", {i32(0), i32(0), i32(0)}), kNoSys);
    EXPECT_EQ(errno_of("poll_oneoff", {i32(0), i32(0), i32(0), i32(0)}), kNoSys);
}

// Through the engine: a module whose _start writes "hi\n" with fd_write and exits with 7.
TEST(WasiModule, E9_ACommandWritesAndExitsThroughTheEngine) {
    using namespace test;
    const Bytes wasi = name(kWasiModule);
    Bytes module =
        BinaryBuilder()
            .section(1, {0x03, 0x60, 0x04, 0x7F, 0x7F, 0x7F, 0x7F, 0x01, 0x7F, 0x60, 0x01, 0x7F,
                         0x00, 0x60, 0x00, 0x00})
            .section(2, concat({{0x02},
                                wasi,
                                name("fd_write"),
                                {0x00, 0x00},
                                wasi,
                                name("proc_exit"),
                                {0x00, 0x01}}))
            .section(3, {0x01, 0x02})
            .section(5, {0x01, 0x00, 0x01})
            .section(7,
                     concat({{0x02}, name("_start"), {0x00, 0x02}, name("memory"), {0x02, 0x00}}))
            .section(10, concat({{0x01},
                                 code_entry({}, 0,
                                            {0x41, 0x01, 0x41, 0x00, 0x41, 0x01, 0x41, 0x10, 0x10,
                                             0x00, 0x1A, 0x41, 0x07, 0x10, 0x01})}))
            .section(11, {0x01, 0x00, 0x41, 0x00, 0x0B, 0x0B, 0x08, 0x00, 0x00, 0x00, 0x03, 0x00,
                          0x00, 0x00, 'h', 'i', '\n'})
            .bytes();

    FakeHost host;
    Wasi state({{"prog"}, {}}, host);
    Store store;
    Linker linker;
    state.define(store, linker);
    auto compiled = compile(module);
    ASSERT_TRUE(compiled) << compiled.error().to_string();
    auto instantiated = instantiate(store, *compiled, linker);
    ASSERT_TRUE(instantiated) << instantiated.error().to_string();
    ASSERT_FALSE(instantiated->trap);
    auto outcome = invoke(store, instantiated->instance->function("_start"), {});
    ASSERT_TRUE(outcome) << outcome.error().to_string();
    EXPECT_EQ(outcome->kind, Outcome::Kind::Exited);
    EXPECT_EQ(outcome->exit_code, 7u);
    EXPECT_EQ(host.output[1], "hi\n");
}

}  // namespace
}  // namespace esta::wasm
