#include "observe/flight_recorder.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "observe/file_io.h"
#include "observe/test_directory.h"

namespace esta::observe {
namespace {

FlightRecorderConfig limits(std::size_t entries, std::size_t bytes = std::size_t{10} << 20) {
    FlightRecorderConfig config;
    config.max_entries = entries;
    config.max_bytes = bytes;
    return config;
}

struct Rig {
    ManualClock clock{1'000};
    Logger logger{clock};
    FlightRecorder* recorder = nullptr;

    explicit Rig(FlightRecorderConfig config = {}) {
        recorder = &logger.add_sink(std::make_unique<FlightRecorder>(clock, std::move(config)));
    }
    void log(Severity severity, Category category, const std::string& message,
             std::optional<u64> pid = std::nullopt) {
        clock.advance(10);
        logger.log(severity, category, message, {{"n", i64{1}}, {"tag", "x"}}, pid);
    }
};

TEST(FlightRecorder, O3_DefaultsMatchTheRequirement) {
    FlightRecorderConfig config;
    EXPECT_EQ(config.max_entries, 10'000u);
    EXPECT_EQ(config.max_bytes, 10u * 1024 * 1024);
    EXPECT_EQ(config.min_severity, Severity::Info);
    EXPECT_EQ(config.persist_interval_ns, 60'000'000'000);
}

TEST(FlightRecorder, O3_KeepsTheNewestEntriesWithinTheEntryBound) {
    Rig rig(limits(100));
    for (int i = 0; i < 250; ++i)
        rig.log(Severity::Info, CategoryKind::Kernel, std::to_string(i));
    const auto entries = rig.recorder->snapshot();
    ASSERT_EQ(entries.size(), 100u);
    EXPECT_EQ(entries.front().message, "150");  // The oldest kept, not the newest dropped.
    EXPECT_EQ(entries.back().message, "249");
    EXPECT_EQ(entries.back().id, 250u);
    EXPECT_EQ(rig.recorder->evicted(), 150u);
}

TEST(FlightRecorder, O3_StaysWithinTheMemoryBound) {
    Rig rig(limits(10'000, 64 * 1024));
    const std::string big(1000, 'm');
    for (int i = 0; i < 1000; ++i)
        rig.log(Severity::Warning, CategoryKind::Process, big);
    EXPECT_LE(rig.recorder->memory_used(), 64u * 1024);
    EXPECT_GT(rig.recorder->size(), 10u);
    EXPECT_LT(rig.recorder->size(), 100u);
}

TEST(FlightRecorder, O3_SkipsBelowInfoAndUnwantedCategories) {
    FlightRecorderConfig config;
    config.categories = {CategoryKind::Kernel, CategoryKind::Security};
    Rig rig(config);
    rig.log(Severity::Debug, CategoryKind::Kernel, "debug");
    rig.log(Severity::Info, CategoryKind::Wasm, "wasm");
    rig.log(Severity::Info, CategoryKind::Security, "kept");
    const auto entries = rig.recorder->snapshot();
    ASSERT_EQ(entries.size(), 1u);
    EXPECT_EQ(entries[0].message, "kept");
}

TEST(FlightRecorder, O3_FiltersBySeverityCategoryTimeAndProcess) {
    Rig rig;
    rig.log(Severity::Info, CategoryKind::Kernel, "a", 1);          // t = 1010
    rig.log(Severity::Error, Category::driver("kafka"), "b", 2);    // t = 1020
    rig.log(Severity::Warning, Category::driver("redis"), "c", 1);  // t = 1030
    rig.log(Severity::Critical, CategoryKind::Kernel, "d");         // t = 1040
    auto messages = [&](const FlightFilter& filter) {
        std::string out;
        for (const auto& entry : rig.recorder->snapshot(filter))
            out += entry.message;
        return out;
    };
    FlightFilter by_severity;
    by_severity.min_severity = Severity::Error;
    EXPECT_EQ(messages(by_severity), "bd");
    FlightFilter any_driver;
    any_driver.category = Category::driver("");
    EXPECT_EQ(messages(any_driver), "bc");
    FlightFilter redis;
    redis.category = Category::driver("redis");
    EXPECT_EQ(messages(redis), "c");
    FlightFilter window;
    window.from_ns = 1020;
    window.to_ns = 1030;
    EXPECT_EQ(messages(window), "bc");
    FlightFilter process;
    process.pid = 1;
    EXPECT_EQ(messages(process), "ac");
}

TEST(FlightRecorder, O3_ExportsJsonTextAndBinary) {
    Rig rig;
    rig.log(Severity::Info, CategoryKind::Kernel, "first", 3);
    rig.log(Severity::Fatal, CategoryKind::Audit, "second");
    std::string json;
    rig.recorder->export_to(json, FlightExportFormat::JsonLines);
    EXPECT_EQ(std::count(json.begin(), json.end(), '\n'), 2);
    EXPECT_NE(json.find("\"message\":\"first\",\"fields\":{\"n\":1,\"tag\":\"x\"}"),
              std::string::npos)
        << json;
    std::string text;
    rig.recorder->export_to(text, FlightExportFormat::Text);
    EXPECT_NE(text.find("FATAL audit second n=1 tag=x"), std::string::npos) << text;

    std::string binary;
    rig.recorder->export_to(binary, FlightExportFormat::Binary);
    auto entries =
        read_flight_binary(ByteSpan(reinterpret_cast<const u8*>(binary.data()), binary.size()));
    ASSERT_TRUE(entries) << entries.error().to_string();
    ASSERT_EQ(entries->size(), 2u);
    EXPECT_EQ((*entries)[0].message, "first");
    EXPECT_EQ((*entries)[0].pid, 3u);
    EXPECT_EQ((*entries)[1].severity, Severity::Fatal);
    EXPECT_EQ((*entries)[1].fields, rig.recorder->snapshot()[1].fields);

    binary[8] = 9;  // A newer binary version is refused, naming it.
    auto refused =
        read_flight_binary(ByteSpan(reinterpret_cast<const u8*>(binary.data()), binary.size()));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().code, Status::NotSupported);
    EXPECT_EQ(refused.error().detail.actual, 9u);
}

TEST(FlightRecorder, O3_PersistsEverySixtySecondsAndDumpsOnDemand) {
    Rig rig;
    const std::string path = (test_directory() / "flight.jsonl").string();
    std::filesystem::remove(path);
    rig.log(Severity::Info, CategoryKind::Kernel, "before");
    EXPECT_FALSE(*rig.recorder->persist_if_due(path, FlightExportFormat::JsonLines));
    EXPECT_FALSE(std::filesystem::exists(path));
    rig.clock.advance(60'000'000'000);
    EXPECT_TRUE(*rig.recorder->persist_if_due(path, FlightExportFormat::JsonLines));
    EXPECT_FALSE(*rig.recorder->persist_if_due(path, FlightExportFormat::JsonLines));
    auto persisted = read_whole_file(path);
    ASSERT_TRUE(persisted);
    EXPECT_NE(std::string(persisted->begin(), persisted->end()).find("before"), std::string::npos);

    // The crash path: an explicit dump, whenever the app decides.
    rig.log(Severity::Critical, CategoryKind::Kernel, "crashing");
    ASSERT_TRUE(rig.recorder->dump(path, FlightExportFormat::Text));
    persisted = read_whole_file(path);
    EXPECT_NE(std::string(persisted->begin(), persisted->end()).find("crashing"),
              std::string::npos);
}

}  // namespace
}  // namespace esta::observe
