// OTLP/HTTP exporter: POSTs batches as OTLP/JSON to a collector's /v1/traces (4318 is the
// standard OTLP/HTTP port). Plain HTTP or HTTPS (OpenSSL), optional extra headers such as
// `Authorization: Bearer ...`. Every request is bounded by the connect and request timeouts.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "observe/trace/span_exporters.h"

namespace esta::observe {

struct OtlpHttpOptions {
    // scheme://host:port, e.g. "http://127.0.0.1:4318" or "https://collector:4318".
    std::string endpoint = "http://127.0.0.1:4318";
    std::string path = "/v1/traces";
    std::vector<std::pair<std::string, std::string>> headers;
    int connect_timeout_ms = 1000;
    int request_timeout_ms = 5000;
    TraceResource resource;
};

class OtlpHttpExporter final : public SpanExporter {
  public:
    // Invalid for an endpoint that is not http(s)://host[:port].
    static Result<std::unique_ptr<OtlpHttpExporter>> create(OtlpHttpOptions options);
    ~OtlpHttpExporter() override;

    // Unavailable for a connection failure, a timeout, 429, 502, 503 or 504 (OTLP's
    // retryable responses); DriverError for any other non-2xx status (the batch is refused).
    Result<void> export_batch(std::span<const SpanData> spans) override;

    struct Client;

  private:
    OtlpHttpExporter(OtlpHttpOptions options, std::unique_ptr<Client> client);
    OtlpHttpOptions m_options;
    std::unique_ptr<Client> m_client;
};

}  // namespace esta::observe
