// A span exporter for benchmarks: it does the real OTLP/JSON encoding (on the batch
// processor's thread) and discards the bytes, so the HTTP send is left out.
#pragma once

#include <benchmark/benchmark.h>

#include "observe/trace/otlp_json.h"
#include "observe/trace/span_exporters.h"

namespace esta::bench {

class EncodingExporter final : public observe::SpanExporter {
  public:
    Result<void> export_batch(std::span<const observe::SpanData> spans) override {
        benchmark::DoNotOptimize(observe::encode_otlp_traces(m_resource, spans));
        return {};
    }

  private:
    observe::TraceResource m_resource;
};

}  // namespace esta::bench
