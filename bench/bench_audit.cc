// Audit log throughput: appending records (hash chain + Merkle leaf + write, checkpoints
// every 10 000) with and without fsync per record, and verifying a log, against a plain
// SHA-256 of the same record bytes as the baseline in the same run.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

#include "observe/audit_format.h"
#include "observe/audit_log.h"
#include "observe/audit_verify.h"

namespace {

namespace fs = std::filesystem;
using namespace esta;
using namespace esta::observe;

// A typical compliance record: who, what, how much.
Value::Map sample_data(i64 i) {
    Value::Map data;
    data["employee"] = Value::text("E" + std::to_string(i % 500));
    data["hours"] = Value::decimal(i % 900, 2);
    data["rule"] = Value::text("esta.accrual.v3");
    return data;
}

fs::path fresh_directory(const std::string& name) {
    const fs::path dir = fs::temp_directory_path() / ("esta_bench_" + name);
    fs::remove_all(dir);
    return dir;
}

std::unique_ptr<AuditLog> open_log(const fs::path& dir, const Clock& clock,
                                   AuditDurability durability) {
    AuditLogOptions options;
    options.directory = dir.string();
    options.durability = durability;
    auto log = AuditLog::open(options, *Ed25519PrivateKey::generate(), clock, nullptr);
    if (!log) std::abort();
    return std::move(*log);
}

void append_benchmark(benchmark::State& state, AuditDurability durability, const char* name) {
    const fs::path dir = fresh_directory(name);
    ManualClock clock(1'700'000'000'000'000'000);
    auto log = open_log(dir, clock, durability);
    i64 i = 0;
    std::size_t bytes = 0;
    for (auto _ : state) {
        clock.advance(1000);
        auto seq = log->append("accrual.credited", sample_data(i++));
        benchmark::DoNotOptimize(seq);
    }
    // The loop has ended, so closing (the shutdown checkpoint) is not timed.
    (void)log->close();
    for (const auto& entry : fs::directory_iterator(dir))
        bytes += fs::file_size(entry.path());
    fs::remove_all(dir);
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(static_cast<i64>(bytes));
}

void BM_AuditAppend(benchmark::State& state) {
    append_benchmark(state, AuditDurability::SyncAtCheckpoint, "append");
}
BENCHMARK(BM_AuditAppend);

void BM_AuditAppendSyncEachRecord(benchmark::State& state) {
    append_benchmark(state, AuditDurability::SyncEachRecord, "append_sync");
}
BENCHMARK(BM_AuditAppendSyncEachRecord)->Iterations(2000);

// Baseline: SHA-256 of exactly the body bytes a record carries.
void BM_Sha256OfRecordBytes(benchmark::State& state) {
    const auto body = make_event_body(12345, 1'700'000'000'000'000'000, "accrual.credited",
                                      sample_data(7), Digest{});
    for (auto _ : state)
        benchmark::DoNotOptimize(sha256(body));
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<i64>(body.size()));
}
BENCHMARK(BM_Sha256OfRecordBytes);

void BM_AuditVerify(benchmark::State& state) {
    const auto records = state.range(0);
    const fs::path dir = fresh_directory("verify");
    ManualClock clock(1'700'000'000'000'000'000);
    {
        auto log = open_log(dir, clock, AuditDurability::SyncAtCheckpoint);
        for (i64 i = 0; i < records; ++i) {
            clock.advance(1000);
            (void)log->append("accrual.credited", sample_data(i));
        }
        (void)log->close();
    }
    std::size_t bytes = 0;
    for (const auto& entry : fs::directory_iterator(dir))
        bytes += fs::file_size(entry.path());
    for (auto _ : state) {
        auto report = verify_audit_log(dir.string(), {});
        if (!report || !report->ok()) state.SkipWithError("verification failed");
        benchmark::DoNotOptimize(report);
    }
    state.SetItemsProcessed(state.iterations() * (records + 1));
    state.SetBytesProcessed(state.iterations() * static_cast<i64>(bytes));
    fs::remove_all(dir);
}
BENCHMARK(BM_AuditVerify)->Arg(100'000)->Unit(benchmark::kMillisecond);

}  // namespace
