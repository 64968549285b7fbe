// Builds C guests (against sdk/c/estalogic.h) with clang-14 for wasm32 at test time, for
// the kernel's tests. Header-only; used by *_test.cc only. A test skips when
// ESTA_SOURCE_DIR is unset or the toolchain is missing.
#pragma once

#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "wasm/wasm.h"

namespace esta::kernel::testing {

class GuestCompiler {
  public:
    // Empty string when ready; otherwise why the test should skip.
    std::string prepare() {
        const char* source_dir = std::getenv("ESTA_SOURCE_DIR");
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
    // nullptr when the guest does not build; log() says why.
    std::shared_ptr<const wasm::CompiledModule> build(const std::string& name,
                                                      const std::string& code) {
        std::ofstream(m_dir / (name + ".c")) << code;
        std::string wasm_path = (m_dir / (name + ".wasm")).string();
        std::string command =
            "clang-14 --target=wasm32 -nostdlib -O1 -Wall -Werror "
            "-Wl,--no-entry -Wl,--allow-undefined -I" +
            m_include.string() + " " + (m_dir / (name + ".c")).string() + " -o " + wasm_path +
            " > " + (m_dir / "log.txt").string() + " 2>&1";
        if (std::system(command.c_str()) != 0) {
            std::ifstream log(m_dir / "log.txt");
            std::stringstream text;
            text << log.rdbuf();
            m_log = text.str();
            return nullptr;
        }
        std::ifstream file(wasm_path, std::ios::binary);
        std::vector<u8> bytes((std::istreambuf_iterator<char>(file)),
                              std::istreambuf_iterator<char>());
        auto module = wasm::compile(ByteSpan(bytes.data(), bytes.size()));
        if (!module) m_log = module.error().to_string();
        return module ? *module : nullptr;
    }
    const std::string& log() const { return m_log; }
    // wasm-ld missing is a skip; anything else a failure.
    bool toolchain_missing() const { return m_log.find("wasm-ld") != std::string::npos; }

  private:
    std::filesystem::path m_include;
    std::filesystem::path m_dir;
    std::string m_log;
};

}  // namespace esta::kernel::testing
