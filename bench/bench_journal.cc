// Journal append throughput and latency (of the call, and until acknowledged) for each
// fsync policy, against raw write(2) + fdatasync of the same bytes in the same run, and
// recovery speed (reported as bytes/s; time per GB follows).
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <deque>
#include <filesystem>
#include <string>
#include <vector>

#include "protocol/journal.h"

namespace {

using esta::u8;
using namespace esta::protocol;

constexpr std::size_t kRecordBytes = 256;
constexpr esta::u32 kGroup = 64;

using Clock = std::chrono::steady_clock;

double micros(Clock::duration duration) {
    return std::chrono::duration<double, std::micro>(duration).count();
}

double percentile(std::vector<double> samples, double p) {
    if (samples.empty()) return 0;
    std::sort(samples.begin(), samples.end());
    return samples[static_cast<std::size_t>(p * static_cast<double>(samples.size() - 1))];
}

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
    // Latency of the append call, and until the record is acknowledged (covered by
    // committed_sequence(): at once under `always`, after its group's or interval's fsync).
    std::vector<double> call_us;
    std::vector<double> ack_us;
    std::deque<std::pair<esta::u64, Clock::time_point>> waiting;
    for (auto _ : state) {
        const auto start = Clock::now();
        auto sequence = (*journal)->append(StreamId(1), RecordType::Input, 0, esta::ByteSpan(data));
        const auto end = Clock::now();
        benchmark::DoNotOptimize(sequence);
        call_us.push_back(micros(end - start));
        if (sequence) waiting.emplace_back(*sequence, start);
        while (!waiting.empty() && waiting.front().first <= (*journal)->committed_sequence()) {
            ack_us.push_back(micros(end - waiting.front().second));
            waiting.pop_front();
        }
    }
    (void)(*journal)->commit();
    state.counters["call_p50_us"] = percentile(call_us, 0.50);
    state.counters["call_p99_us"] = percentile(call_us, 0.99);
    state.counters["ack_p50_us"] = percentile(ack_us, 0.50);
    state.counters["ack_p99_us"] = percentile(ack_us, 0.99);
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
