// /metrics as a scraper sees it, checked by Prometheus' own linter (`promtool check
// metrics`, Debian package `prometheus`, installed by scripts/setup). Skipped with a message
// when promtool is absent, unless CI is set, where its absence is a failure.
#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "observe/http_server.h"
#include "observe/metrics.h"
#include "observe/test_directory.h"
#include "observe/trace/batch_span_processor.h"
#include "observe/trace/tracer.h"

namespace esta::observe {
namespace {

ESTA_COUNTER(kMessagesSent, "kernel.messages_sent", "Messages sent between processes.");
ESTA_COUNTER(kTraps, "kernel.traps", "Guest traps by \"ABI\" code\\kind.", "code");
ESTA_GAUGE(kProcesses, "kernel.processes", "Processes by state.", "state");
ESTA_HISTOGRAM(kLatency, "kernel.operation_latency_seconds", "Operation latency.", kLatencyBuckets,
               "operation");

bool promtool_available() {
    return std::system("promtool --version >/dev/null 2>&1") == 0;
}
bool in_ci() {
    const char* ci = std::getenv("CI");
    return ci != nullptr && std::string_view(ci) == "true";
}

class NullExporter final : public SpanExporter {
  public:
    Result<void> export_batch(std::span<const SpanData>) override { return {}; }
};

TEST(MetricsEndpoint, O5_ScrapedMetricsPassPromtoolAndMoveWithWork) {
    if (!promtool_available()) {
        if (in_ci())
            FAIL() << "promtool is missing (install the `prometheus` package: scripts/setup)";
        GTEST_SKIP()
            << "promtool not installed (Debian package `prometheus`; scripts/setup installs it)";
    }
    MetricsRegistry registry;
    // Work that moves metrics: spans through the trace pipeline, and kernel-style series
    // with awkward label values (quotes, backslashes, newlines, UTF-8) and a histogram.
    NullExporter exporter;
    BatchSpanProcessor processor(exporter, registry);
    ManualClock clock(1'000);
    SeededIdSource ids(5);
    AlwaysOnSampler sampler;
    Tracer tracer(clock, ids, sampler, processor);
    for (int i = 0; i < 3; ++i)
        tracer.start_span("work").end();
    processor.flush();
    registry.counter(kMessagesSent).inc(41);
    registry.counter(kTraps, {"4001"}).inc();
    registry.gauge(kProcesses, {"run\"ning\\\nnow é"}).set(2);
    registry.histogram(kLatency, {"send"}).observe(0.0003);
    registry.histogram(kLatency, {"send"}).observe(7);

    HttpServerOptions options;
    options.port = 0;
    options.public_metrics = true;
    auto server = ObserveHttpServer::start(
        options, [&] { return registry.render_prometheus(); }, [] { return HealthStatus{}; },
        [] { return HealthStatus{}; });
    ASSERT_TRUE(server) << server.error().to_string();
    httplib::Client client("127.0.0.1", (*server)->port());
    auto before = client.Get("/metrics");
    ASSERT_TRUE(before);
    ASSERT_EQ(before->status, 200);
    EXPECT_NE(before->body.find("esta_observe_trace_spans_exported_total 3\n"), std::string::npos)
        << before->body;
    EXPECT_EQ(client.Get("/healthz")->status, 200);
    EXPECT_EQ(client.Get("/readyz")->status, 200);

    const auto path = test_directory() / "metrics.prom";
    std::ofstream(path, std::ios::binary) << before->body;
    const std::string command = "promtool check metrics < " + path.string() + " 2>&1";
    std::FILE* pipe = ::popen(command.c_str(), "r");
    ASSERT_NE(pipe, nullptr);
    std::string report;
    char buffer[512];
    while (std::fgets(buffer, sizeof buffer, pipe))
        report += buffer;
    const int status = ::pclose(pipe);
    EXPECT_EQ(status, 0) << "promtool check metrics:\n" << report << "\n---\n" << before->body;

    // Values move when work happens.
    tracer.start_span("more work").end();
    processor.flush();
    registry.counter(kMessagesSent).inc();
    auto after = client.Get("/metrics");
    ASSERT_TRUE(after);
    EXPECT_NE(after->body.find("esta_observe_trace_spans_exported_total 4\n"), std::string::npos);
    EXPECT_NE(after->body.find("esta_kernel_messages_sent_total 42\n"), std::string::npos);
}

}  // namespace
}  // namespace esta::observe
