#include "kernel/realtime/jitter.h"

#include <gtest/gtest.h>

#include "kernel/guardrails/test_sink.h"

namespace esta::kernel {
namespace {

constexpr Nanos kUs = protocol::kNanosPerMicro;

TEST(JitterTracker, K51_StatisticsOverTheWindow) {
    JitterTracker tracker(message_passing_jitter());
    for (int i = 1; i <= 100; ++i)
        tracker.add(i * kUs);
    JitterStats s = tracker.stats();
    EXPECT_EQ(s.count, 100u);
    EXPECT_EQ(s.min, 1 * kUs);
    EXPECT_EQ(s.max, 100 * kUs);
    EXPECT_EQ(s.mean, 50'500);  // 50.5 µs.
    EXPECT_EQ(s.p50, 50 * kUs);
    EXPECT_EQ(s.p99, 99 * kUs);
    EXPECT_EQ(s.peak_to_peak, 99 * kUs);
    EXPECT_NEAR(s.stddev, 28'866.07, 0.01);  // sqrt((100^2 - 1) / 12) µs.
    EXPECT_EQ(s.outliers, 0u);
}

TEST(JitterTracker, K51_SlidingWindowOf100Samples) {
    JitterTracker tracker(message_passing_jitter());
    tracker.add(10'000 * kUs);  // Leaves after 100 newer samples.
    for (int i = 0; i < 100; ++i)
        tracker.add(10 * kUs);
    JitterStats s = tracker.stats();
    EXPECT_EQ(s.count, 100u);
    EXPECT_EQ(s.max, 10 * kUs);
    EXPECT_EQ(s.peak_to_peak, 0);
}

TEST(JitterTracker, K51_JitterP99MinusP50AgainstSpec) {
    JitterTracker tracker(realtime_jitter());  // 10 µs / 50 µs.
    for (int i = 0; i < 98; ++i)
        tracker.add(100 * kUs);
    tracker.add(110 * kUs);
    tracker.add(110 * kUs);
    JitterVerdict at_bound = tracker.evaluate();
    EXPECT_EQ(at_bound.stats.p99_minus_p50(), 10 * kUs);
    EXPECT_TRUE(at_bound.within_spec());  // Equal passes.
    tracker.add(111 * kUs);               // Replaces one 100 µs sample.
    tracker.add(111 * kUs);
    JitterVerdict over = tracker.evaluate();
    EXPECT_EQ(over.stats.p99_minus_p50(), 11 * kUs);
    EXPECT_FALSE(over.p99_minus_p50_ok);
    EXPECT_TRUE(over.peak_to_peak_ok);
}

TEST(JitterTracker, K51_PeakToPeakAndOutlierRate) {
    JitterTracker tracker(message_passing_jitter());  // 100 µs / 500 µs.
    for (int i = 0; i < 97; ++i)
        tracker.add(100 * kUs);
    for (int i = 0; i < 3; ++i)
        tracker.add(700 * kUs);  // 600 µs above p50.
    JitterVerdict v = tracker.evaluate();
    EXPECT_EQ(v.stats.peak_to_peak, 600 * kUs);
    EXPECT_FALSE(v.peak_to_peak_ok);
    EXPECT_EQ(v.stats.outliers, 3u);
    EXPECT_DOUBLE_EQ(v.stats.outlier_rate(), 0.03);
    EXPECT_FALSE(v.p99_minus_p50_ok);  // p99 is one of the 700 µs samples.
}

TEST(JitterTracker, K51_IdenticalSamplesAreNotOutliers) {
    JitterTracker tracker(realtime_jitter());
    for (Nanos x : {10, 10, 10, 11})
        tracker.add(x * kUs);
    EXPECT_EQ(tracker.stats().outliers, 0u);  // The prototype's integer σ made 11 one.
}

TEST(JitterMonitor, K51_ReportsEnteringAndLeavingViolationOnce) {
    observe::MetricsRegistry metrics;
    testing::RecordingSink sink;
    JitterSpec spec = scheduling_jitter();
    spec.window = 4;
    JitterMonitor monitor(spec, metrics, sink);
    for (int i = 0; i < 4; ++i)
        monitor.record(10 * kUs, i);
    EXPECT_TRUE(sink.entries.empty());
    monitor.record(300 * kUs, 5);  // p2p 290 > 200, p99 - p50 290 > 50.
    monitor.record(300 * kUs, 6);
    EXPECT_EQ(sink.count("jitter.out_of_spec"), 2u);
    for (int i = 0; i < 4; ++i)
        monitor.record(10 * kUs, 7 + i);
    EXPECT_EQ(sink.count("jitter.within_spec"), 2u);
    std::string text = metrics.render_prometheus();
    EXPECT_NE(text.find("esta_kernel_jitter_violations_total{operation=\"scheduling\",measure="
                        "\"peak_to_peak\"}"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("esta_kernel_jitter_p99_minus_p50_seconds{operation=\"scheduling\"} 0"),
              std::string::npos)
        << text;
}

}  // namespace
}  // namespace esta::kernel
