#include "observe/metrics.h"
#include "observe/test_directory.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace esta::observe {
namespace {

ESTA_COUNTER(kMessagesSent, "kernel.messages_sent", "Messages sent between processes.");
ESTA_COUNTER(kTraps, "kernel.traps", "Guest traps by ABI code.", "code");
ESTA_GAUGE(kProcesses, "kernel.processes", "Processes by state.", "state");
ESTA_HISTOGRAM(kLatency, "kernel.decision_latency_seconds", "Decision latency.", kLatencyBuckets,
               "module");

TEST(Metrics, O5_DeclaringASpecIsAConstant) {
    static_assert(kTraps.label_count == 1);
    static_assert(kTraps.labels[0] == "code");
    EXPECT_EQ(exposition_name(kMessagesSent), "esta_kernel_messages_sent_total");
    EXPECT_EQ(exposition_name(kProcesses), "esta_kernel_processes");
}

TEST(Metrics, O5_CountersGaugesAndHistogramsMove) {
    MetricsRegistry registry;
    Counter& sent = registry.counter(kMessagesSent);
    sent.inc();
    sent.inc(4);
    EXPECT_EQ(registry.counter(kMessagesSent).value(), 5u);  // Same series.
    registry.gauge(kProcesses, {"ready"}).set(3);
    registry.gauge(kProcesses, {"ready"}).add(-1);
    EXPECT_EQ(registry.gauge(kProcesses, {"ready"}).value(), 2.0);
    Histogram& latency = registry.histogram(kLatency, {"accrual"});
    latency.observe(0.0001);  // On a bound: counted in that bucket (le is inclusive).
    latency.observe(0.003);
    latency.observe(100);
    EXPECT_EQ(latency.cumulative_count(0), 1u);
    EXPECT_EQ(latency.cumulative_count(5), 2u);
    EXPECT_EQ(latency.count(), 3u);
    EXPECT_DOUBLE_EQ(latency.sum(), 100.0031);
}

TEST(Metrics, O5_RendersPrometheusTextFormat) {
    MetricsRegistry registry;
    registry.counter(kTraps, {"4001"}).inc(2);
    registry.counter(kTraps, {"3003"}).inc();
    registry.gauge(kProcesses, {"we\"ird\\state\n"}).set(0.5);
    static constexpr f64 kBounds[] = {0.5, 1};
    constexpr MetricSpec small = make_metric_spec(MetricType::Histogram, "io.wait_seconds",
                                                  "Wait.\nSecond line.", {}, kBounds);
    registry.histogram(small).observe(0.7);
    EXPECT_EQ(registry.render_prometheus(),
              "# HELP esta_io_wait_seconds Wait.\\nSecond line.\n"
              "# TYPE esta_io_wait_seconds histogram\n"
              "esta_io_wait_seconds_bucket{le=\"0.5\"} 0\n"
              "esta_io_wait_seconds_bucket{le=\"1\"} 1\n"
              "esta_io_wait_seconds_bucket{le=\"+Inf\"} 1\n"
              "esta_io_wait_seconds_sum 0.7\n"
              "esta_io_wait_seconds_count 1\n"
              "# HELP esta_kernel_processes Processes by state.\n"
              "# TYPE esta_kernel_processes gauge\n"
              "esta_kernel_processes{state=\"we\\\"ird\\\\state\\n\"} 0.5\n"
              "# HELP esta_kernel_traps_total Guest traps by ABI code.\n"
              "# TYPE esta_kernel_traps_total counter\n"
              "esta_kernel_traps_total{code=\"3003\"} 1\n"
              "esta_kernel_traps_total{code=\"4001\"} 2\n");
}

TEST(Metrics, O5_RefusesBadOrConflictingRegistrations) {
    MetricsRegistry registry;
    const std::string_view one[] = {"x"};
    constexpr MetricSpec bad_name = make_metric_spec(MetricType::Counter, "9lives", "", {});
    EXPECT_FALSE(registry.try_counter(bad_name, {}));
    constexpr MetricSpec bad_label = make_metric_spec(MetricType::Counter, "ok", "", {"__x"});
    EXPECT_FALSE(registry.try_counter(bad_label, one));
    constexpr MetricSpec le_label = make_metric_spec(MetricType::Counter, "ok", "", {"le"});
    EXPECT_FALSE(registry.try_counter(le_label, one));
    EXPECT_FALSE(registry.try_counter(kTraps, {}));  // Wrong number of label values.
    ASSERT_TRUE(registry.try_counter(kTraps, one));
    constexpr MetricSpec other_labels =
        make_metric_spec(MetricType::Counter, "kernel.traps", "", {"kind"});
    EXPECT_EQ(registry.try_counter(other_labels, one).error().context,
              std::string_view("metrics.conflicting_registration"));
    static constexpr f64 kUnsorted[] = {1, 0.5};
    constexpr MetricSpec unsorted = make_metric_spec(MetricType::Histogram, "h", "", {}, kUnsorted);
    EXPECT_FALSE(registry.try_histogram(unsorted, {}));
}

TEST(Metrics, O5_BoundsSeriesPerFamily) {
    MetricsRegistry registry;
    for (std::size_t i = 0; i < MetricsRegistry::kMaxSeriesPerFamily; ++i) {
        const std::string value = std::to_string(i);
        const std::string_view values[] = {value};
        ASSERT_TRUE(registry.try_counter(kTraps, values));
    }
    const std::string_view one_more[] = {"overflow"};
    EXPECT_EQ(registry.try_counter(kTraps, one_more).error().code, Status::Limit);
}

// Runs `promtool check metrics` on the output when promtool is installed (package
// `prometheus`); skipped otherwise.
TEST(Metrics, O5_PromtoolAcceptsTheOutput) {
    if (std::system("command -v promtool > /dev/null 2>&1") != 0) {
        GTEST_SKIP() << "promtool not installed";
    }
    MetricsRegistry registry;
    registry.counter(kMessagesSent).inc();
    registry.counter(kTraps, {"4001"}).inc();
    registry.gauge(kProcesses, {"running"}).set(2);
    registry.histogram(kLatency, {"accrual"}).observe(0.002);
    const auto path = test_directory() / "metrics.prom";
    std::ofstream(path) << registry.render_prometheus();
    const std::string command = "promtool check metrics < " + path.string() + " 2>&1";
    EXPECT_EQ(std::system(command.c_str()), 0);
}

}  // namespace
}  // namespace esta::observe
