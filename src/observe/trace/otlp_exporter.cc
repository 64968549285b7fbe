#include "observe/trace/otlp_exporter.h"

#include <httplib.h>

namespace esta::observe {

struct OtlpHttpExporter::Client {
    httplib::Client http;
    explicit Client(const std::string& endpoint) : http(endpoint) {}
};

namespace {

bool valid_endpoint(std::string_view endpoint) {
    std::string_view rest;
    if (endpoint.starts_with("http://"))
        rest = endpoint.substr(7);
    else if (endpoint.starts_with("https://"))
        rest = endpoint.substr(8);
    else
        return false;
    return !rest.empty() && rest.find('/') == std::string_view::npos;
}

bool retryable(int status) {
    return status == 429 || status == 502 || status == 503 || status == 504;
}

}  // namespace

Result<std::unique_ptr<OtlpHttpExporter>> OtlpHttpExporter::create(OtlpHttpOptions options) {
    if (!valid_endpoint(options.endpoint)) return Err(Status::Invalid, "otlp.endpoint");
    if (!options.path.starts_with('/')) return Err(Status::Invalid, "otlp.path");
    auto client = std::make_unique<Client>(options.endpoint);
    if (!client->http.is_valid()) return Err(Status::Invalid, "otlp.endpoint");
    const auto seconds = [](int ms) {
        return std::pair<time_t, time_t>(ms / 1000, (ms % 1000) * 1000);
    };
    const auto connect = seconds(options.connect_timeout_ms);
    const auto request = seconds(options.request_timeout_ms);
    client->http.set_connection_timeout(connect.first, connect.second);
    client->http.set_read_timeout(request.first, request.second);
    client->http.set_write_timeout(request.first, request.second);
    client->http.set_keep_alive(true);
    return std::unique_ptr<OtlpHttpExporter>(
        new OtlpHttpExporter(std::move(options), std::move(client)));
}

OtlpHttpExporter::OtlpHttpExporter(OtlpHttpOptions options, std::unique_ptr<Client> client)
    : m_options(std::move(options)), m_client(std::move(client)) {}

OtlpHttpExporter::~OtlpHttpExporter() = default;

Result<void> OtlpHttpExporter::export_batch(std::span<const SpanData> spans) {
    if (spans.empty()) return {};
    const std::string body = encode_otlp_traces(m_options.resource, spans);
    httplib::Headers headers;
    for (const auto& [name, value] : m_options.headers)
        headers.emplace(name, value);
    auto response = m_client->http.Post(m_options.path, headers, body, "application/json");
    if (!response) return Err(Status::Unavailable, "otlp.connection");
    if (response->status >= 200 && response->status < 300) return {};
    const Detail detail{.actual = static_cast<u64>(response->status)};
    if (retryable(response->status))
        return Err(Status::Unavailable, "otlp.retryable_status", detail);
    return Err(Status::DriverError, "otlp.refused", detail);
}

}  // namespace esta::observe
