// Jitter tracking (REQUIREMENTS K-51) over a sliding window of the last 100 samples: min,
// max, mean, p50, p99, standard deviation, peak-to-peak, and the outlier rate, judged
// against a spec on p99 − p50 and on peak-to-peak:
//   message_passing 100 µs / 500 µs, scheduling 50 / 200, context_switch 25 / 100,
//   realtime 10 / 50.
// Definitions chosen here (the prototype judged σ and 2σ outliers with integer truncation,
// which produced outliers out of identical samples — kernel-safety.md RT gap 6):
// - percentiles are nearest-rank: p-th = the ceil(p·n/100)-th smallest sample;
// - an outlier is a sample more than the peak-to-peak bound above the window's p50;
// - σ is the population standard deviation, reported only (decisions use integers).
// Cost: the window is also kept sorted, so add() is two binary searches and a short move
// (O(window) bytes moved, no allocation) and stats() is O(log window).
#pragma once

#include <string>
#include <vector>

#include "base/types.h"
#include "kernel/guardrails/safety_sink.h"
#include "kernel/ids.h"
#include "observe/metrics.h"

namespace esta::kernel {

struct JitterSpec {
    std::string operation;  // Labels the metrics: "message_passing".
    Nanos max_p99_minus_p50 = 0;
    Nanos max_peak_to_peak = 0;
    u32 window = 100;
};

JitterSpec message_passing_jitter();
JitterSpec scheduling_jitter();
JitterSpec context_switch_jitter();
JitterSpec realtime_jitter();

struct JitterStats {
    u32 count = 0;
    Nanos min = 0;
    Nanos max = 0;
    Nanos mean = 0;  // Truncated toward zero.
    Nanos p50 = 0;
    Nanos p99 = 0;
    f64 stddev = 0;
    Nanos peak_to_peak = 0;
    u32 outliers = 0;
    Nanos p99_minus_p50() const { return p99 - p50; }
    f64 outlier_rate() const { return count == 0 ? 0.0 : static_cast<f64>(outliers) / count; }
};

struct JitterVerdict {
    JitterStats stats;
    bool p99_minus_p50_ok = true;
    bool peak_to_peak_ok = true;
    bool within_spec() const { return p99_minus_p50_ok && peak_to_peak_ok; }
};

class JitterTracker {
  public:
    explicit JitterTracker(JitterSpec spec);

    // Adds one latency sample; the oldest leaves once the window is full.
    void add(Nanos sample);
    JitterStats stats() const;
    JitterVerdict evaluate() const;

    u32 size() const { return m_count; }
    const JitterSpec& spec() const { return m_spec; }

  private:
    JitterSpec m_spec;
    std::vector<Nanos> m_ring;
    u32 m_next = 0;
    u32 m_count = 0;
    std::vector<Nanos> m_sorted;  // The same samples in ascending order.
    i64 m_sum = 0;
    // Exact sum of squares (ns² overflows 64 bits), so σ needs no second pass.
    unsigned __int128 m_sum_of_squares = 0;
};

// A tracker with its metrics (gauges per statistic, a violation counter per measure) and
// reports: entering violation is reported once per measure, leaving it once, so a jittery
// path does not flood the sink (the prototype alerted on every sample).
class JitterMonitor {
  public:
    JitterMonitor(JitterSpec spec, observe::MetricsRegistry& metrics, SafetySink& sink);

    JitterVerdict record(Nanos sample, Nanos now);
    const JitterTracker& tracker() const { return m_tracker; }

  private:
    void transition(bool& was_ok, bool ok, std::string_view measure, Nanos actual, Nanos limit,
                    Nanos now);

    JitterTracker m_tracker;
    observe::MetricsRegistry& m_metrics;
    SafetySink& m_sink;
    observe::Gauge& m_p50;
    observe::Gauge& m_p99;
    observe::Gauge& m_p99_minus_p50;
    observe::Gauge& m_peak_to_peak;
    observe::Gauge& m_stddev;
    observe::Gauge& m_outlier_rate;
    bool m_p99_ok = true;
    bool m_p2p_ok = true;
};

}  // namespace esta::kernel
