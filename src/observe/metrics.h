// Metrics (REQUIREMENTS O-5): counters, gauges and histograms with labels in a registry
// object — never a global — rendered in the Prometheus text exposition format (0.0.4).
//
// A metric is described by a constexpr MetricSpec, declared at the top of the file that
// updates it (STYLE.md, "Observability"):
//     ESTA_COUNTER(kMessagesSent, "kernel.messages_sent", "Messages sent between processes.");
//     ESTA_COUNTER(kTraps, "kernel.traps", "Guest traps by ABI code.", "code");
// and bound to a registry where it is used:
//     Counter& sent = registry.counter(kMessagesSent);        // look up once ...
//     sent.inc();                                              // ... then one atomic add.
//     registry.counter(kTraps, {"4001"}).inc();
// The spec holds only constants, so declaring one creates no mutable global state.
// "kernel.messages_sent" is exposed as esta_kernel_messages_sent_total.
#pragma once

#include <array>
#include <atomic>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/types.h"

namespace esta::observe {

enum class MetricType : u8 { Counter, Gauge, Histogram };

inline constexpr std::size_t kMaxMetricLabels = 4;

struct MetricSpec {
    MetricType type = MetricType::Counter;
    std::string_view name;  // Dotted ("kernel.messages_sent"); see exposition_name().
    std::string_view help;
    std::array<std::string_view, kMaxMetricLabels> labels{};
    std::size_t label_count = 0;
    std::span<const f64> buckets;  // Histograms: increasing upper bounds, +Inf implied.

    std::span<const std::string_view> label_names() const { return {labels.data(), label_count}; }
};

constexpr MetricSpec make_metric_spec(MetricType type, std::string_view name, std::string_view help,
                                      std::initializer_list<std::string_view> labels,
                                      std::span<const f64> buckets = {}) {
    MetricSpec spec{type, name, help, {}, 0, buckets};
    for (std::string_view label : labels) {
        if (spec.label_count < kMaxMetricLabels) spec.labels[spec.label_count] = label;
        ++spec.label_count;  // More than kMaxMetricLabels fails validation at registration.
    }
    return spec;
}

// Default latency buckets in seconds: 100 µs .. 10 s.
inline constexpr f64 kLatencyBuckets[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                          0.01,   0.025,   0.05,   0.1,   0.25,   0.5,
                                          1,      2.5,     5,      10};

// "esta_" + the dotted name with '.' and '-' as '_', and "_total" for counters.
std::string exposition_name(const MetricSpec& spec);

class Counter {
  public:
    void inc(u64 amount = 1) { m_value.fetch_add(amount, std::memory_order_relaxed); }
    u64 value() const { return m_value.load(std::memory_order_relaxed); }

  private:
    std::atomic<u64> m_value{0};
};

class Gauge {
  public:
    void set(f64 value) { m_value.store(value, std::memory_order_relaxed); }
    void add(f64 delta) { m_value.fetch_add(delta, std::memory_order_relaxed); }
    f64 value() const { return m_value.load(std::memory_order_relaxed); }

  private:
    std::atomic<f64> m_value{0};
};

class Histogram {
  public:
    explicit Histogram(std::span<const f64> bounds);
    // Counts `value` in the first bucket whose bound is >= value. Lock-free.
    void observe(f64 value);

    std::span<const f64> bounds() const { return m_bounds; }
    // Cumulative count for bucket i (i == bounds().size() is +Inf, the total count).
    u64 cumulative_count(std::size_t i) const;
    u64 count() const { return cumulative_count(m_bounds.size()); }
    f64 sum() const { return m_sum.load(std::memory_order_relaxed); }

  private:
    std::span<const f64> m_bounds;
    std::unique_ptr<std::atomic<u64>[]> m_counts;  // One per bound, plus +Inf.
    std::atomic<f64> m_sum{0};
};

class MetricsRegistry {
  public:
    MetricsRegistry();
    ~MetricsRegistry();
    MetricsRegistry(const MetricsRegistry&) = delete;
    MetricsRegistry& operator=(const MetricsRegistry&) = delete;

    // Returns the metric with these label values, creating it on first use; the reference
    // stays valid as long as the registry. For specs written in our code: a bad spec or a
    // wrong number of label values is a bug (asserted).
    Counter& counter(const MetricSpec& spec, std::initializer_list<std::string_view> values = {});
    Gauge& gauge(const MetricSpec& spec, std::initializer_list<std::string_view> values = {});
    Histogram& histogram(const MetricSpec& spec,
                         std::initializer_list<std::string_view> values = {});

    // The same for names and labels that come from outside (a guest's metrics call):
    // Invalid for a bad name, label or bucket list, a name registered with another type or
    // labels, or a wrong number of label values; Limit past kMaxSeriesPerFamily series.
    Result<Counter*> try_counter(const MetricSpec& spec, std::span<const std::string_view> values);
    Result<Gauge*> try_gauge(const MetricSpec& spec, std::span<const std::string_view> values);
    Result<Histogram*> try_histogram(const MetricSpec& spec,
                                     std::span<const std::string_view> values);

    // The whole registry in the text exposition format, families sorted by name and series
    // by label values, so equal states render byte-identically.
    std::string render_prometheus() const;

    static constexpr std::size_t kMaxSeriesPerFamily = 10'000;

  private:
    struct Family;
    struct Series;

    Result<Series*> series_locked(const MetricSpec& spec, std::span<const std::string_view> values);

    mutable std::mutex m_mutex;
    std::map<std::string, std::unique_ptr<Family>> m_families;
};

}  // namespace esta::observe

#define ESTA_COUNTER(id, name, help, ...)                                                \
    inline constexpr ::esta::observe::MetricSpec id = ::esta::observe::make_metric_spec( \
        ::esta::observe::MetricType::Counter, name, help, {__VA_ARGS__})
#define ESTA_GAUGE(id, name, help, ...)                                                  \
    inline constexpr ::esta::observe::MetricSpec id = ::esta::observe::make_metric_spec( \
        ::esta::observe::MetricType::Gauge, name, help, {__VA_ARGS__})
// Buckets: a constexpr array of f64 upper bounds, e.g. esta::observe::kLatencyBuckets.
#define ESTA_HISTOGRAM(id, name, help, buckets, ...)                                     \
    inline constexpr ::esta::observe::MetricSpec id = ::esta::observe::make_metric_spec( \
        ::esta::observe::MetricType::Histogram, name, help, {__VA_ARGS__}, buckets)
