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

// The port of /metrics of the node whose data directory is `data_dir`, from its status file
// ("http":"http://127.0.0.1:PORT"); 0 before it is written.
inline int metrics_port_in(const fs::path& data_dir) {
    std::string status = read_text(data_dir / "status.json");
    const std::string key = "\"http\":\"http://127.0.0.1:";
    auto at = status.find(key);
    return at == std::string::npos ? 0 : std::stoi(status.substr(at + key.size()));
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
    int metrics_port() const { return metrics_port_in(m_state / "data"); }
    const fs::path& state() const { return m_state; }

  private:
    fs::path m_err;
    fs::path m_state;
    pid_t m_pid = -1;
    int m_port = 0;
    int m_exit = -1;
};

}  // namespace esta::test
