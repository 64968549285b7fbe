// BatchSpanProcessor: the SpanSink a Tracer normally ends spans into. on_end() only moves
// the span into a bounded queue under a short lock, so a scheduler thread never waits on a
// collector; a worker thread sends batches to the exporter, retrying a retryable failure a
// bounded number of times with exponential backoff. Spans that do not fit in the queue, or
// whose batch still fails, are dropped and counted (REQUIREMENTS O-4):
//   esta_observe_trace_spans_exported_total
//   esta_observe_trace_spans_dropped_total{reason="queue_full"|"export_failed"|"shutdown"}
//   esta_observe_trace_export_failures_total   (failed attempts, retried or not)
//   esta_observe_trace_queue_depth
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

#include "observe/metrics.h"
#include "observe/trace/span_exporters.h"
#include "observe/trace/tracer.h"

namespace esta::observe {

struct BatchSpanOptions {
    std::size_t max_queue_size = 2048;
    std::size_t max_batch_size = 512;
    // A partial batch is sent after this long (the worker's own wait, on its own thread).
    std::chrono::milliseconds schedule_delay{5000};
    int max_attempts = 3;  // Per batch, first try included.
    std::chrono::milliseconds initial_backoff{100};
    std::chrono::milliseconds max_backoff{2000};
};

class BatchSpanProcessor final : public SpanSink {
  public:
    // `exporter` and `metrics` must outlive the processor. Starts the worker thread.
    BatchSpanProcessor(SpanExporter& exporter, MetricsRegistry& metrics,
                       BatchSpanOptions options = {});
    ~BatchSpanProcessor() override;  // shutdown()
    BatchSpanProcessor(const BatchSpanProcessor&) = delete;
    BatchSpanProcessor& operator=(const BatchSpanProcessor&) = delete;

    // Never blocks beyond the queue's lock; drops (and counts) when the queue is full or
    // the processor has shut down.
    void on_end(SpanData&& span) override;

    // Waits until every span queued before the call has been exported or dropped. For
    // shutdown paths and tests, never a scheduler thread: it waits on the collector.
    void flush();

    // Sends what is queued (one attempt per batch, no backoff), then stops the worker.
    // Idempotent. Later spans are dropped with reason "shutdown".
    void shutdown();

    // The processor's own counters (also in the registry).
    struct Stats {
        u64 exported = 0;
        u64 dropped_queue_full = 0;
        u64 dropped_export_failed = 0;
        u64 dropped_shutdown = 0;
        u64 export_failures = 0;
    };
    Stats stats() const;

  private:
    void run();
    void export_with_retries(std::vector<SpanData>& batch, std::unique_lock<std::mutex>& lock);

    SpanExporter& m_exporter;
    BatchSpanOptions m_options;
    Counter& m_exported;
    Counter& m_dropped_queue_full;
    Counter& m_dropped_export_failed;
    Counter& m_dropped_shutdown;
    Counter& m_export_failures;
    Gauge& m_queue_depth;

    std::mutex m_mutex;
    std::condition_variable m_work;     // Worker: a full batch, a flush, or stop.
    std::condition_variable m_settled;  // flush(): spans were exported or dropped.
    std::deque<SpanData> m_queue;
    u64 m_accepted = 0;       // Spans ever queued.
    u64 m_settled_count = 0;  // Of those, exported or dropped.
    u64 m_flush_target = 0;   // Highest m_accepted a flush() waits for.
    bool m_stopping = false;
    std::thread m_worker;
};

}  // namespace esta::observe
