// A sink (docs/MANIFEST.md, `sink` grants): an endpoint the node reads, each message one
// JSON line in a file. A line that is a JSON object gets the SHA-256 of the sender's module
// appended inside it (V-2); the count per decision "kind" feeds the run's summary.
#pragma once

#include <cstdio>
#include <map>
#include <memory>
#include <string>

#include "kernel/endpoint.h"
#include "kernel/message.h"

namespace esta::app::run {

class DecisionSink {
  public:
    // Opens (truncating) `path`; with `hold`, opens nothing: write() makes the line (for
    // last_line()) and counts it, and the owner writes it elsewhere. Errors: IoError.
    static Result<std::unique_ptr<DecisionSink>> open(std::string name, std::string path,
                                                      kernel::Ref<kernel::Endpoint> endpoint,
                                                      bool hold = false);
    ~DecisionSink();
    DecisionSink(const DecisionSink&) = delete;
    DecisionSink& operator=(const DecisionSink&) = delete;

    void set_module(kernel::ProcessId pid, std::string sha256_hex) {
        m_modules[pid] = std::move(sha256_hex);
    }
    // Writes one message as one line (drain thread only).
    void write(const kernel::Message& message);
    // Flushes and closes the file. Errors: IoError.
    Result<void> close();

    // The line write() wrote last, without its newline.
    std::string_view last_line() const {
        return m_line.empty() ? std::string_view()
                              : std::string_view(m_line).substr(0, m_line.size() - 1);
    }
    const kernel::Ref<kernel::Endpoint>& endpoint() const { return m_endpoint; }
    const std::string& name() const { return m_name; }
    const std::string& path() const { return m_path; }
    // Decision kind -> count; a snapshot, safe from any thread.
    std::map<std::string, u64, std::less<>> by_kind() const;

  private:
    DecisionSink(std::string name, std::string path, kernel::Ref<kernel::Endpoint> endpoint,
                 std::FILE* file);

    std::string m_name;
    std::string m_path;
    kernel::Ref<kernel::Endpoint> m_endpoint;
    std::FILE* m_file;
    std::map<kernel::ProcessId, std::string> m_modules;
    mutable std::mutex m_mutex;  // Guards m_by_kind.
    std::map<std::string, u64, std::less<>> m_by_kind;
    std::string m_line;  // Reused.
    bool m_failed = false;
    bool m_closed = false;
};

}  // namespace esta::app::run
