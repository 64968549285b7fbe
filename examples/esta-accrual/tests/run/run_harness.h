// Helpers of the `estalogic run` end-to-end tests: run the built binary with arguments and
// collect its exit code and output, scratch folders, variants of the example manifest.
#pragma once

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
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

// POSTs `body` to 127.0.0.1:`port` (HTTP/1.0); status 0 when nothing answered.
struct HttpAnswer {
    int status = 0;
    std::string headers;  // The response's header lines, as sent.
    std::string body;
};

// One request over a fresh connection (HTTP/1.0: the server closes when done); `headers` are
// extra request header lines, each ending in \r\n.
inline HttpAnswer request(int port, const std::string& method, const std::string& path,
                          const std::string& body, const std::string& headers = "") {
    HttpAnswer answer;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return answer;
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(static_cast<uint16_t>(port));
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval timeout{10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
        close(fd);
        return answer;
    }
    std::string text = method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\n" + headers +
                       "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    if (send(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
        close(fd);
        return answer;
    }
    std::string response;
    char buffer[4096];
    for (ssize_t n; (n = recv(fd, buffer, sizeof buffer, 0)) > 0;)
        response.append(buffer, static_cast<std::size_t>(n));
    close(fd);
    if (response.rfind("HTTP/1.", 0) == 0 && response.size() > 12)
        answer.status = std::stoi(response.substr(9, 3));
    auto blank = response.find("\r\n\r\n");
    if (blank != std::string::npos) {
        answer.headers = response.substr(0, blank + 2);
        answer.body = response.substr(blank + 4);
    }
    return answer;
}

inline HttpAnswer post(int port, const std::string& path, const std::string& body,
                       const std::string& headers = "") {
    return request(port, "POST", path, body, headers);
}

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
