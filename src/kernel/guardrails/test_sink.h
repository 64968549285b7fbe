// A SafetySink for tests: keeps every report, with owned copies of the strings.
#pragma once

#include <string>
#include <vector>

#include "kernel/guardrails/safety_sink.h"

namespace esta::kernel::testing {

class RecordingSink final : public SafetySink {
  public:
    struct Entry {
        std::string event;
        std::string subject;
        std::string detail;
        SafetySeverity severity;
        i64 actual;
        i64 limit;
        Nanos at;
    };
    void report(const SafetyEvent& event) override {
        entries.push_back(Entry{std::string(event.event), std::string(event.subject),
                                std::string(event.detail), event.severity, event.actual,
                                event.limit, event.at});
    }
    std::size_t count(std::string_view event) const {
        std::size_t n = 0;
        for (const auto& entry : entries)
            n += entry.event == event ? 1 : 0;
        return n;
    }
    std::vector<Entry> entries;
};

}  // namespace esta::kernel::testing
