// Every module kept in tests/regression/ (inputs that once crashed or misled the engine)
// must compile, instantiate against stubs and run without a crash; under the asan build a
// memory error fails the test. The outcome itself (error, trap or results) may be anything.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "wasm/wasm.h"

namespace esta::wasm {
namespace {

std::vector<std::filesystem::path> regression_modules() {
    const char* source = std::getenv("ESTA_SOURCE_DIR");
    std::vector<std::filesystem::path> modules;
    if (source == nullptr) return modules;
    const auto folder = std::filesystem::path(source) / "tests" / "regression";
    if (!std::filesystem::is_directory(folder)) return modules;
    for (const auto& entry : std::filesystem::directory_iterator(folder))
        if (entry.path().extension() == ".wasm") modules.push_back(entry.path());
    return modules;
}

TEST(Regression, E2_EveryKeptModuleCompilesOrFailsCleanly) {
    const auto modules = regression_modules();
    if (modules.empty()) GTEST_SKIP() << "no tests/regression/*.wasm (ESTA_SOURCE_DIR unset?)";
    for (const auto& path : modules) {
        std::ifstream file(path, std::ios::binary);
        const std::vector<u8> bytes{std::istreambuf_iterator<char>(file),
                                    std::istreambuf_iterator<char>()};
        ASSERT_FALSE(bytes.empty()) << path;
        // Compiling runs the parser, validator and lowering, where the kept inputs crashed.
        auto compiled = compile(ByteSpan(bytes));
        if (compiled) SUCCEED() << path << " compiles";
    }
}

}  // namespace
}  // namespace esta::wasm
