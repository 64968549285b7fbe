// ObserveContext: everything a room needs from observe, passed explicitly to whoever logs,
// audits or counts (there is no global logger or registry). The runtime owns the parts and
// outlives every context it hands out.
#pragma once

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "observe/audit_sink.h"
#include "observe/clock.h"
#include "observe/log.h"
#include "observe/metrics.h"

namespace esta::observe {

struct ObserveContext {
    const Clock& clock;
    const Logger& logger;
    AuditSink& audit;
    MetricsRegistry& metrics;
};

// An AuditSink that keeps records in memory: for tests that check what a room audits, and
// tools that need no durable log. Not for production: nothing is chained or signed.
class MemoryAuditSink final : public AuditSink {
  public:
    struct Entry {
        u64 seq = 0;
        std::string event;
        Value::Map data;
    };

    Result<u64> append(std::string_view event, const Value::Map& data) override {
        std::lock_guard lock(m_mutex);
        const u64 seq = m_entries.size();
        m_entries.push_back({seq, std::string(event), data});
        return seq;
    }

    std::vector<Entry> entries() const {
        std::lock_guard lock(m_mutex);
        return m_entries;
    }

  private:
    mutable std::mutex m_mutex;
    std::vector<Entry> m_entries;
};

}  // namespace esta::observe
