#include "observe/o5_catalogue.h"

#include <set>
#include <string>

namespace esta::observe {

namespace {

constexpr O5Family kFamilies[] = {
    {"processes by state", "esta_kernel_processes", MetricType::Gauge},
    {"mailbox depth", "esta_kernel_mailbox_depth", MetricType::Gauge},
    {"messages sent", "esta_kernel_messages_sent_total", MetricType::Counter},
    {"messages received", "esta_kernel_messages_received_total", MetricType::Counter},
    {"messages dropped", "esta_kernel_messages_dropped_total", MetricType::Counter},
    {"capability denials", "esta_kernel_capability_denials_total", MetricType::Counter},
    {"traps by code", "esta_kernel_traps_total", MetricType::Counter},
    {"fuel used", "esta_kernel_fuel_used_total", MetricType::Counter},
    {"deadline misses", "esta_kernel_deadline_misses_total", MetricType::Counter},
    {"latency histograms", "esta_kernel_operation_latency_seconds", MetricType::Histogram},
    {"driver health", "esta_drivers_healthy", MetricType::Gauge},
    {"circuit state", "esta_drivers_circuit_state", MetricType::Gauge},
    {"journal lag", "esta_protocol_journal_lag_seconds", MetricType::Gauge},
    {"replica divergence", "esta_kernel_lockstep_divergences_total", MetricType::Counter},
};

std::string_view type_word(MetricType type) {
    switch (type) {
        case MetricType::Counter:
            return "counter";
        case MetricType::Gauge:
            return "gauge";
        case MetricType::Histogram:
            return "histogram";
    }
    return "untyped";
}

}  // namespace

std::span<const O5Family> o5_families() {
    return kFamilies;
}

std::vector<const O5Family*> missing_o5_families(std::string_view exposition) {
    // In the 0.0.4 text format the TYPE line names a counter with its "_total" suffix, as
    // its samples are named (OpenMetrics would drop it; we do not serve OpenMetrics).
    std::set<std::string, std::less<>> declared;  // "name type"
    constexpr std::string_view kType = "# TYPE ";
    while (!exposition.empty()) {
        const std::size_t newline = exposition.find('\n');
        const std::string_view line = exposition.substr(0, newline);
        if (line.starts_with(kType)) declared.emplace(line.substr(kType.size()));
        if (newline == std::string_view::npos) break;
        exposition.remove_prefix(newline + 1);
    }
    std::vector<const O5Family*> missing;
    for (const O5Family& family : kFamilies) {
        std::string wanted(family.exposition_name);
        wanted += ' ';
        wanted += type_word(family.type);
        if (!declared.contains(wanted)) missing.push_back(&family);
    }
    return missing;
}

std::string o5_declarations(std::string_view exposition) {
    std::string out;
    for (const O5Family* family : missing_o5_families(exposition)) {
        const std::string name(family->exposition_name);
        out += "# HELP " + name + " O-5 " + std::string(family->item) + " (none so far).\n";
        out += "# TYPE " + name + " " + std::string(type_word(family->type)) + "\n";
    }
    return out;
}

}  // namespace esta::observe
