// Builds C guests (against sdk/c/estalogic.h) with clang-14 for wasm32 when a test or a
// benchmark runs, and the guest sources the runtime's tests and bench/bench_kernel.cc share.
// Header-only; used by tests and benchmarks only (no gtest here, so the bench can use it).
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "wasm/wasm.h"

namespace esta::kernel::testing {

class GuestCompiler {
  public:
    // `flags` are the optimisation flags: tests keep -O1 so the loops stay as written.
    explicit GuestCompiler(std::string flags = "-O1") : m_flags(std::move(flags)) {}

    // Empty string when ready; otherwise why the caller should skip. The SDK is found
    // under `source_dir`, or under $ESTA_SOURCE_DIR (ctest sets it) when that is null.
    std::string prepare(const char* source_dir = nullptr) {
        if (!source_dir) source_dir = std::getenv("ESTA_SOURCE_DIR");
        if (!source_dir) return "ESTA_SOURCE_DIR is not set (ctest sets it)";
        if (std::system("clang-14 --version > /dev/null 2>&1") != 0) return "clang-14 missing";
        m_include = std::filesystem::path(source_dir) / "sdk" / "c";
        m_dir = std::filesystem::temp_directory_path() /
                ("esta_guests_" + std::to_string(::getpid()) + "_" +
                 std::to_string(reinterpret_cast<std::uintptr_t>(this)));
        std::filesystem::create_directories(m_dir);
        return {};
    }
    ~GuestCompiler() {
        if (!m_dir.empty()) std::filesystem::remove_all(m_dir);
    }
    GuestCompiler(const GuestCompiler&) = delete;
    GuestCompiler& operator=(const GuestCompiler&) = delete;

    // The module's bytes; empty when the guest does not build (log() says why).
    std::vector<u8> build_bytes(const std::string& name, const std::string& code) {
        std::ofstream(m_dir / (name + ".c")) << code;
        std::string wasm_path = (m_dir / (name + ".wasm")).string();
        std::string command = "clang-14 --target=wasm32 -nostdlib " + m_flags +
                              " -Wall -Werror -Wl,--no-entry -Wl,--allow-undefined -I" +
                              m_include.string() + " " + (m_dir / (name + ".c")).string() + " -o " +
                              wasm_path + " > " + (m_dir / "log.txt").string() + " 2>&1";
        if (std::system(command.c_str()) != 0) {
            std::ifstream log(m_dir / "log.txt");
            std::stringstream text;
            text << log.rdbuf();
            m_log = text.str();
            return {};
        }
        std::ifstream file(wasm_path, std::ios::binary);
        return std::vector<u8>((std::istreambuf_iterator<char>(file)),
                               std::istreambuf_iterator<char>());
    }
    // nullptr when the guest does not build; log() says why. The same code is built once.
    std::shared_ptr<const wasm::CompiledModule> build(const std::string& name,
                                                      const std::string& code) {
        if (auto it = m_built.find(code); it != m_built.end()) return it->second;
        std::vector<u8> bytes = build_bytes(name, code);
        if (bytes.empty()) return nullptr;
        auto module = wasm::compile(ByteSpan(bytes.data(), bytes.size()));
        if (!module) m_log = module.error().to_string();
        std::shared_ptr<const wasm::CompiledModule> result = module ? *module : nullptr;
        if (result) m_built.emplace(code, result);
        return result;
    }
    // The bytes of the module build() made of `name` (empty when it did not build).
    std::vector<u8> bytes(const std::string& name) const {
        std::ifstream file(m_dir / (name + ".wasm"), std::ios::binary);
        return std::vector<u8>((std::istreambuf_iterator<char>(file)),
                               std::istreambuf_iterator<char>());
    }
    const std::string& log() const { return m_log; }
    // wasm-ld missing is a skip; anything else a failure.
    bool toolchain_missing() const { return m_log.find("wasm-ld") != std::string::npos; }

  private:
    std::string m_flags;
    std::filesystem::path m_include;
    std::filesystem::path m_dir;
    std::string m_log;
    std::map<std::string, std::shared_ptr<const wasm::CompiledModule>> m_built;
};

// ---- guest sources ------------------------------------------------------------------
namespace guest {

// Spins forever.
inline constexpr const char* kLooper = R"(#include "estalogic.h"
volatile unsigned counter;
__attribute__((export_name("_start"))) void start(void) { for (;;) counter++; }
)";

// Waits for any message, then exits normally.
inline constexpr const char* kWaiter = R"(#include "estalogic.h"
static char buf[64];
static esta_info info;
__attribute__((export_name("_start"))) void start(void) {
    esta_recv(ESTA_RECV_FOREVER, 0, buf, sizeof buf, &info);
    esta_exit(0);
}
)";

// `rounds` round trips with the handle "peer": sends "ping" (0x10), waits for a 4-byte 0x11.
inline std::string ping(int rounds) {
    return "#define ROUNDS " + std::to_string(rounds) + "\n" + R"(#include "estalogic.h"
static char buf[64];
static esta_info info;
__attribute__((export_name("_start"))) void start(void) {
    esta_handle peer = esta_cap_lookup("peer", 4);
    if (peer < 0) esta_exit(90);
    for (int i = 0; i < ROUNDS; ++i) {
        if (esta_send(peer, 0x10, "ping", 4, 0, 0, 0) < 0) esta_exit(91);
        if (esta_recv(ESTA_RECV_FOREVER, 0x11, buf, sizeof buf, &info) != 4) esta_exit(92);
    }
    esta_exit(0);
}
)";
}

// Answers `rounds` pings (0 = forever) with "pong" (0x11) to the handle "peer".
inline std::string pong(int rounds) {
    return "#define ROUNDS " + std::to_string(rounds) + "\n" + R"(#include "estalogic.h"
static char buf[64];
static esta_info info;
__attribute__((export_name("_start"))) void start(void) {
    esta_handle peer = esta_cap_lookup("peer", 4);
    for (int i = 0; ROUNDS == 0 || i < ROUNDS; ++i) {
        if (esta_recv(ESTA_RECV_FOREVER, 0x10, buf, sizeof buf, &info) != 4) esta_exit(93);
        if (esta_send(peer, 0x11, "pong", 4, 0, 0, 0) < 0) esta_exit(94);
    }
    esta_exit(0);
}
)";
}

// Reactive: answers each request v (a u32) with the C expression `answer` of v.
inline std::string arithmetic_server(const std::string& answer) {
    return "#define ANSWER(v) (" + answer + ")\n" + R"(#include "estalogic.h"
static esta_u32 request;
static esta_info info;
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    if (esta_recv(ESTA_RECV_POLL, 0, &request, sizeof request, &info) != 4) return -1;
    esta_u32 v = ANSWER(request);
    return esta_reply(0x21, &v, 4, 0, 0) == 0 ? 0 : -2;
}
)";
}

// Calls the handle "server" with i = 1..rounds and checks each answer is `expect` of i.
inline std::string caller(int rounds, const std::string& expect) {
    return "#define ROUNDS " + std::to_string(rounds) + "\n#define EXPECT(i) (" + expect + ")\n" +
           R"(#include "estalogic.h"
__attribute__((export_name("_start"))) void start(void) {
    esta_handle server = esta_cap_lookup("server", 6);
    if (server < 0) esta_exit(90);
    for (esta_u32 i = 1; i <= ROUNDS; ++i) {
        esta_u32 out = 0;
        if (esta_call(server, 0x20, &i, 4, &out, 4, ESTA_RECV_FOREVER) != 4) esta_exit(91);
        if (out != EXPECT(i)) esta_exit(92);
    }
    esta_exit(0);
}
)";
}

// Reactive: 'X' traps (unreachable, 4001), 'S' spins until stopped, 'Q' exits with 5.
inline constexpr const char* kFragile = R"(#include "estalogic.h"
static char buf[64];
static esta_info info;
volatile unsigned counter;
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    if (esta_recv(ESTA_RECV_POLL, 0, buf, sizeof buf, &info) < 1) return -1;
    if (buf[0] == 'X') __builtin_trap();
    if (buf[0] == 'S') for (;;) counter++;
    if (buf[0] == 'Q') esta_exit(5);
    return 0;
}
)";

}  // namespace guest
}  // namespace esta::kernel::testing
