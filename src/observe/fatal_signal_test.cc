#include "observe/fatal_signal.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "observe/flight_recorder.h"
#include "observe/log_format.h"
#include "observe/test_directory.h"

namespace esta::observe {
namespace {

std::vector<nlohmann::json> read_lines(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::vector<nlohmann::json> lines;
    std::string line;
    while (std::getline(in, line))
        lines.push_back(nlohmann::json::parse(line));
    return lines;
}

FlightRecorderConfig with_crash_ring(std::size_t slots, std::size_t slot_bytes = 1024) {
    FlightRecorderConfig config;
    config.crash_slots = slots;
    config.crash_slot_bytes = slot_bytes;
    return config;
}

TEST(FatalSignal, O3_CrashRingKeepsTheNewestEntriesAsJsonLines) {
    ManualClock clock{1'000};
    Logger logger{clock};
    auto& recorder = logger.add_sink(std::make_unique<FlightRecorder>(clock, with_crash_ring(3)));
    ASSERT_NE(recorder.crash_ring(), nullptr);
    for (int i = 0; i < 4; ++i) {
        logger.log(Severity::Info, CategoryKind::Kernel, "entry " + std::to_string(i),
                   {{"n", i64{i}}});
    }
    // Too long for a 1 KiB slot: kept as the start of its message, marked.
    logger.log(Severity::Error, CategoryKind::App, std::string(5000, 'x') + "\xC3\xA9",
               {{"big", std::string(3000, 'y')}});

    const auto path = test_directory() / "ring.jsonl";
    {
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        ASSERT_GE(fd, 0);
        EXPECT_EQ(recorder.crash_ring()->dump_to_fd(fd), 3u);
        ::close(fd);
    }
    const auto lines = read_lines(path);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0]["message"], "entry 2");
    EXPECT_EQ(lines[0]["fields"]["n"], 2);
    EXPECT_EQ(lines[1]["message"], "entry 3");
    EXPECT_EQ(lines[2]["severity"], "error");
    EXPECT_EQ(lines[2]["fields"]["truncated"], true);
    const std::string message = lines[2]["message"];
    EXPECT_GT(message.size(), 100u);
    EXPECT_EQ(message.find_first_not_of('x'), std::string::npos);
    EXPECT_EQ(FlightRecorder(clock).crash_ring(), nullptr);  // Off unless configured.
}

TEST(FatalSignal, O3_FatalLineIsALogJsonLine) {
    // 1970, a leap day, the end of a century year and a recent instant.
    for (const i64 ns : {i64{0}, i64{951'782'400'123'456'789}, i64{4'107'542'399'999'999'999},
                         i64{1'795'000'000'000'000'001}}) {
        char line[256];
        const std::size_t length = format_fatal_line(line, SIGSEGV, ns);
        ASSERT_LT(length, sizeof line);
        ASSERT_EQ(line[length - 1], '\n');
        const auto json = nlohmann::json::parse(std::string(line, length));
        EXPECT_EQ(json["ts_ns"], ns);
        EXPECT_EQ(json["time"], format_timestamp(ns));
        EXPECT_EQ(json["severity"], "fatal");
        EXPECT_EQ(json["message"], "fatal signal SIGSEGV");
        EXPECT_EQ(json["fields"]["signal"], SIGSEGV);
    }
}

// The child process (a fork made by the death test) records, installs the dump and dies.
[[noreturn]] void crash_after_logging(const std::string& dir, int signal) {
    const rlimit no_core{0, 0};
    ::setrlimit(RLIMIT_CORE, &no_core);  // The default action would write a core file.
    ManualClock clock{1'000};
    Logger logger{clock};
    auto& recorder = logger.add_sink(std::make_unique<FlightRecorder>(clock, with_crash_ring(16)));
    logger.log(Severity::Info, CategoryKind::Kernel, "node started");
    logger.log(Severity::Warning, CategoryKind::Process, "about to fail", {{"step", i64{7}}}, 3);
    auto installed = FatalSignalDump::install(*recorder.crash_ring(), dir, "fatal.jsonl");
    if (!installed) std::_Exit(2);
    if (signal == SIGSEGV) {
        // A real fault: a store to a page that allows no access.
        void* page = ::mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        *static_cast<volatile int*>(page) = 1;
    } else if (signal == SIGABRT) {
        std::abort();
    } else {
        ::raise(signal);
    }
    std::_Exit(3);
}

void expect_dump(const std::filesystem::path& path, int signal, const char* name) {
    const auto lines = read_lines(path);
    ASSERT_EQ(lines.size(), 3u);
    EXPECT_EQ(lines[0]["message"], "node started");
    EXPECT_EQ(lines[1]["message"], "about to fail");
    EXPECT_EQ(lines[1]["pid"], 3);
    EXPECT_EQ(lines[1]["fields"]["step"], 7);
    EXPECT_EQ(lines[2]["severity"], "fatal");
    EXPECT_EQ(lines[2]["message"], std::string("fatal signal ") + name);
    EXPECT_EQ(lines[2]["fields"]["signal"], signal);
}

TEST(FatalSignal, O3_SegfaultDumpsTheRecorderAndDiesOfTheSignal) {
    const auto dir = test_directory() / "segv";
    std::filesystem::create_directories(dir);
    std::filesystem::remove(dir / "fatal.jsonl");
    EXPECT_EXIT(crash_after_logging(dir.string(), SIGSEGV), testing::KilledBySignal(SIGSEGV), "");
    expect_dump(dir / "fatal.jsonl", SIGSEGV, "SIGSEGV");
}

TEST(FatalSignal, O3_AbortAndBusErrorDumpToo) {
    const auto dir = test_directory() / "abort";
    std::filesystem::create_directories(dir);
    std::filesystem::remove(dir / "fatal.jsonl");
    EXPECT_EXIT(crash_after_logging(dir.string(), SIGABRT), testing::KilledBySignal(SIGABRT), "");
    expect_dump(dir / "fatal.jsonl", SIGABRT, "SIGABRT");
    std::filesystem::remove(dir / "fatal.jsonl");
    EXPECT_EXIT(crash_after_logging(dir.string(), SIGBUS), testing::KilledBySignal(SIGBUS), "");
    expect_dump(dir / "fatal.jsonl", SIGBUS, "SIGBUS");
}

TEST(FatalSignal, O3_InstallsEndInAnyOrderAndRefuseBadTargets) {
    CrashRing ring(4, 64);
    const auto dir = test_directory().string();
    EXPECT_EQ(FatalSignalDump::install(ring, dir, "a/b").error().code, Status::Invalid);
    EXPECT_EQ(FatalSignalDump::install(ring, dir + "/missing", "x").error().code, Status::IoError);
    struct sigaction before {};
    ::sigaction(SIGSEGV, nullptr, &before);
    auto first = FatalSignalDump::install(ring, dir, "one.jsonl");
    auto second = FatalSignalDump::install(ring, dir, "two.jsonl");
    ASSERT_TRUE(first && second);
    first->reset();  // Not the newest: the handler stays.
    struct sigaction during {};
    ::sigaction(SIGSEGV, nullptr, &during);
    EXPECT_NE(during.sa_handler, before.sa_handler);
    second->reset();
    struct sigaction after {};
    ::sigaction(SIGSEGV, nullptr, &after);
    EXPECT_EQ(after.sa_handler, before.sa_handler);
}

}  // namespace
}  // namespace esta::observe
