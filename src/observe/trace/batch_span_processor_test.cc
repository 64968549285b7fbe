#include "observe/trace/batch_span_processor.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <mutex>

namespace esta::observe {
namespace {

// An exporter the test controls: it can hold the worker inside export_batch until the
// test opens the gate, and answers from a scripted list of results (then success).
class ScriptedExporter final : public SpanExporter {
  public:
    Result<void> export_batch(std::span<const SpanData> spans) override {
        std::unique_lock lock(m_mutex);
        ++m_calls;
        m_entered = true;
        m_changed.notify_all();
        m_changed.wait(lock, [&] { return m_open; });
        Result<void> result = Result<void>{};
        if (!m_script.empty()) {
            result = m_script.front();
            m_script.pop_front();
        }
        if (result) m_delivered += spans.size();
        return result;
    }

    void close_gate() {
        std::lock_guard lock(m_mutex);
        m_open = false;
    }
    void open_gate() {
        std::lock_guard lock(m_mutex);
        m_open = true;
        m_changed.notify_all();
    }
    void wait_until_entered() {
        std::unique_lock lock(m_mutex);
        m_changed.wait(lock, [&] { return m_entered; });
    }
    void script(std::initializer_list<Result<void>> results) {
        std::lock_guard lock(m_mutex);
        m_script.insert(m_script.end(), results);
    }
    int calls() {
        std::lock_guard lock(m_mutex);
        return m_calls;
    }
    std::size_t delivered() {
        std::lock_guard lock(m_mutex);
        return m_delivered;
    }

  private:
    std::mutex m_mutex;
    std::condition_variable m_changed;
    bool m_open = true;
    bool m_entered = false;
    int m_calls = 0;
    std::size_t m_delivered = 0;
    std::deque<Result<void>> m_script;
};

SpanData span_named(std::string name) {
    SpanData span;
    span.name = std::move(name);
    return span;
}

BatchSpanOptions small_options() {
    BatchSpanOptions options;
    options.max_queue_size = 8;
    options.max_batch_size = 4;
    options.schedule_delay = std::chrono::hours(1);  // Only full batches and flushes send.
    options.initial_backoff = std::chrono::milliseconds(0);
    return options;
}

TEST(BatchSpanProcessor, O4_EndingASpanNeverWaitsForTheCollector) {
    ScriptedExporter exporter;
    MetricsRegistry metrics;
    BatchSpanProcessor processor(exporter, metrics, small_options());
    exporter.close_gate();
    for (int i = 0; i < 4; ++i)
        processor.on_end(span_named("first batch"));
    exporter.wait_until_entered();  // The worker holds 4 spans inside a stuck export.
    // The queue takes 8 more; 5 beyond that are dropped, and none of these calls waits.
    for (int i = 0; i < 13; ++i)
        processor.on_end(span_named("while stuck"));
    EXPECT_EQ(processor.stats().dropped_queue_full, 5u);
    exporter.open_gate();
    processor.flush();
    const auto stats = processor.stats();
    EXPECT_EQ(stats.exported, 12u);
    EXPECT_EQ(exporter.delivered(), 12u);
    EXPECT_EQ(stats.dropped_export_failed, 0u);
    const std::string text = metrics.render_prometheus();
    EXPECT_NE(text.find("esta_observe_trace_spans_dropped_total{reason=\"queue_full\"} 5\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("esta_observe_trace_spans_exported_total 12\n"), std::string::npos);
}

TEST(BatchSpanProcessor, O4_CollectorDownRetriesABoundedNumberOfTimesThenDrops) {
    ScriptedExporter exporter;
    exporter.script({Err(Status::Unavailable, "down"), Err(Status::Unavailable, "down"),
                     Err(Status::Unavailable, "down")});
    MetricsRegistry metrics;
    BatchSpanOptions options = small_options();
    options.max_attempts = 3;
    BatchSpanProcessor processor(exporter, metrics, options);
    for (int i = 0; i < 3; ++i)
        processor.on_end(span_named("lost"));
    processor.flush();
    const auto stats = processor.stats();
    EXPECT_EQ(exporter.calls(), 3);
    EXPECT_EQ(stats.export_failures, 3u);
    EXPECT_EQ(stats.dropped_export_failed, 3u);
    EXPECT_EQ(stats.exported, 0u);
}

TEST(BatchSpanProcessor, O4_RetryableFailureIsRetriedAndDelivered) {
    ScriptedExporter exporter;
    exporter.script({Err(Status::Unavailable, "busy")});
    MetricsRegistry metrics;
    BatchSpanProcessor processor(exporter, metrics, small_options());
    processor.on_end(span_named("eventually"));
    processor.flush();
    EXPECT_EQ(exporter.calls(), 2);
    EXPECT_EQ(processor.stats().exported, 1u);
    EXPECT_EQ(processor.stats().export_failures, 1u);
}

TEST(BatchSpanProcessor, O4_RefusedBatchIsNotRetried) {
    ScriptedExporter exporter;
    exporter.script({Err(Status::DriverError, "400")});
    MetricsRegistry metrics;
    BatchSpanProcessor processor(exporter, metrics, small_options());
    processor.on_end(span_named("refused"));
    processor.flush();
    EXPECT_EQ(exporter.calls(), 1);
    EXPECT_EQ(processor.stats().dropped_export_failed, 1u);
}

TEST(BatchSpanProcessor, ShutdownSendsWhatIsQueuedThenDropsLateSpans) {
    ScriptedExporter exporter;
    MetricsRegistry metrics;
    BatchSpanProcessor processor(exporter, metrics, small_options());
    processor.on_end(span_named("queued"));
    processor.on_end(span_named("queued"));
    processor.shutdown();
    EXPECT_EQ(exporter.delivered(), 2u);
    processor.on_end(span_named("late"));
    processor.shutdown();  // Idempotent.
    EXPECT_EQ(processor.stats().dropped_shutdown, 1u);
    processor.flush();  // Returns at once: nothing is pending.
}

TEST(BatchSpanProcessor, BatchesAreCappedAtTheBatchSize) {
    ScriptedExporter exporter;
    MetricsRegistry metrics;
    BatchSpanOptions options = small_options();
    options.max_queue_size = 100;
    BatchSpanProcessor processor(exporter, metrics, options);
    exporter.close_gate();
    for (int i = 0; i < 4; ++i)
        processor.on_end(span_named("a"));
    exporter.wait_until_entered();
    for (int i = 0; i < 10; ++i)
        processor.on_end(span_named("b"));
    exporter.open_gate();
    processor.flush();
    EXPECT_EQ(exporter.delivered(), 14u);
    EXPECT_EQ(exporter.calls(), 4);  // 4 + 4 + 4 + 2
}

}  // namespace
}  // namespace esta::observe
