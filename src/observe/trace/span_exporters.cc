#include "observe/trace/span_exporters.h"

#include <cstdio>

namespace esta::observe {

namespace {

ByteSpan bytes_of(std::string_view text) {
    return ByteSpan(reinterpret_cast<const u8*>(text.data()), text.size());
}

}  // namespace

ConsoleSpanExporter::ConsoleSpanExporter(Writer writer) : m_writer(std::move(writer)) {
    if (!m_writer)
        m_writer = [](std::string_view line) {
            std::fwrite(line.data(), 1, line.size(), stdout);
            std::fflush(stdout);
        };
}

Result<void> ConsoleSpanExporter::export_batch(std::span<const SpanData> spans) {
    std::string line;
    for (const SpanData& span : spans) {
        line.clear();
        append_otlp_span(line, span);
        line.push_back('\n');
        m_writer(line);
    }
    return {};
}

Result<std::unique_ptr<FileSpanExporter>> FileSpanExporter::open(const std::string& path,
                                                                 TraceResource resource) {
    UniqueFd fd = ESTA_TRY(open_append(path, 0640));
    return std::unique_ptr<FileSpanExporter>(
        new FileSpanExporter(std::move(fd), std::move(resource)));
}

FileSpanExporter::FileSpanExporter(UniqueFd fd, TraceResource resource)
    : m_fd(std::move(fd)), m_resource(std::move(resource)) {}

Result<void> FileSpanExporter::export_batch(std::span<const SpanData> spans) {
    if (spans.empty()) return {};
    std::string line = encode_otlp_traces(m_resource, spans);
    line.push_back('\n');
    // One write of the whole line with O_APPEND, so concurrent writers never interleave
    // within a line (for sizes the kernel writes at once).
    return write_all(m_fd.get(), bytes_of(line));
}

}  // namespace esta::observe
