// The kernel's audit interface on the node's integrity-chained log (src/observe): a record a
// process (or the kernel's loader, process 0) writes becomes one chained record of its kind
// holding the writer, the SHA-256 of the writer's module (V-2: the kernel knows which bytes
// it loaded; a module cannot vouch for itself) and the record's bytes as written.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "kernel/audit_log_object.h"
#include "observe/audit_sink.h"
#include "observe/clock.h"
#include "protocol/clock.h"

namespace esta::app::run {

class AuditBridge final : public kernel::KernelAuditLog {
  public:
    explicit AuditBridge(observe::AuditSink& sink) : m_sink(sink) {}

    // Records of `pid` carry `module_sha256_hex` from now on.
    void set_module(kernel::ProcessId pid, std::string module_sha256_hex) {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_modules[pid] = std::move(module_sha256_hex);
    }

    Result<u64> append(kernel::ProcessId process, std::string_view kind,
                       std::span<const u8> record) override {
        observe::Value::Map data;
        data.emplace("process", observe::Value::integer(static_cast<i64>(process.value())));
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            auto it = m_modules.find(process);
            if (it != m_modules.end())
                data.emplace("module_sha256", observe::Value::text(it->second));
        }
        data.emplace("record", observe::Value::bytes(ByteSpan(record.data(), record.size())));
        return m_sink.append(kind, data);
    }

  private:
    observe::AuditSink& m_sink;
    std::mutex m_mutex;
    std::map<kernel::ProcessId, std::string> m_modules;
};

// The node's wall clock for the observe room (the audit log's timestamps).
class WallClock final : public observe::Clock {
  public:
    i64 now_ns() const override { return m_clock.now_ns(); }

  private:
    protocol::SystemClock m_clock;
};

}  // namespace esta::app::run
