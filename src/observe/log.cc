#include "observe/log.h"

#include <algorithm>

namespace esta::observe {

namespace {

constexpr std::string_view kSeverityNames[] = {"trace", "debug",    "info", "warning",
                                               "error", "critical", "fatal"};

constexpr std::string_view kCategoryNames[] = {
    "kernel", "process", "message", "scheduling",      "memory", "security",
    "driver", "wasm",    "audit",   "flight_recorder", "app",
};

}  // namespace

std::string_view severity_name(Severity severity) {
    return kSeverityNames[static_cast<u8>(severity)];
}

std::optional<Severity> parse_severity(std::string_view name) {
    for (std::size_t i = 0; i < std::size(kSeverityNames); ++i) {
        if (kSeverityNames[i] == name) return static_cast<Severity>(i);
    }
    return std::nullopt;
}

std::string category_name(Category category) {
    std::string name(kCategoryNames[static_cast<u8>(category.kind)]);
    if (!category.detail.empty()) {
        name.push_back('.');
        name.append(category.detail);
    }
    return name;
}

void Logger::add_sink_erased(std::unique_ptr<LogSink> sink) {
    const u8 wanted = static_cast<u8>(sink->min_severity());
    m_sinks.push_back(std::move(sink));
    m_threshold.store(std::min(m_threshold.load(std::memory_order_relaxed), wanted),
                      std::memory_order_relaxed);
}

void Logger::log(Severity severity, Category category, std::string_view message,
                 std::span<const Field> fields, std::optional<u64> pid) const {
    if (!enabled(severity)) return;
    const LogRecord record{m_clock.now_ns(), severity, category, pid, message, fields};
    for (const auto& sink : m_sinks) {
        if (severity >= sink->min_severity()) sink->write(record);
    }
}

}  // namespace esta::observe
