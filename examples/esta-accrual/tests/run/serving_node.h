// `estalogic run --serve` in the background, for the end-to-end tests.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "run_harness.h"

namespace esta::test {

// `estalogic run --serve` in the background, for the end-to-end tests.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "run_harness.h"

namespace esta::test {

struct HttpAnswer {
    int status = 0;
    std::string body;
};

// One request over a fresh connection (HTTP/1.0: the server closes when done).
inline HttpAnswer request(int port, const std::string& method, const std::string& path,
                          const std::string& body) {
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
    std::string text = method + " " + path + " HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: " +
                       std::to_string(body.size()) + "\r\n\r\n" + body;
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
    if (blank != std::string::npos) answer.body = response.substr(blank + 4);
    return answer;
}

inline HttpAnswer post(int port, const std::string& path, const std::string& body) {
    return request(port, "POST", path, body);
}

// `estalogic run MANIFEST --serve` in the background; the ingress port from its stderr.
class ServingNode {
  public:
    ServingNode(const fs::path& manifest, const fs::path& dir)
        : m_err(dir / "serve.err"), m_state(dir / "state") {
        std::string estalogic = ESTALOGIC;
        std::string manifest_text = manifest.string();
        std::string state = m_state.string();
        std::string err = m_err.string();
        m_pid = fork();
        if (m_pid == 0) {
            std::freopen("/dev/null", "w", stdout);
            std::freopen(err.c_str(), "w", stderr);
            execl(estalogic.c_str(), estalogic.c_str(), "run", manifest_text.c_str(), "--serve",
                  "--state-dir", state.c_str(), "--ingress-port", "0", "--http-port", "0",
                  "--deadline-ms", "10000", static_cast<char*>(nullptr));
            _exit(127);
        }
        for (int i = 0; i < 300 && m_port == 0; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            std::string text = read_text(m_err);
            auto at = text.find("serving POST http://127.0.0.1:");
            if (at != std::string::npos) m_port = std::stoi(text.substr(at + 30));
        }
    }
    ~ServingNode() { stop(); }
    int stop() {
        if (m_pid <= 0) return m_exit;
        kill(m_pid, SIGINT);
        int status = 0;
        waitpid(m_pid, &status, 0);
        m_pid = -1;
        m_exit = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        return m_exit;
    }
    int port() const { return m_port; }
    std::string err() const { return read_text(m_err); }
    // The port of /metrics, from the node's status file ("http":"http://127.0.0.1:PORT").
    int metrics_port() const {
        std::string status = read_text(m_state / "data" / "status.json");
        const std::string key = "\"http\":\"http://127.0.0.1:";
        auto at = status.find(key);
        return at == std::string::npos ? 0 : std::stoi(status.substr(at + key.size()));
    }
    const fs::path& state() const { return m_state; }

  private:
    fs::path m_err;
    fs::path m_state;
    pid_t m_pid = -1;
    int m_port = 0;
    int m_exit = -1;
};

}  // namespace esta::test
