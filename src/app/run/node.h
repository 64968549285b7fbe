// Node: one running application, as `estalogic run APP.toml` starts it (docs/OPERATIONS.md).
// From a checked manifest it opens the audit log (integrity-chained, src/observe) and the
// node journal, starts the embedded drivers, loads and admits every module (SHA-256, and
// signatures when required), spawns the processes with their grants under the root
// supervisor, and starts the kernel's scheduler threads. Events go in with submit(); what
// processes send to their sinks is written as JSON lines by a drain thread, each line
// carrying the SHA-256 of the module that made it (V-2).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>

#include "app/manifest/model.h"
#include "base/diagnostic.h"
#include "base/result.h"
#include "observe/value.h"

namespace esta::drivers {
class KvStore;
}

namespace esta::app::run {

class StagedKv;

struct NodeOptions {
    // Runtime files (audit log, journal, dead letters, sinks, node key) go here instead of
    // the manifest's data_dir and audit_dir; "" keeps the manifest's.
    std::string state_dir;
    u32 threads = 2;               // Scheduler threads.
    std::string input_process;     // Receives the events; "": the manifest's first process.
    u32 message_type = 0x0010;     // The events' message type (AccrualRequest).
    std::string sink_file;         // The first sink's file; "": DATA_DIR/NAME.jsonl.
    bool http = true;              // Serve the manifest's observability endpoint.
    std::optional<int> http_port;  // Instead of the manifest's port (0: any free one).
    u32 window = 256;              // Events in flight at most (bounded by half the mailbox).
    // The sinks' lines go only to the callers waiting for them (call()); the owner writes
    // them where they land, fenced (a primary/standby pair: node_role.h).
    bool hold_sinks = false;
    // More fields for the status document (",\"key\":..." JSON), from any thread.
    std::function<std::string()> status_fields;
};

// A snapshot for progress lines and the summary.
struct NodeStats {
    u64 events = 0;         // Submitted.
    u64 decisions = 0;      // Lines written to the sinks.
    u64 failed = 0;         // Messages a handler failed or trapped on (dead letters).
    u64 audit_records = 0;  // Appended to the audit log since the node opened it, every kind.
    u64 journal_bytes = 0;
    u64 journal_retired_segments = 0;  // By [journal] retain_bytes, this run.
    u64 journal_retired_bytes = 0;
    std::map<std::string, u64> by_kind;  // Decision "kind" -> count.
    u64 latency_p50_ns = 0;              // Event submitted -> its decision written.
    u64 latency_p99_ns = 0;
    u64 latency_max_ns = 0;
};

// Where a node keeps its files (all absolute).
struct NodePaths {
    std::string data_dir;
    std::string audit_dir;
    std::string journal_dir;
    std::string dead_letter_dir;
    std::string node_key;      // The audit log's signing key, when the manifest names none.
    std::string module_store;  // Every module run, as SHA256.wasm (V-2).
    std::vector<std::string> sink_files;
    std::vector<std::string> sink_names;  // The sink each file is for.
};

NodePaths node_paths(const manifest::AppManifest& manifest, const NodeOptions& options);

// One answer someone waits for (an ingress request): the sink line its message produced,
// or a failure, or nothing by the deadline.
class Answer {
  public:
    void give(std::string_view line, std::string_view sink) {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_line = std::string(line);
        m_sink = std::string(sink);
        m_state = State::Given;
        m_ready.notify_all();
    }
    void fail() {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_state = State::Failed;
        m_ready.notify_all();
    }
    // Errors: Timeout (nothing by then), Invalid (the handler failed the message).
    // The sink the line went to (once given).
    std::string sink() {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_sink;
    }
    Result<std::string> wait(u64 timeout_ms) {
        std::unique_lock<std::mutex> lock(m_mutex);
        if (!m_ready.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                              [this] { return m_state != State::Waiting; }))
            return Err(Status::Timeout, "run.no_answer_in_time");
        if (m_state == State::Failed) return Err(Status::Invalid, "run.message_failed");
        return m_line;
    }

  private:
    enum class State : u8 { Waiting, Given, Failed };
    std::mutex m_mutex;
    std::condition_variable m_ready;
    State m_state = State::Waiting;
    std::string m_line;
    std::string m_sink;
};

class NodeObservability;
class NodeUpgrade;

class Node {
  public:
    // Errors: a module that does not load or whose needs the grants do not cover (each
    // reason in `problems`), an unsupported driver configuration (Status::NotSupported), or
    // a file that cannot be opened.
    static Result<std::unique_ptr<Node>> start(const manifest::AppManifest& manifest,
                                               const NodeOptions& options, Diagnostics& problems);
    ~Node();
    Node(const Node&) = delete;
    Node& operator=(const Node&) = delete;

    // Journals one event and sends it to the input process; waits while the window is full.
    // `answer`, when given, gets the event's sink line or its failure. Errors: the journal's
    // or the kernel's (the process ended).
    Result<void> submit(std::string_view line, std::shared_ptr<Answer> answer = nullptr);
    // Sends `body` to `process` as a message of `type` (journaled like an event) and waits
    // up to `timeout_ms` for the sink line it produces (and names its sink in `sink`).
    // Errors: NotFound (no such process), Timeout, Invalid (the handler failed it),
    // ShuttingDown, the kernel's (a full mailbox).
    Result<std::string> call(const std::string& process, u32 type, std::string_view body,
                             u64 timeout_ms, std::string* sink = nullptr);
    // Appends a record of the node's own to the audit log (the ingress's refusals).
    Result<u64> audit(std::string_view kind, const observe::Value::Map& data);
    // Waits (wall clock) until every submitted event is decided or failed. True when so.
    bool settle(u64 timeout_ms);
    // Stops the kernel, flushes the sinks and the journal, closes the audit log with its
    // final signed checkpoint. Idempotent.
    Result<void> stop();

    // With `latency`, the percentiles too (sorts every latency so far: for the summary).
    NodeStats stats(bool latency = true) const;
    const NodePaths& paths() const;
    // What did not stop the node but should be said (an HTTP port in use).
    const std::vector<std::string>& warnings() const;
    // What the node observes (node_observe.h): for a role to add its readings to /metrics.
    NodeObservability& observability();
    // The staged key-value store of a node consuming from Kafka (staged_kv.h), or null.
    StagedKv* staged_state() const;
    // The key-value store the kv grants share (a replication checkpoint's state), or null
    // before the processes started.
    drivers::KvStore* kv_store() const;
    // Module name -> its SHA-256 (hex), as running now: a copy, safe while an upgrade runs.
    std::map<std::string, std::string> module_hashes() const;
    // Live upgrades of the node's modules (node_upgrade.h).
    NodeUpgrade& upgrades();

  private:
    struct Parts;
    explicit Node(std::unique_ptr<Parts> parts);
    std::unique_ptr<Parts> m_parts;
};

}  // namespace esta::app::run
