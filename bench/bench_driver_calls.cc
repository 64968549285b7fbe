// Driver calls as a module makes them (issue #8, "Performance"): a wasm guest loops over
// `call` on a driver handle, through the kernel's syscall, the capability check, the
// KernelDriverBridge and the GuardedDriver to a driver that runs in the kernel's process or
// in its own (`estalogic driver KIND`, supervised, over a Unix socket), and the same
// operations are made directly with the client library in the same run: Redis SET + GET,
// PostgreSQL insert (upsert) + select by key, Kafka produce (acks=all, each waited for) and
// consume on librdkafka's mock cluster (3 brokers); consuming through the kernel is a
// RecordConsumer delivering 0x0100 messages to a reactive guest and committing after it.
//
// Each benchmark reports items/s (an item is one pair of operations, or one record for
// consume) and the latency of one item, p50_us and p99_us: the time between the starts of
// consecutive pairs as the driver sees them (so the guest, the syscall and the way back are
// inside it), or around each pair for the direct clients. Redis and PostgreSQL need
// `scripts/services start`; the guests need clang-14 for wasm32.
#include <benchmark/benchmark.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>

#include "drivers/embedded/memory_kv.h"
#include "drivers/guarded_driver.h"
#include "drivers/host/abi_codec.h"
#include "drivers/host/supervised_driver.h"
#include "drivers/kafka/kafka_topics.h"
#include "drivers/kernel_bridge/driver_bridge.h"
#include "drivers/kernel_bridge/record_consumer.h"
#include "drivers/kernel_bridge/test_drivers.h"
#include "drivers/postgres/pg_sql.h"
#include "drivers/redis/redis_kv.h"
#include "kernel/scheduler.h"
#include "kernel/syscalls/syscalls.h"
#include "kernel/test_support.h"

namespace esta::drivers {
namespace {

using Steady = std::chrono::steady_clock;

protocol::SystemClock g_clock;
ThreadSleeper g_sleeper;

constexpr u32 kRedisPairs = 1000;
constexpr u32 kPostgresPairs = 200;
constexpr u32 kKafkaPairs = 100;

// Latencies of one item, in microseconds; reported as p50_us and p99_us.
class Latencies {
  public:
    void add(Steady::duration elapsed) {
        m_us.push_back(std::chrono::duration<double, std::micro>(elapsed).count());
    }
    void report(benchmark::State& state) {
        if (m_us.empty()) return;
        std::sort(m_us.begin(), m_us.end());
        auto at = [&](double q) { return m_us[static_cast<std::size_t>(q * (m_us.size() - 1))]; };
        state.counters["p50_us"] = at(0.50);
        state.counters["p99_us"] = at(0.99);
    }

  private:
    std::vector<double> m_us;
};

// Forwards to the driver and notes when each call starts; pairs start at every other call.
class StampingDriver final : public testing::ForwardingDriver {
  public:
    using ForwardingDriver::ForwardingDriver;
    Result<Value> call(u32 op, const Value& request, const CallContext& context) override {
        {
            std::lock_guard lock(m_mutex);
            m_starts.push_back(Steady::now());
        }
        return ForwardingDriver::call(op, request, context);
    }
    // Each pair's latency: from its first call's start to the next pair's.
    void collect(Latencies& latencies) {
        std::lock_guard lock(m_mutex);
        for (std::size_t i = 2; i < m_starts.size(); i += 2)
            latencies.add(m_starts[i] - m_starts[i - 2]);
        m_starts.clear();
    }

  private:
    std::mutex m_mutex;
    std::vector<Steady::time_point> m_starts;
};

// Reads one message: [u32 name length, name, u32 op, u32 length, request] twice, then u32
// pairs; looks the handle up and makes the two calls `pairs` times, then exits 0 (1 or 2
// on a failed call, 3 on a bad message).
constexpr const char* kPairGuest = R"(#include "estalogic.h"
static unsigned char in[4096];
static unsigned char resp[4096];
static esta_info info;
static esta_u32 u32_at(esta_u32 at) {
    return (esta_u32)in[at] | ((esta_u32)in[at + 1] << 8) | ((esta_u32)in[at + 2] << 16) |
           ((esta_u32)in[at + 3] << 24);
}
__attribute__((export_name("_start"))) void start(void) {
    esta_i32 n = esta_recv(ESTA_RECV_POLL, 0, in, sizeof in, &info);
    if (n < 4) esta_exit(3);
    esta_u32 name_len = u32_at(0);
    esta_u32 at = 4 + name_len;
    esta_u32 op1 = u32_at(at), len1 = u32_at(at + 4);
    const unsigned char* req1 = in + at + 8;
    at += 8 + len1;
    esta_u32 op2 = u32_at(at), len2 = u32_at(at + 4);
    const unsigned char* req2 = in + at + 8;
    at += 8 + len2;
    esta_u32 pairs = u32_at(at);
    esta_handle h = esta_cap_lookup((const char*)in + 4, name_len);
    if (h < 0) esta_exit(3);
    for (esta_u32 i = 0; i < pairs; ++i) {
        if (esta_call(h, (esta_i32)op1, req1, len1, resp, sizeof resp, 10000) < 0) esta_exit(1);
        if (esta_call(h, (esta_i32)op2, req2, len2, resp, sizeof resp, 10000) < 0) esta_exit(2);
    }
    esta_exit(0);
}
)";

// Handles each 0x0100 record message and returns 0.
constexpr const char* kRecordGuest = R"(#include "estalogic.h"
static unsigned char in[4096];
static esta_info info;
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    return esta_recv(ESTA_RECV_POLL, 0x0100, in, sizeof in, &info) < 0 ? -1 : 0;
}
)";

std::shared_ptr<const wasm::CompiledModule> compile_guest(const char* name, const char* source) {
    auto dir = std::filesystem::temp_directory_path() /
               ("esta_bench_guest_" + std::to_string(::getpid()) + "_" + name);
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "guest.c") << source;
    std::string command =
        "clang-14 --target=wasm32 -nostdlib -fno-builtin -O2 "
        "-Wl,--no-entry -Wl,--allow-undefined -I" ESTA_SOURCE_PATH "/sdk/c " +
        (dir / "guest.c").string() + " -o " + (dir / "guest.wasm").string() + " > /dev/null 2>&1";
    std::shared_ptr<const wasm::CompiledModule> compiled;
    if (std::system(command.c_str()) == 0) {
        std::ifstream file(dir / "guest.wasm", std::ios::binary);
        std::vector<u8> bytes((std::istreambuf_iterator<char>(file)),
                              std::istreambuf_iterator<char>());
        auto module = wasm::compile(ByteSpan(bytes.data(), bytes.size()));
        if (module) compiled = *module;
    }
    std::filesystem::remove_all(dir);
    return compiled;
}

void put_u32(std::vector<u8>& out, u32 value) {
    for (int shift = 0; shift < 32; shift += 8)
        out.push_back(static_cast<u8>(value >> shift));
}

// What the pair guest does: two calls on the handle granted as `grant`.
struct Pair {
    u32 op1;
    Value request1;
    u32 op2;
    Value request2;
    u32 pairs;

    std::vector<u8> message(const std::string& grant) const {
        std::vector<u8> out;
        put_u32(out, static_cast<u32>(grant.size()));
        out.insert(out.end(), grant.begin(), grant.end());
        for (const auto& [op, request] : {std::pair{op1, &request1}, std::pair{op2, &request2}}) {
            std::vector<u8> encoded;
            kernel::abi::encode_value(*request, encoded);
            put_u32(out, op);
            put_u32(out, static_cast<u32>(encoded.size()));
            out.insert(out.end(), encoded.begin(), encoded.end());
        }
        put_u32(out, pairs);
        return out;
    }
};

// Runs the pair guest against `driver` (granted under `scope`) once per iteration. With
// `executor`, each call runs on the executor's thread while the guest is parked, and is
// delivered when the scheduler is idle (as run_until_idle does).
void run_guest_pairs(benchmark::State& state, Driver& driver, const Scope& scope, const Pair& pair,
                     DriverExecutor* executor = nullptr) {
    static auto module = compile_guest("pairs", kPairGuest);
    if (!module) {
        state.SkipWithError("the guest did not compile (clang-14 for wasm32 needed)");
        return;
    }
    StampingDriver stamping(driver);
    kernel::testing::RecordingAudit audit;
    kernel::CapTree tree(audit);
    kernel::ObjectIdAllocator ids;
    kernel::Scheduler scheduler;
    kernel::Syscalls syscalls(tree, g_clock, scheduler);
    kernel::ObjectId port_id = ids.next();
    KernelDriverBridge bridge(stamping, scope, port_id, scheduler_time(scheduler), g_clock,
                              executor);
    auto port =
        kernel::DriverPort::create(port_id, port_object_type(driver.kind()), scope.grant, bridge);
    std::vector<u8> message = pair.message(scope.grant);
    // One call first, outside the timing: connections and metadata are set up.
    CallContext warm{scope, 1, g_clock.now_ns() + 10'000 * kNanosPerMilli, Caller::Module, "warm"};
    if (!driver.call(pair.op1, pair.request1, warm)) {
        state.SkipWithError("the first call failed");
        return;
    }
    Latencies latencies;
    u32 pid = 1;
    for (auto _ : state) {
        kernel::SpawnRequest request;
        request.module = module;
        request.grants.push_back(kernel::Grant{
            scope.grant,
            tree.grant(*port, kernel::Right::Read | kernel::Right::Write | kernel::Right::Execute,
                       {}, kernel::kKernelProcess, 0)});
        auto process = kernel::Process::spawn(std::move(request), kernel::ProcessId(++pid), ids,
                                              tree, syscalls);
        kernel::Message input;
        input.type = kernel::MessageType(0x30);
        input.sender = kernel::kKernelProcess;
        input.payload = message;
        if (!process || !(*process)->mailbox().send(std::move(input)) ||
            !scheduler.add(*process, g_clock.now_ns())) {
            state.SkipWithError("spawn failed");
            return;
        }
        while (true) {
            auto report = scheduler.run_next(g_clock.now_ns());
            if (report && report->has_value()) continue;
            if (!report || syscalls.driver_calls_in_flight() == 0) break;
            syscalls.deliver_driver_replies(true);
        }
        if ((*process)->exit_reason()->to_string() != "normal") {
            state.SkipWithError(
                ("guest failed: " + (*process)->exit_reason()->to_string()).c_str());
            return;
        }
        stamping.collect(latencies);
    }
    state.SetItemsProcessed(state.iterations() * pair.pairs);
    latencies.report(state);
}

std::unique_ptr<GuardedDriver> guarded(std::unique_ptr<Driver> driver, DriverKind kind) {
    return std::make_unique<GuardedDriver>(std::move(driver), g_clock, g_sleeper,
                                           default_guard_options(kind));
}

// `estalogic driver KIND ARGS...` in its own process, supervised, on a socket in a
// directory of its own (removed with it).
class DriverProcess {
  public:
    DriverProcess(DriverKind kind, std::vector<std::string> args)
        : m_dir(std::filesystem::temp_directory_path() /
                ("esta_bench_" + std::to_string(::getpid()) + "_" + args.at(1))) {
        std::filesystem::create_directories(m_dir);
        host::DriverProcessConfig config;
        config.program = ESTA_ESTALOGIC_PATH;
        config.args = std::move(args);
        config.socket_path = (m_dir / "driver.sock").string();
        driver = guarded(
            std::make_unique<host::SupervisedDriver>(kind, config, m_codec, g_clock, g_sleeper),
            kind);
    }
    ~DriverProcess() {
        driver.reset();
        std::filesystem::remove_all(m_dir);
    }
    std::filesystem::path dir() const { return m_dir; }

    std::unique_ptr<GuardedDriver> driver;

  private:
    std::filesystem::path m_dir;
    host::AbiValueCodec m_codec;
};

// --- Redis SET + GET ----------------------------------------------------------------

const Scope kKvScope{"kv", KvScope{"bench:", kAllKvFamilies, {}}};
const Pair kKvPair{kv_op::kSet, ValueList{"key", bytes_value("value")}, kv_op::kGet,
                   ValueList{"key"}, kRedisPairs};

// A guarded Redis driver on 6379, started; null (the benchmark skipped) when the server is
// not running.
std::unique_ptr<GuardedDriver> started_redis(benchmark::State& state) {
    auto driver =
        guarded(std::make_unique<KvDriver>(std::make_unique<RedisKv>(RedisConfig{}, g_clock),
                                           std::vector<KvScript>{}, nullptr),
                DriverKind::KeyValue);
    if (!driver->start()) {
        state.SkipWithError("redis-server on 6379 is not running (scripts/services start)");
        return nullptr;
    }
    return driver;
}

void BM_Redis_SetGet_Guest_InProcess(benchmark::State& state) {
    if (auto driver = started_redis(state)) run_guest_pairs(state, *driver, kKvScope, kKvPair);
}
BENCHMARK(BM_Redis_SetGet_Guest_InProcess)->UseRealTime()->Unit(benchmark::kMillisecond);

// The same, the driver's work on its executor: the guest parks for each call (D-1).
void BM_Redis_SetGet_Guest_OnExecutor(benchmark::State& state) {
    auto driver = started_redis(state);
    if (!driver) return;
    DriverExecutor executor(1000);
    run_guest_pairs(state, *driver, kKvScope, kKvPair, &executor);
}
BENCHMARK(BM_Redis_SetGet_Guest_OnExecutor)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_Redis_SetGet_Guest_OutOfProcess(benchmark::State& state) {
    DriverProcess process(DriverKind::KeyValue, {"driver", "kv", "--redis-port", "6379"});
    if (!process.driver->start()) {
        state.SkipWithError("the driver process did not start (is redis-server on 6379 up?)");
        return;
    }
    run_guest_pairs(state, *process.driver, kKvScope, kKvPair);
}
BENCHMARK(BM_Redis_SetGet_Guest_OutOfProcess)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_EmbeddedKv_SetGet_Guest(benchmark::State& state) {
    auto driver = guarded(std::make_unique<KvDriver>(std::make_unique<MemoryKv>(g_clock),
                                                     std::vector<KvScript>{}, nullptr),
                          DriverKind::KeyValue);
    (void)driver->start();
    run_guest_pairs(state, *driver, kKvScope, kKvPair);
}
BENCHMARK(BM_EmbeddedKv_SetGet_Guest)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_Redis_SetGet_Hiredis(benchmark::State& state) {
    RedisContextHandle context(redisConnect("127.0.0.1", 6379));
    if (!context || context->err != 0) {
        state.SkipWithError("redis-server on 6379 is not running (scripts/services start)");
        return;
    }
    Latencies latencies;
    for (auto _ : state) {
        for (u32 i = 0; i < kRedisPairs; ++i) {
            auto start = Steady::now();
            auto* set = static_cast<redisReply*>(
                redisCommand(context.get(), "SET %s %s", "bench:key", "value"));
            auto* get =
                static_cast<redisReply*>(redisCommand(context.get(), "GET %s", "bench:key"));
            benchmark::DoNotOptimize(get);
            freeReplyObject(set);
            freeReplyObject(get);
            latencies.add(Steady::now() - start);
        }
    }
    state.SetItemsProcessed(state.iterations() * kRedisPairs);
    latencies.report(state);
}
BENCHMARK(BM_Redis_SetGet_Hiredis)->UseRealTime()->Unit(benchmark::kMillisecond);

// --- PostgreSQL insert + select -----------------------------------------------------

std::string pg_conninfo() {
    const char* configured = std::getenv("ESTA_BENCH_PG");
    return configured != nullptr ? configured : "host=/var/run/postgresql dbname=postgres";
}

// A table of this run's own, dropped at the end.
class PgTable {
  public:
    explicit PgTable(const std::string& suffix)
        : name("esta_bench_" + std::to_string(::getpid()) + "_" + suffix),
          m_connection(PQconnectdb(pg_conninfo().c_str())) {
        if (!available()) return;
        PQclear(PQexec(
            m_connection.get(),
            ("CREATE TABLE IF NOT EXISTS " + name + " (id bigint primary key, v text)").c_str()));
    }
    ~PgTable() {
        if (available()) PQclear(PQexec(m_connection.get(), ("DROP TABLE " + name).c_str()));
    }
    bool available() const { return PQstatus(m_connection.get()) == CONNECTION_OK; }
    PGconn* connection() { return m_connection.get(); }
    std::vector<SqlStatement> statements() const {
        return {
            {"put",
             "INSERT INTO " + name +
                 " (id, v) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET v = $2",
             {SqlType::Int, SqlType::Text},
             {}},
            {"get", "SELECT v FROM " + name + " WHERE id = $1", {SqlType::Int}, {SqlType::Text}}};
    }

    const std::string name;

  private:
    PgConnHandle m_connection;
};

const Scope kSqlScope{"db", SqlScope{{"put", "get"}}};
const Pair kSqlPair{sql_op::kExec, ValueList{"put", ValueList{i64{7}, "value"}}, sql_op::kExec,
                    ValueList{"get", ValueList{i64{7}}}, kPostgresPairs};

void BM_Postgres_InsertSelect_Guest_InProcess(benchmark::State& state) {
    PgTable table("in");
    PgConfig config;
    config.conninfo = pg_conninfo();
    auto driver =
        guarded(std::make_unique<SqlDriver>(std::make_unique<PgSql>(config, "", g_clock, g_sleeper),
                                            table.statements(), nullptr),
                DriverKind::Sql);
    if (!table.available() || !driver->start()) {
        state.SkipWithError("PostgreSQL is not reachable (scripts/services start)");
        return;
    }
    run_guest_pairs(state, *driver, kSqlScope, kSqlPair);
    driver->stop();
}
BENCHMARK(BM_Postgres_InsertSelect_Guest_InProcess)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_Postgres_InsertSelect_Guest_OutOfProcess(benchmark::State& state) {
    PgTable table("out");
    if (!table.available()) {
        state.SkipWithError("PostgreSQL is not reachable (scripts/services start)");
        return;
    }
    // The driver process declares the statements from an application manifest.
    auto manifest = std::filesystem::temp_directory_path() /
                    ("esta_bench_" + std::to_string(::getpid()) + ".toml");
    {
        std::ofstream out(manifest);
        out << "[modules.m]\npath = \"m.wasm\"\n[processes.p]\nmodule = \"m\"\n";
        for (const SqlStatement& statement : table.statements()) {
            out << "[statements." << statement.name << "]\nsql = \"" << statement.sql
                << "\"\nparams = "
                << (statement.name == "put" ? "[\"int\", \"text\"]" : "[\"int\"]")
                << "\ncolumns = " << (statement.name == "put" ? "[]" : "[\"text\"]") << "\n";
        }
    }
    DriverProcess process(DriverKind::Sql, {"driver", "sql", "--postgres", pg_conninfo(),
                                            "--manifest", manifest.string()});
    if (!process.driver->start()) {
        state.SkipWithError("the driver process did not start");
    } else {
        run_guest_pairs(state, *process.driver, kSqlScope, kSqlPair);
    }
    std::filesystem::remove(manifest);
}
BENCHMARK(BM_Postgres_InsertSelect_Guest_OutOfProcess)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

void BM_Postgres_InsertSelect_Libpq(benchmark::State& state) {
    PgTable table("direct");
    if (!table.available()) {
        state.SkipWithError("PostgreSQL is not reachable (scripts/services start)");
        return;
    }
    PGconn* connection = table.connection();
    PQclear(PQprepare(connection, "put",
                      ("INSERT INTO " + table.name +
                       " (id, v) VALUES ($1::bigint, $2) ON CONFLICT (id) DO UPDATE SET v = $2")
                          .c_str(),
                      2, nullptr));
    PQclear(PQprepare(connection, "get",
                      ("SELECT v FROM " + table.name + " WHERE id = $1::bigint").c_str(), 1,
                      nullptr));
    Latencies latencies;
    for (auto _ : state) {
        for (u32 i = 0; i < kPostgresPairs; ++i) {
            auto start = Steady::now();
            const char* put_params[] = {"7", "value"};
            PGresult* put = PQexecPrepared(connection, "put", 2, put_params, nullptr, nullptr, 0);
            const char* get_params[] = {"7"};
            PGresult* got = PQexecPrepared(connection, "get", 1, get_params, nullptr, nullptr, 0);
            benchmark::DoNotOptimize(PQgetvalue(got, 0, 0));
            PQclear(put);
            PQclear(got);
            latencies.add(Steady::now() - start);
        }
    }
    state.SetItemsProcessed(state.iterations() * kPostgresPairs);
    latencies.report(state);
}
BENCHMARK(BM_Postgres_InsertSelect_Libpq)->UseRealTime()->Unit(benchmark::kMillisecond);

// --- Kafka produce and consume (mock cluster) ---------------------------------------

// librdkafka's mock cluster: three brokers on loopback, alive as long as this object.
class MockCluster {
  public:
    MockCluster() {
        char error[256];
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "log_level", "0", error, sizeof error);
        m_owner.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error));
        if (m_owner) m_cluster = rd_kafka_mock_cluster_new(m_owner.get(), 3);
        if (m_cluster != nullptr) rd_kafka_mock_topic_create(m_cluster, "bench", 1, 3);
    }
    ~MockCluster() {
        if (m_cluster != nullptr) rd_kafka_mock_cluster_destroy(m_cluster);
    }
    bool available() const { return m_cluster != nullptr; }
    std::string bootstrap() const { return rd_kafka_mock_cluster_bootstraps(m_cluster); }

  private:
    RdKafkaHandle m_owner;
    rd_kafka_mock_cluster_t* m_cluster = nullptr;
};

constexpr int kRecordsPerBatch = 100;
constexpr int kConsumeBatches = 20;
constexpr char kRecordValue[] = "value-of-a-record";

RdKafkaHandle direct_client(rd_kafka_type_t type, const std::string& bootstrap, const char* group) {
    char error[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof error);
    rd_kafka_conf_set(conf, "log_level", "0", error, sizeof error);
    if (type == RD_KAFKA_PRODUCER) {
        // A delivery report marks the record's flag (its opaque), when it has one.
        rd_kafka_conf_set_dr_msg_cb(conf,
                                    [](rd_kafka_t*, const rd_kafka_message_t* message, void*) {
                                        if (message->_private != nullptr)
                                            *static_cast<bool*>(message->_private) = true;
                                    });
        rd_kafka_conf_set(conf, "acks", "all", error, sizeof error);
        rd_kafka_conf_set(conf, "enable.idempotence", "true", error, sizeof error);
        rd_kafka_conf_set(conf, "linger.ms", "0", error, sizeof error);
    } else {
        rd_kafka_conf_set(conf, "group.id", group, error, sizeof error);
        rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", error, sizeof error);
        rd_kafka_conf_set(conf, "enable.auto.commit", "false", error, sizeof error);
    }
    RdKafkaHandle handle(rd_kafka_new(type, conf, error, sizeof error));
    if (!handle) rd_kafka_conf_destroy(conf);
    return handle;
}

bool enqueue(rd_kafka_t* producer, bool* delivered = nullptr) {
    return rd_kafka_producev(
               producer, RD_KAFKA_V_TOPIC("bench"), RD_KAFKA_V_PARTITION(0),
               RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(delivered),
               RD_KAFKA_V_VALUE(const_cast<char*>(kRecordValue), sizeof kRecordValue - 1),
               RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

std::unique_ptr<GuardedDriver> kafka_driver(const std::string& bootstrap) {
    KafkaConfig config;
    config.bootstrap = bootstrap;
    config.settings = {{"log_level", "0"}};
    return guarded(
        std::make_unique<TopicDriver>(std::make_unique<KafkaTopics>(config, g_clock), nullptr),
        DriverKind::Topic);
}

const Scope kProduceScope{"out", TopicScope{"bench", true, false, ""}};
const Value kProduceRequest{ValueList{Value(), bytes_value(kRecordValue), Value(), i64{0}}};
const Pair kProducePair{topic_op::kProduce, kProduceRequest, topic_op::kProduce, kProduceRequest,
                        kKafkaPairs};

// Fills "bench" with the records every consume iteration reads.
bool fill_topic(MockCluster& mock) {
    RdKafkaHandle producer = direct_client(RD_KAFKA_PRODUCER, mock.bootstrap(), nullptr);
    for (int i = 0; i < (kConsumeBatches + 1) * kRecordsPerBatch; ++i)
        if (!enqueue(producer.get())) return false;
    return rd_kafka_flush(producer.get(), 30'000) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

// Runs `body` on a started topic driver, in the kernel's process or in its own
// (`estalogic driver topic --kafka`), against a fresh mock cluster (filled first with
// `fill`, for consuming).
template <typename Body>
void with_topic_driver(benchmark::State& state, bool out_of_process, bool fill, Body body) {
    MockCluster mock;
    if (!mock.available() || (fill && !fill_topic(mock))) {
        state.SkipWithError("no mock cluster");
        return;
    }
    std::unique_ptr<DriverProcess> process;
    std::unique_ptr<GuardedDriver> local;
    if (out_of_process) {
        process = std::make_unique<DriverProcess>(
            DriverKind::Topic,
            std::vector<std::string>{"driver", "topic", "--kafka", mock.bootstrap()});
    } else {
        local = kafka_driver(mock.bootstrap());
    }
    GuardedDriver& driver = out_of_process ? *process->driver : *local;
    if (!driver.start()) {
        state.SkipWithError("the driver did not start");
        return;
    }
    body(driver);
    driver.stop();
}

void BM_Kafka_Produce_Guest_InProcess(benchmark::State& state) {
    with_topic_driver(state, false, false, [&](Driver& driver) {
        run_guest_pairs(state, driver, kProduceScope, kProducePair);
    });
}
BENCHMARK(BM_Kafka_Produce_Guest_InProcess)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_Kafka_Produce_Guest_OutOfProcess(benchmark::State& state) {
    with_topic_driver(state, true, false, [&](Driver& driver) {
        run_guest_pairs(state, driver, kProduceScope, kProducePair);
    });
}
BENCHMARK(BM_Kafka_Produce_Guest_OutOfProcess)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_Kafka_Produce_Librdkafka(benchmark::State& state) {
    MockCluster mock;
    if (!mock.available()) {
        state.SkipWithError("no mock cluster");
        return;
    }
    RdKafkaHandle producer = direct_client(RD_KAFKA_PRODUCER, mock.bootstrap(), nullptr);
    Latencies latencies;
    for (auto _ : state) {
        for (u32 i = 0; i < kKafkaPairs; ++i) {
            auto start = Steady::now();
            // Each record waited for as the driver does: its delivery report, served by
            // rd_kafka_poll.
            for (int each = 0; each < 2; ++each) {
                bool delivered = false;
                if (!enqueue(producer.get(), &delivered)) {
                    state.SkipWithError("produce failed");
                    return;
                }
                while (!delivered)
                    rd_kafka_poll(producer.get(), 5);
            }
            latencies.add(Steady::now() - start);
        }
    }
    state.SetItemsProcessed(state.iterations() * kKafkaPairs);
    latencies.report(state);
}
BENCHMARK(BM_Kafka_Produce_Librdkafka)->UseRealTime()->Unit(benchmark::kMillisecond);

// One iteration: a batch of records delivered by a RecordConsumer to a reactive guest as
// 0x0100 messages, handled, and their offsets committed.
void consume_through_kernel(benchmark::State& state, Driver& driver) {
    static auto module = compile_guest("records", kRecordGuest);
    if (!module) {
        state.SkipWithError("the guest did not compile (clang-14 for wasm32 needed)");
        return;
    }
    kernel::testing::RecordingAudit audit;
    kernel::InMemoryDeadLetters dead_letters;
    kernel::KernelConfig config;
    config.threads = 1;
    kernel::Kernel kernel(g_clock, audit, dead_letters, config);
    kernel::ProcessSpec spec;
    spec.module = module;
    auto pid = kernel.spawn(spec);
    if (!pid) {
        state.SkipWithError("spawn failed");
        return;
    }
    RecordConsumer consumer(kernel, *pid, driver,
                            Scope{"in", TopicScope{"bench", false, true, "bench-kernel"}}, 1,
                            g_clock, ConsumerOptions{kRecordsPerBatch, 4 * kRecordsPerBatch});
    // The first records, outside the timing: the member joins its group.
    auto joined = consumer.pump(10'000 * kNanosPerMilli);
    if (!joined || *joined == 0 || !kernel.run_until_idle() || !consumer.commit_finished()) {
        state.SkipWithError("the consumer did not join");
        return;
    }
    Latencies latencies;
    i64 records = 0;
    for (auto _ : state) {
        auto start = Steady::now();
        std::size_t got = 0;
        while (got < static_cast<std::size_t>(kRecordsPerBatch)) {
            auto sent = consumer.pump(10'000 * kNanosPerMilli);
            if (!sent || !kernel.run_until_idle()) {
                state.SkipWithError("consume failed");
                return;
            }
            got += *sent;
        }
        if (!consumer.commit_finished()) {
            state.SkipWithError("commit failed");
            return;
        }
        latencies.add(Steady::now() - start);
        records += static_cast<i64>(got);
    }
    state.SetItemsProcessed(records);
    latencies.report(state);
}

void BM_Kafka_Consume_Kernel_InProcess(benchmark::State& state) {
    with_topic_driver(state, false, true,
                      [&](Driver& driver) { consume_through_kernel(state, driver); });
}
BENCHMARK(BM_Kafka_Consume_Kernel_InProcess)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(kConsumeBatches);

void BM_Kafka_Consume_Kernel_OutOfProcess(benchmark::State& state) {
    with_topic_driver(state, true, true,
                      [&](Driver& driver) { consume_through_kernel(state, driver); });
}
BENCHMARK(BM_Kafka_Consume_Kernel_OutOfProcess)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(kConsumeBatches);

void BM_Kafka_Consume_Librdkafka(benchmark::State& state) {
    MockCluster mock;
    if (!mock.available() || !fill_topic(mock)) {
        state.SkipWithError("no mock cluster");
        return;
    }
    RdKafkaHandle consumer = direct_client(RD_KAFKA_CONSUMER, mock.bootstrap(), "bench-direct");
    rd_kafka_poll_set_consumer(consumer.get());
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, "bench", RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(consumer.get(), topics);
    rd_kafka_topic_partition_list_destroy(topics);
    // The first record, outside the timing: the consumer joins its group.
    rd_kafka_message_t* first = rd_kafka_consumer_poll(consumer.get(), 10'000);
    if (first == nullptr) {
        state.SkipWithError("poll timed out");
        return;
    }
    rd_kafka_message_destroy(first);
    Latencies latencies;
    i64 records = 0;
    for (auto _ : state) {
        auto start = Steady::now();
        int got = 0;
        while (got < kRecordsPerBatch) {
            rd_kafka_message_t* message = rd_kafka_consumer_poll(consumer.get(), 10'000);
            if (message == nullptr) {
                state.SkipWithError("poll timed out");
                return;
            }
            if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                benchmark::DoNotOptimize(message->payload);
                ++got;
            }
            rd_kafka_message_destroy(message);
        }
        // As the kernel does: commit after the batch is handled.
        rd_kafka_commit(consumer.get(), nullptr, 0);
        latencies.add(Steady::now() - start);
        records += got;
    }
    rd_kafka_consumer_close(consumer.get());
    state.SetItemsProcessed(records);
    latencies.report(state);
}
BENCHMARK(BM_Kafka_Consume_Librdkafka)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond)
    ->Iterations(kConsumeBatches);

}  // namespace
}  // namespace esta::drivers
