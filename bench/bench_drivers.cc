// Driver overhead (issue #8, "Performance"): the same Redis and SQLite operations made
// through the driver stack (GuardedDriver -> KvDriver/SqlDriver -> store) and directly with
// the client library, in the same run, so the ratio is the cost of the contract (scope
// checks, value conversion, breaker, in-flight bound). Redis needs `scripts/services start`
// (port 6379); without it the Redis benchmarks report an error and the others still run.
#include <benchmark/benchmark.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "drivers/embedded/memory_kv.h"
#include "drivers/embedded/sqlite_sql.h"
#include "drivers/guarded_driver.h"
#include "drivers/host/abi_codec.h"
#include "drivers/host/driver_host.h"
#include "drivers/host/remote_driver.h"
#include "drivers/redis/redis_kv.h"

namespace esta::drivers {
namespace {

protocol::SystemClock g_clock;
ThreadSleeper g_sleeper;

Scope kv_scope() {
    return Scope{"kv", KvScope{"bench:", kAllKvFamilies, {}}};
}

std::unique_ptr<GuardedDriver> guarded(std::unique_ptr<Driver> driver) {
    return std::make_unique<GuardedDriver>(std::move(driver), g_clock, g_sleeper,
                                           default_guard_options(DriverKind::KeyValue));
}

void BM_RedisSetGet_Driver(benchmark::State& state) {
    auto driver = guarded(std::make_unique<KvDriver>(
        std::make_unique<RedisKv>(RedisConfig{}, g_clock), std::vector<KvScript>{}, nullptr));
    if (!driver->start()) {
        state.SkipWithError("redis-server on 6379 is not running (scripts/services start)");
        return;
    }
    Scope scope = kv_scope();
    for (auto _ : state) {
        CallContext context{scope, 1, g_clock.now_ns() + 5'000 * kNanosPerMilli, Caller::Module,
                            "bench"};
        auto set = driver->call(kv_op::kSet, ValueList{"key", bytes_value("value")}, context);
        auto get = driver->call(kv_op::kGet, ValueList{"key"}, context);
        benchmark::DoNotOptimize(get);
        if (!set || !get) state.SkipWithError("call failed");
    }
}
BENCHMARK(BM_RedisSetGet_Driver)->UseRealTime();

void BM_RedisSetGet_Hiredis(benchmark::State& state) {
    RedisContextHandle context(redisConnect("127.0.0.1", 6379));
    if (!context || context->err != 0) {
        state.SkipWithError("redis-server on 6379 is not running (scripts/services start)");
        return;
    }
    for (auto _ : state) {
        auto* set = static_cast<redisReply*>(
            redisCommand(context.get(), "SET %s %s", "bench:key", "value"));
        auto* get = static_cast<redisReply*>(redisCommand(context.get(), "GET %s", "bench:key"));
        benchmark::DoNotOptimize(get);
        freeReplyObject(set);
        freeReplyObject(get);
    }
}
BENCHMARK(BM_RedisSetGet_Hiredis)->UseRealTime();

void BM_EmbeddedKvSetGet_Driver(benchmark::State& state) {
    auto driver = guarded(std::make_unique<KvDriver>(std::make_unique<MemoryKv>(g_clock),
                                                     std::vector<KvScript>{}, nullptr));
    (void)driver->start();
    Scope scope = kv_scope();
    for (auto _ : state) {
        CallContext context{scope, 1, g_clock.now_ns() + 5'000 * kNanosPerMilli, Caller::Module,
                            "bench"};
        auto set = driver->call(kv_op::kSet, ValueList{"key", bytes_value("value")}, context);
        auto get = driver->call(kv_op::kGet, ValueList{"key"}, context);
        benchmark::DoNotOptimize(get);
    }
}
BENCHMARK(BM_EmbeddedKvSetGet_Driver);

// The same store in its own seccomp-confined process (D-2), reached over a Unix socket
// with the protocol's framed codec: the cost of isolation is this line over the one above.
void BM_EmbeddedKvSetGet_OutOfProcess(benchmark::State& state) {
    int ends[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, ends) != 0) {
        state.SkipWithError("socketpair failed");
        return;
    }
    static const host::AbiValueCodec codec;
    pid_t child = ::fork();
    if (child == 0) {
        ::close(ends[0]);
        KvDriver driver(std::make_unique<MemoryKv>(g_clock), {}, nullptr);
        if (!driver.start() || !host::confine_driver_process()) ::_exit(2);
        (void)host::serve(ends[1], driver, codec);
        ::_exit(0);
    }
    ::close(ends[1]);
    auto driver = guarded(
        std::make_unique<host::RemoteDriver>(DriverKind::KeyValue, ends[0], codec, g_clock));
    Scope scope = kv_scope();
    for (auto _ : state) {
        CallContext context{scope, 1, g_clock.now_ns() + 5'000 * kNanosPerMilli, Caller::Module,
                            "bench"};
        auto set = driver->call(kv_op::kSet, ValueList{"key", bytes_value("value")}, context);
        auto get = driver->call(kv_op::kGet, ValueList{"key"}, context);
        benchmark::DoNotOptimize(get);
        if (!set || !get) state.SkipWithError("call failed");
    }
    driver.reset();  // Closing the socket ends the child's serve loop.
    ::waitpid(child, nullptr, 0);
}
BENCHMARK(BM_EmbeddedKvSetGet_OutOfProcess)->UseRealTime();

std::string temp_db(const char* name) {
    return "/tmp/esta_bench_" + std::to_string(::getpid()) + "_" + name + ".sqlite";
}

void BM_SqliteInsertSelect_Driver(benchmark::State& state) {
    std::string path = temp_db("driver");
    auto sql = std::make_unique<SqlDriver>(
        std::make_unique<SqliteSql>(path, "CREATE TABLE t (id integer primary key, v text)"),
        std::vector<SqlStatement>{
            {"put",
             "INSERT OR REPLACE INTO t (id, v) VALUES ($1, $2)",
             {SqlType::Int, SqlType::Text},
             {}},
            {"get", "SELECT v FROM t WHERE id = $1", {SqlType::Int}, {SqlType::Text}}},
        nullptr);
    auto driver = std::make_unique<GuardedDriver>(std::move(sql), g_clock, g_sleeper,
                                                  default_guard_options(DriverKind::Sql));
    if (!driver->start()) {
        state.SkipWithError("sqlite start failed");
        return;
    }
    Scope scope{"db", SqlScope{{"put", "get"}}};
    i64 id = 0;
    for (auto _ : state) {
        CallContext context{scope, 1, g_clock.now_ns() + 5'000 * kNanosPerMilli, Caller::Module,
                            "bench"};
        ++id;
        auto put =
            driver->call(sql_op::kExec, ValueList{"put", ValueList{id % 1000, "value"}}, context);
        auto got = driver->call(sql_op::kExec, ValueList{"get", ValueList{id % 1000}}, context);
        benchmark::DoNotOptimize(got);
    }
    driver->stop();
    ::unlink(path.c_str());
}
BENCHMARK(BM_SqliteInsertSelect_Driver);

void BM_SqliteInsertSelect_Direct(benchmark::State& state) {
    std::string path = temp_db("direct");
    sqlite3* raw = nullptr;
    sqlite3_open(path.c_str(), &raw);
    SqliteHandle db(raw);
    sqlite3_exec(db.get(),
                 "PRAGMA journal_mode=WAL; CREATE TABLE t (id integer primary key, v text)",
                 nullptr, nullptr, nullptr);
    i64 id = 0;
    for (auto _ : state) {
        ++id;
        // Prepared per call, as the driver does, so only the contract's cost differs.
        sqlite3_stmt* put = nullptr;
        sqlite3_prepare_v2(db.get(), "INSERT OR REPLACE INTO t (id, v) VALUES (?1, ?2)", -1, &put,
                           nullptr);
        sqlite3_bind_int64(put, 1, id % 1000);
        sqlite3_bind_text(put, 2, "value", 5, SQLITE_STATIC);
        sqlite3_step(put);
        sqlite3_finalize(put);
        sqlite3_stmt* get = nullptr;
        sqlite3_prepare_v2(db.get(), "SELECT v FROM t WHERE id = ?1", -1, &get, nullptr);
        sqlite3_bind_int64(get, 1, id % 1000);
        while (sqlite3_step(get) == SQLITE_ROW)
            benchmark::DoNotOptimize(sqlite3_column_text(get, 0));
        sqlite3_finalize(get);
    }
    db.reset();
    ::unlink(path.c_str());
}
BENCHMARK(BM_SqliteInsertSelect_Direct);

}  // namespace
}  // namespace esta::drivers
