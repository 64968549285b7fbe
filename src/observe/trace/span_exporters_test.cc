#include "observe/trace/span_exporters.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

#include "observe/file_io.h"
#include "observe/test_directory.h"

namespace esta::observe {
namespace {

using nlohmann::json;

SpanData span_named(std::string name) {
    SpanData span;
    span.context.trace_id = TraceId::from_halves(1, 2);
    span.context.span_id = SpanId::from_u64(3);
    span.name = std::move(name);
    return span;
}

TEST(ConsoleSpanExporter, O4_WritesOneOtlpSpanPerLine) {
    std::vector<std::string> lines;
    ConsoleSpanExporter exporter([&](std::string_view line) { lines.emplace_back(line); });
    const std::vector<SpanData> spans{span_named("a"), span_named("b")};
    ASSERT_TRUE(exporter.export_batch(spans));
    ASSERT_EQ(lines.size(), 2u);
    EXPECT_EQ(lines[1].back(), '\n');
    EXPECT_EQ(json::parse(lines[1]).at("name"), "b");
    EXPECT_EQ(json::parse(lines[0]).at("traceId"), "00000000000000010000000000000002");
}

TEST(FileSpanExporter, O4_AppendsOneOtlpRequestPerLine) {
    const std::string path = (test_directory() / "spans.jsonl").string();
    std::filesystem::remove(path);
    {
        auto exporter = FileSpanExporter::open(path, {});
        ASSERT_TRUE(exporter);
        const std::vector<SpanData> first{span_named("a")};
        const std::vector<SpanData> second{span_named("b"), span_named("c")};
        ASSERT_TRUE((*exporter)->export_batch(first));
        ASSERT_TRUE((*exporter)->export_batch(second));
    }
    std::ifstream file(path);
    std::string line;
    std::vector<json> requests;
    while (std::getline(file, line))
        requests.push_back(json::parse(line));
    ASSERT_EQ(requests.size(), 2u);
    const json& spans = requests[1].at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans");
    EXPECT_EQ(spans.size(), 2u);
    EXPECT_EQ(spans.at(1).at("name"), "c");
}

TEST(FileSpanExporter, UnwritablePathIsAnError) {
    EXPECT_FALSE(FileSpanExporter::open("/nonexistent-directory/spans.jsonl", {}));
}

}  // namespace
}  // namespace esta::observe
