#include "kernel/realtime/jitter.h"

#include <algorithm>
#include <cmath>

namespace esta::kernel {

ESTA_GAUGE(kJitterP50, "kernel.jitter_p50_seconds", "Window p50 latency (K-51).", "operation");
ESTA_GAUGE(kJitterP99, "kernel.jitter_p99_seconds", "Window p99 latency (K-51).", "operation");
ESTA_GAUGE(kJitterSpread, "kernel.jitter_p99_minus_p50_seconds", "Window p99 - p50 (K-51).",
           "operation");
ESTA_GAUGE(kJitterPeakToPeak, "kernel.jitter_peak_to_peak_seconds",
           "Window max - min latency (K-51).", "operation");
ESTA_GAUGE(kJitterStddev, "kernel.jitter_stddev_seconds", "Window standard deviation (K-51).",
           "operation");
ESTA_GAUGE(kJitterOutlierRate, "kernel.jitter_outlier_rate",
           "Share of window samples above p50 + the peak-to-peak bound (K-51).", "operation");
ESTA_COUNTER(kJitterViolations, "kernel.jitter_violations",
             "Samples after which the window was out of its jitter spec, by measure.", "operation",
             "measure");

namespace {
constexpr Nanos kMicro = protocol::kNanosPerMicro;
constexpr f64 kSeconds = 1.0 / protocol::kNanosPerSecond;

// Index of the nearest-rank p-th percentile in a sorted array of n > 0 samples.
std::size_t rank_index(u32 n, u32 percent) {
    u64 rank = (static_cast<u64>(percent) * n + 99) / 100;
    return rank == 0 ? 0 : static_cast<std::size_t>(rank - 1);
}
}  // namespace

JitterSpec message_passing_jitter() {
    return {"message_passing", 100 * kMicro, 500 * kMicro, 100};
}
JitterSpec scheduling_jitter() {
    return {"scheduling", 50 * kMicro, 200 * kMicro, 100};
}
JitterSpec context_switch_jitter() {
    return {"context_switch", 25 * kMicro, 100 * kMicro, 100};
}
JitterSpec realtime_jitter() {
    return {"realtime", 10 * kMicro, 50 * kMicro, 100};
}

JitterTracker::JitterTracker(JitterSpec spec) : m_spec(std::move(spec)) {
    if (m_spec.window == 0) m_spec.window = 1;
    m_ring.assign(m_spec.window, 0);
    m_sorted.reserve(m_spec.window);
}

void JitterTracker::add(Nanos sample) {
    if (m_count == m_spec.window) {
        // The slot about to be overwritten holds the oldest sample: it leaves the window.
        Nanos oldest = m_ring[m_next];
        m_sorted.erase(std::lower_bound(m_sorted.begin(), m_sorted.end(), oldest));
        m_sum -= oldest;
        m_sum_of_squares -= static_cast<unsigned __int128>(static_cast<__int128>(oldest) * oldest);
    } else {
        ++m_count;
    }
    m_ring[m_next] = sample;
    m_next = m_next + 1 == m_spec.window ? 0 : m_next + 1;
    m_sorted.insert(std::upper_bound(m_sorted.begin(), m_sorted.end(), sample), sample);
    m_sum += sample;
    m_sum_of_squares += static_cast<unsigned __int128>(static_cast<__int128>(sample) * sample);
}

JitterStats JitterTracker::stats() const {
    JitterStats stats;
    if (m_count == 0) return stats;
    stats.count = m_count;
    stats.min = m_sorted.front();
    stats.max = m_sorted.back();
    stats.mean = m_sum / m_count;
    stats.peak_to_peak = stats.max - stats.min;
    stats.p50 = m_sorted[rank_index(m_count, 50)];
    stats.p99 = m_sorted[rank_index(m_count, 99)];
    // n²σ² = n·Σx² − (Σx)², exact in 128 bits; one correctly rounded conversion and sqrt
    // keep σ identical on every machine.
    auto n = static_cast<__int128>(m_count);
    __int128 scaled_variance =
        n * static_cast<__int128>(m_sum_of_squares) - static_cast<__int128>(m_sum) * m_sum;
    stats.stddev = std::sqrt(static_cast<f64>(scaled_variance)) / static_cast<f64>(m_count);
    Nanos outlier_above = stats.p50 + m_spec.max_peak_to_peak;
    auto first_outlier = std::upper_bound(m_sorted.begin(), m_sorted.end(), outlier_above);
    stats.outliers = static_cast<u32>(m_sorted.end() - first_outlier);
    return stats;
}

JitterVerdict JitterTracker::evaluate() const {
    JitterVerdict verdict;
    verdict.stats = stats();
    verdict.p99_minus_p50_ok = verdict.stats.p99_minus_p50() <= m_spec.max_p99_minus_p50;
    verdict.peak_to_peak_ok = verdict.stats.peak_to_peak <= m_spec.max_peak_to_peak;
    return verdict;
}

JitterMonitor::JitterMonitor(JitterSpec spec, observe::MetricsRegistry& metrics, SafetySink& sink)
    : m_tracker(std::move(spec)),
      m_metrics(metrics),
      m_sink(sink),
      m_p50(metrics.gauge(kJitterP50, {m_tracker.spec().operation})),
      m_p99(metrics.gauge(kJitterP99, {m_tracker.spec().operation})),
      m_p99_minus_p50(metrics.gauge(kJitterSpread, {m_tracker.spec().operation})),
      m_peak_to_peak(metrics.gauge(kJitterPeakToPeak, {m_tracker.spec().operation})),
      m_stddev(metrics.gauge(kJitterStddev, {m_tracker.spec().operation})),
      m_outlier_rate(metrics.gauge(kJitterOutlierRate, {m_tracker.spec().operation})) {}

void JitterMonitor::transition(bool& was_ok, bool ok, std::string_view measure, Nanos actual,
                               Nanos limit, Nanos now) {
    if (!ok) m_metrics.counter(kJitterViolations, {m_tracker.spec().operation, measure}).inc();
    if (ok == was_ok) return;
    was_ok = ok;
    m_sink.report(SafetyEvent{.event = ok ? "jitter.within_spec" : "jitter.out_of_spec",
                              .subject = m_tracker.spec().operation,
                              .detail = measure,
                              .severity = ok ? SafetySeverity::Info : SafetySeverity::Warning,
                              .actual = actual,
                              .limit = limit,
                              .at = now});
}

JitterVerdict JitterMonitor::record(Nanos sample, Nanos now) {
    m_tracker.add(sample);
    JitterVerdict verdict = m_tracker.evaluate();
    const JitterStats& s = verdict.stats;
    m_p50.set(static_cast<f64>(s.p50) * kSeconds);
    m_p99.set(static_cast<f64>(s.p99) * kSeconds);
    m_p99_minus_p50.set(static_cast<f64>(s.p99_minus_p50()) * kSeconds);
    m_peak_to_peak.set(static_cast<f64>(s.peak_to_peak) * kSeconds);
    m_stddev.set(s.stddev * kSeconds);
    m_outlier_rate.set(s.outlier_rate());
    const JitterSpec& spec = m_tracker.spec();
    transition(m_p99_ok, verdict.p99_minus_p50_ok, "p99_minus_p50", s.p99_minus_p50(),
               spec.max_p99_minus_p50, now);
    transition(m_p2p_ok, verdict.peak_to_peak_ok, "peak_to_peak", s.peak_to_peak,
               spec.max_peak_to_peak, now);
    return verdict;
}

}  // namespace esta::kernel
