#include "observe/log.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "observe/log_format.h"
#include "observe/log_sinks.h"
#include "observe/test_directory.h"

namespace esta::observe {
namespace {

// Keeps formatted JSON lines so tests can look at what a sink received.
class CapturingSink final : public LogSink {
  public:
    explicit CapturingSink(Severity min) : m_min(min) {}
    Severity min_severity() const override { return m_min; }
    void write(const LogRecord& record) override {
        std::string line;
        append_json_line(line, record);
        lines.push_back(line);
    }
    std::vector<std::string> lines;

  private:
    Severity m_min;
};

TEST(Severity, O1_OrderAndNames) {
    EXPECT_LT(Severity::Trace, Severity::Debug);
    EXPECT_LT(Severity::Debug, Severity::Info);
    EXPECT_LT(Severity::Info, Severity::Warning);
    EXPECT_LT(Severity::Warning, Severity::Error);
    EXPECT_LT(Severity::Error, Severity::Critical);
    EXPECT_LT(Severity::Critical, Severity::Fatal);
    for (u8 i = 0; i <= static_cast<u8>(Severity::Fatal); ++i) {
        auto severity = static_cast<Severity>(i);
        EXPECT_EQ(parse_severity(severity_name(severity)), severity);
    }
    EXPECT_FALSE(parse_severity("warn").has_value());
}

TEST(Logger, O1_CheapWhenLevelIsOff) {
    ManualClock clock;
    Logger logger(clock);
    auto& sink = logger.add_sink(std::make_unique<CapturingSink>(Severity::Warning));
    int built = 0;
    auto expensive = [&built] {
        ++built;
        return i64{42};
    };
    ESTA_LOG(logger, Severity::Debug, CategoryKind::Kernel, "skipped", {"value", expensive()});
    EXPECT_EQ(built, 0);
    EXPECT_TRUE(sink.lines.empty());
    ESTA_LOG(logger, Severity::Error, CategoryKind::Kernel, "kept", {"value", expensive()});
    EXPECT_EQ(built, 1);
    EXPECT_EQ(sink.lines.size(), 1u);
    ESTA_LOG(logger, Severity::Error, CategoryKind::Kernel, "no fields");
    ASSERT_EQ(sink.lines.size(), 2u);
    EXPECT_EQ(sink.lines[1].find("\"fields\""), std::string::npos);
}

TEST(Logger, O1_NoSinkMeansNothingEnabled) {
    ManualClock clock;
    Logger logger(clock);
    EXPECT_FALSE(logger.enabled(Severity::Fatal));
}

TEST(Logger, O1_EachSinkGetsItsOwnLevels) {
    ManualClock clock;
    Logger logger(clock);
    auto& verbose = logger.add_sink(std::make_unique<CapturingSink>(Severity::Trace));
    auto& quiet = logger.add_sink(std::make_unique<CapturingSink>(Severity::Error));
    logger.log(Severity::Info, CategoryKind::Process, "spawned", {{"module", "rules"}}, 7);
    logger.log(Severity::Critical, CategoryKind::Security, "denied");
    EXPECT_EQ(verbose.lines.size(), 2u);
    ASSERT_EQ(quiet.lines.size(), 1u);
    EXPECT_NE(quiet.lines[0].find("\"denied\""), std::string::npos);
}

TEST(LogFormat, O1_JsonLineHasEveryPart) {
    const Field fields[] = {{"topic", "hours"}, {"partition", 3}, {"lag", u64{1} << 60},
                            {"ratio", 0.5},     {"ok", true},     {"quote", "a\"b\n"}};
    LogRecord record{1'700'000'000'123'456'789,
                     Severity::Warning,
                     Category::driver("kafka"),
                     12,
                     "consumer lag",
                     fields};
    std::string line;
    append_json_line(line, record);
    EXPECT_EQ(line,
              "{\"ts_ns\":1700000000123456789,\"time\":\"2023-11-14T22:13:20.123456789Z\","
              "\"severity\":\"warning\",\"category\":\"driver.kafka\",\"pid\":12,"
              "\"message\":\"consumer lag\",\"fields\":{\"topic\":\"hours\",\"partition\":3,"
              "\"lag\":\"1152921504606846976\",\"ratio\":0.5,\"ok\":true,"
              "\"quote\":\"a\\\"b\\n\"}}\n");
}

TEST(LogFormat, O1_JsonEscapesControlAndInvalidUtf8) {
    const Field fields[] = {{"raw", std::string_view("\x01\xff", 2)}};
    LogRecord record{0, Severity::Info, CategoryKind::Wasm, std::nullopt, "m", fields};
    std::string line;
    append_json_line(line, record);
    EXPECT_NE(line.find("\"raw\":\"\\u0001\xEF\xBF\xBD\""), std::string::npos) << line;
}

TEST(LogFormat, O1_ConsoleLineForHumans) {
    const Field fields[] = {{"depth", 64}, {"who", "two words"}};
    LogRecord record{0, Severity::Error, CategoryKind::Kernel, 3, "mailbox full", fields};
    std::string line;
    append_console_line(line, record);
    EXPECT_EQ(line,
              "1970-01-01T00:00:00.000000000Z ERROR kernel pid=3 mailbox full depth=64 "
              "who=\"two words\"\n");
}

TEST(StreamSink, O1_FileSinkAppendsJsonLines) {
    const std::string path = (test_directory() / "observe_log_test.jsonl").string();
    std::remove(path.c_str());
    {
        ManualClock clock(5);
        Logger logger(clock);
        auto sink = StreamSink::to_file(path, LogFormat::JsonLines, Severity::Info);
        ASSERT_TRUE(sink);
        logger.add_sink(std::move(*sink));
        logger.log(Severity::Info, CategoryKind::App, "one");
        logger.log(Severity::Debug, CategoryKind::App, "dropped");
        logger.log(Severity::Fatal, CategoryKind::App, "two");
    }
    std::ifstream in(path);
    std::string first, second, third;
    std::getline(in, first);
    std::getline(in, second);
    EXPECT_FALSE(std::getline(in, third));
    EXPECT_NE(first.find("\"message\":\"one\""), std::string::npos);
    EXPECT_NE(second.find("\"severity\":\"fatal\""), std::string::npos);
}

TEST(StreamSink, O1_UnwritablePathIsAnError) {
    auto sink = StreamSink::to_file("/nonexistent-dir/x.log", LogFormat::Console, Severity::Info);
    ASSERT_FALSE(sink);
    EXPECT_EQ(sink.error().code, Status::IoError);
}

}  // namespace
}  // namespace esta::observe
