// Journal append throughput for each fsync policy, against raw write(2) + fdatasync of the
// same bytes in the same run, and recovery speed (reported as bytes/s; time per GB follows).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "protocol/journal.h"

namespace {

using esta::u8;
using namespace esta::protocol;

constexpr std::size_t kRecordBytes = 256;
constexpr esta::u32 kGroup = 64;

std::string fresh_directory(const char* name) {
    const auto directory = std::filesystem::temp_directory_path() /
                           (std::string("esta-bench-") + name + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(directory);
    return directory.string();
}

void BM_JournalAppend(benchmark::State& state) {
    const auto policy = static_cast<FsyncPolicy>(state.range(0));
    const std::string directory = fresh_directory("append");
    PosixFileSystem fs;
    SystemClock clock;
    JournalOptions options;
    options.fsync = policy;
    options.batch_records = kGroup;
    auto journal = Journal::open(fs, directory, clock, options);
    if (!journal) {
        state.SkipWithError("cannot open the journal");
        return;
    }
    const std::vector<u8> data(kRecordBytes, 0x42);
    for (auto _ : state) {
        auto sequence = (*journal)->append(StreamId(1), RecordType::Input, 0, esta::ByteSpan(data));
        benchmark::DoNotOptimize(sequence);
    }
    (void)(*journal)->commit();
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kRecordBytes));
    state.SetLabel(std::string(fsync_policy_name(policy)));
    journal->reset();
    std::filesystem::remove_all(directory);
}
BENCHMARK(BM_JournalAppend)
    ->Arg(static_cast<int>(FsyncPolicy::Always))
    ->Arg(static_cast<int>(FsyncPolicy::Batch))
    ->Arg(static_cast<int>(FsyncPolicy::Interval))
    ->UseRealTime();

// The baseline: the same bytes with write(2), fdatasync after every `range(0)` records.
void BM_RawWriteBaseline(benchmark::State& state) {
    const std::string directory = fresh_directory("raw");
    std::filesystem::create_directories(directory);
    const std::string path = directory + "/raw.bin";
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    const std::vector<u8> data(record_frame_size(kRecordBytes), 0x42);
    const int64_t sync_every = state.range(0);
    int64_t written = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(::write(fd, data.data(), data.size()));
        if (++written % sync_every == 0) ::fdatasync(fd);
    }
    ::close(fd);
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(kRecordBytes));
    std::filesystem::remove_all(directory);
}
BENCHMARK(BM_RawWriteBaseline)->Arg(1)->Arg(kGroup)->UseRealTime();

void BM_JournalRecover(benchmark::State& state) {
    const std::string directory = fresh_directory("recover");
    PosixFileSystem fs;
    SystemClock clock;
    JournalOptions options;
    options.fsync = FsyncPolicy::Batch;
    options.batch_records = 1024;
    const std::size_t total = static_cast<std::size_t>(state.range(0)) << 20;
    {
        auto journal = Journal::open(fs, directory, clock, options);
        const std::vector<u8> data(4096 - record_frame_size(0), 0x17);
        for (std::size_t bytes = 0; bytes < total; bytes += record_frame_size(data.size())) {
            (void)(*journal)->append(StreamId(bytes % 7), RecordType::Input, 0,
                                     esta::ByteSpan(data));
        }
        (void)(*journal)->commit();
    }
    for (auto _ : state) {
        auto journal = Journal::open(fs, directory, clock, options);
        benchmark::DoNotOptimize(journal);
    }
    state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(total));
    std::filesystem::remove_all(directory);
}
BENCHMARK(BM_JournalRecover)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
