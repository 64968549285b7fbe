// Span exporters: where a BatchSpanProcessor sends finished spans (REQUIREMENTS O-4).
//   OtlpHttpExporter   POST /v1/traces to a collector as OTLP/JSON  (otlp_exporter.h)
//   FileSpanExporter   one OTLP/JSON request per line, appended to a file (the format the
//                      OpenTelemetry Collector's otlpjsonfile receiver reads)
//   ConsoleSpanExporter one OTLP/JSON span object per line, to a writer (stdout by default)
// An exporter is called from one thread at a time (the processor's), never from a
// scheduler thread, and must return within its configured timeouts.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "base/result.h"
#include "observe/file_io.h"
#include "observe/trace/otlp_json.h"
#include "observe/trace/span_data.h"

namespace esta::observe {

class SpanExporter {
  public:
    virtual ~SpanExporter() = default;
    // Delivers the batch. Unavailable means "try again later" (the destination is down or
    // asked us to back off); any other error means the batch can never be delivered.
    virtual Result<void> export_batch(std::span<const SpanData> spans) = 0;
};

class ConsoleSpanExporter final : public SpanExporter {
  public:
    using Writer = std::function<void(std::string_view line)>;
    // Lines (with their '\n') go to `writer`; the default writes to stdout.
    explicit ConsoleSpanExporter(Writer writer = {});
    Result<void> export_batch(std::span<const SpanData> spans) override;

  private:
    Writer m_writer;
};

class FileSpanExporter final : public SpanExporter {
  public:
    // Opens (creating, mode 0640) `path` for appending. IoError if it cannot.
    static Result<std::unique_ptr<FileSpanExporter>> open(const std::string& path,
                                                          TraceResource resource);
    Result<void> export_batch(std::span<const SpanData> spans) override;

  private:
    FileSpanExporter(UniqueFd fd, TraceResource resource);
    UniqueFd m_fd;
    TraceResource m_resource;
};

}  // namespace esta::observe
