#include "observe/trace/batch_span_processor.h"

#include <algorithm>

namespace esta::observe {

namespace {

ESTA_COUNTER(kSpansExported, "observe.trace_spans_exported", "Spans the trace exporter delivered.");
ESTA_COUNTER(kSpansDropped, "observe.trace_spans_dropped",
             "Spans dropped before delivery, by reason (queue_full, export_failed, shutdown).",
             "reason");
ESTA_COUNTER(kExportFailures, "observe.trace_export_failures",
             "Failed trace export attempts, retried or not.");
ESTA_GAUGE(kQueueDepth, "observe.trace_queue_depth", "Finished spans waiting for export.");

}  // namespace

BatchSpanProcessor::BatchSpanProcessor(SpanExporter& exporter, MetricsRegistry& metrics,
                                       BatchSpanOptions options)
    : m_exporter(exporter),
      m_options(options),
      m_exported(metrics.counter(kSpansExported)),
      m_dropped_queue_full(metrics.counter(kSpansDropped, {"queue_full"})),
      m_dropped_export_failed(metrics.counter(kSpansDropped, {"export_failed"})),
      m_dropped_shutdown(metrics.counter(kSpansDropped, {"shutdown"})),
      m_export_failures(metrics.counter(kExportFailures)),
      m_queue_depth(metrics.gauge(kQueueDepth)) {
    m_options.max_queue_size = std::max<std::size_t>(m_options.max_queue_size, 1);
    m_options.max_batch_size =
        std::clamp<std::size_t>(m_options.max_batch_size, 1, m_options.max_queue_size);
    m_options.max_attempts = std::max(m_options.max_attempts, 1);
    m_worker = std::thread([this] { run(); });
}

BatchSpanProcessor::~BatchSpanProcessor() {
    shutdown();
}

void BatchSpanProcessor::on_end(SpanData&& span) {
    std::unique_lock lock(m_mutex);
    if (m_stopping) {
        lock.unlock();
        m_dropped_shutdown.inc();
        return;
    }
    if (m_queue.size() >= m_options.max_queue_size) {
        lock.unlock();
        m_dropped_queue_full.inc();
        return;
    }
    m_queue.push_back(std::move(span));
    ++m_accepted;
    const std::size_t depth = m_queue.size();
    lock.unlock();
    m_queue_depth.set(static_cast<f64>(depth));
    if (depth == m_options.max_batch_size) m_work.notify_one();
}

void BatchSpanProcessor::flush() {
    std::unique_lock lock(m_mutex);
    const u64 target = m_accepted;
    m_flush_target = std::max(m_flush_target, target);
    m_work.notify_one();
    m_settled.wait(lock, [&] { return m_settled_count >= target; });
}

void BatchSpanProcessor::shutdown() {
    {
        std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_work.notify_one();
    if (m_worker.joinable()) m_worker.join();
}

BatchSpanProcessor::Stats BatchSpanProcessor::stats() const {
    return {m_exported.value(), m_dropped_queue_full.value(), m_dropped_export_failed.value(),
            m_dropped_shutdown.value(), m_export_failures.value()};
}

void BatchSpanProcessor::run() {
    std::unique_lock lock(m_mutex);
    while (true) {
        // (1) Wait for a full batch, a flush, shutdown, or the schedule delay.
        m_work.wait_for(lock, m_options.schedule_delay, [&] {
            return m_stopping || m_queue.size() >= m_options.max_batch_size ||
                   m_flush_target > m_settled_count;
        });
        if (m_queue.empty()) {
            if (m_stopping) return;
            continue;
        }
        // (2) Take one batch out of the queue; on_end() keeps queueing meanwhile.
        const std::size_t count = std::min(m_queue.size(), m_options.max_batch_size);
        std::vector<SpanData> batch;
        batch.reserve(count);
        for (std::size_t i = 0; i < count; ++i) {
            batch.push_back(std::move(m_queue.front()));
            m_queue.pop_front();
        }
        m_queue_depth.set(static_cast<f64>(m_queue.size()));
        // (3) Export without the lock, then (4) settle the batch for flush().
        export_with_retries(batch, lock);
        m_settled_count += batch.size();
        m_settled.notify_all();
    }
}

void BatchSpanProcessor::export_with_retries(std::vector<SpanData>& batch,
                                             std::unique_lock<std::mutex>& lock) {
    auto backoff = m_options.initial_backoff;
    for (int attempt = 1;; ++attempt) {
        lock.unlock();
        const Result<void> result = m_exporter.export_batch(batch);
        if (result) m_exported.inc(batch.size());
        if (!result) m_export_failures.inc();
        lock.lock();
        if (result) return;
        const bool retry = result.error().code == Status::Unavailable &&
                           attempt < m_options.max_attempts && !m_stopping;
        if (!retry) break;
        // Backoff on the worker's own thread; shutdown cuts it short.
        m_work.wait_for(lock, backoff, [&] { return m_stopping; });
        backoff = std::min(backoff * 2, m_options.max_backoff);
    }
    m_dropped_export_failed.inc(batch.size());
}

}  // namespace esta::observe
