// A test OTLP/HTTP receiver on a loopback port the OS picks: it records every request and
// answers with scripted statuses (then 200). For tests only.
#pragma once

#include <httplib.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace esta::observe::test_support {

class OtlpTestReceiver {
  public:
    struct Request {
        std::string path;
        std::string content_type;
        std::string authorization;
        std::string body;
    };

    OtlpTestReceiver() {
        m_server.Post(
            "/v1/traces", [this](const httplib::Request& request, httplib::Response& response) {
                std::lock_guard lock(m_mutex);
                m_requests.push_back({request.path, request.get_header_value("Content-Type"),
                                      request.get_header_value("Authorization"), request.body});
                response.status = 200;
                if (!m_statuses.empty()) {
                    response.status = m_statuses.front();
                    m_statuses.pop_front();
                }
                response.set_content("{}", "application/json");
            });
        m_port = m_server.bind_to_any_port("127.0.0.1");
        // Bound before the thread starts, so early connections wait in the listen backlog.
        m_thread = std::thread([this] {
            m_server.listen_after_bind();
            m_listen_returned.store(true);
        });
        // httplib's stop() is a no-op until the accept loop runs; wait for it so the
        // destructor's stop() always ends the loop.
        while (!m_server.is_running() && !m_listen_returned.load())
            std::this_thread::yield();
    }
    ~OtlpTestReceiver() {
        m_server.stop();
        m_thread.join();
    }

    int port() const { return m_port; }
    std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(m_port); }
    void answer_with(std::initializer_list<int> statuses) {
        std::lock_guard lock(m_mutex);
        m_statuses.insert(m_statuses.end(), statuses);
    }
    std::vector<Request> requests() const {
        std::lock_guard lock(m_mutex);
        return m_requests;
    }

  private:
    httplib::Server m_server;
    int m_port = -1;
    std::thread m_thread;
    std::atomic<bool> m_listen_returned{false};
    mutable std::mutex m_mutex;
    std::deque<int> m_statuses;
    std::vector<Request> m_requests;
};

}  // namespace esta::observe::test_support
