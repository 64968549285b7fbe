// Helpers of the `estalogic run` end-to-end tests: run the built binary with arguments and
// collect its exit code and output, scratch folders, variants of the example manifest.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace esta::test {

namespace fs = std::filesystem;

struct Outcome {
    int exit = -1;
    std::string out;
    std::string err;
};

inline std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

inline std::vector<std::string> read_lines(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);)
        lines.push_back(line);
    return lines;
}

// A scratch folder per test, removed afterwards.
class RunE2e : public ::testing::Test {
  protected:
    void SetUp() override {
        const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
        m_dir = fs::temp_directory_path() /
                ("esta-run-e2e-" + std::to_string(getpid()) + "-" + info->name());
        fs::remove_all(m_dir);
        fs::create_directories(m_dir);
    }
    void TearDown() override {
        if (!HasFailure()) fs::remove_all(m_dir);
    }

    // Runs estalogic with `arguments` (no shell quoting needed: paths hold no spaces).
    Outcome estalogic(const std::string& arguments) {
        fs::path out = m_dir / "stdout.txt";
        fs::path err = m_dir / "stderr.txt";
        std::string command = std::string(ESTALOGIC) + " " + arguments + " >" + out.string() +
                              " 2>" + err.string() + " </dev/null";
        int status = std::system(command.c_str());
        Outcome outcome;
        outcome.exit = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        outcome.out = read_text(out);
        outcome.err = read_text(err);
        return outcome;
    }

    fs::path write(const std::string& name, const std::string& text) {
        fs::path path = m_dir / name;
        std::ofstream(path, std::ios::binary) << text;
        return path;
    }

    // The example manifest with `from` replaced by `to`, beside a copy of the module.
    fs::path manifest_variant(const std::string& from, const std::string& to) {
        std::string text = read_text(fs::path(ESTA_ACCRUAL_SOURCE_DIR) / "app.toml");
        auto at = text.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        if (at != std::string::npos) text.replace(at, from.size(), to);
        fs::create_directories(m_dir / "module");
        fs::copy_file(ESTA_ACCRUAL_MODULE, m_dir / "module" / "esta_accrual.wasm",
                      fs::copy_options::overwrite_existing);
        return write("app.toml", text);
    }

    std::string example() const {
        return (fs::path(ESTA_ACCRUAL_SOURCE_DIR) / "app.toml").string();
    }

    fs::path m_dir;
};

inline std::string summary_sha256(const std::string& out) {
    auto at = out.find("sha256 ");
    return at == std::string::npos ? "" : out.substr(at + 7, 64);
}

inline std::uint64_t count_lines_with(const std::string& text, const std::string& prefix) {
    std::uint64_t n = 0;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        if (line.rfind(prefix, 0) == 0) ++n;
    return n;
}

}  // namespace esta::test
