// Driver calls as a module makes them (issue #8, "Performance"): a wasm guest loops over
// `call` on a key-value handle, through the kernel's capability checks and the
// KernelDriverBridge to a driver, and the same operations are made directly with the client
// library in the same run. Also PostgreSQL insert+select through the SQL driver vs libpq
// with a prepared statement, and Kafka produce (acks=all, each waited for) and consume on
// librdkafka's mock cluster (3 brokers) through the topic driver vs librdkafka directly. Redis and
// PostgreSQL need `scripts/services start`; the guest needs clang-14 for wasm32. Each benchmark
// reports items/s where an item is one SET+GET pair (or one insert+select pair), so the ratio reads
// across the rows.
#include <benchmark/benchmark.h>
#include <hiredis/hiredis.h>
#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "drivers/embedded/memory_kv.h"
#include "drivers/guarded_driver.h"
#include "drivers/host/abi_codec.h"
#include "drivers/host/supervised_driver.h"
#include "drivers/kafka/kafka_topics.h"
#include "drivers/kernel_bridge/driver_bridge.h"
#include "drivers/postgres/pg_sql.h"
#include "drivers/redis/redis_kv.h"
#include "kernel/scheduler.h"
#include "kernel/syscalls/syscalls.h"
#include "kernel/test_support.h"

namespace esta::drivers {
namespace {

constexpr int kPairsPerRun = 1000;

protocol::SystemClock g_clock;
ThreadSleeper g_sleeper;

// SET "key" "value" then GET "key", kPairsPerRun times, then exit(0); exit(1/2) on a failure.
constexpr const char* kLoopGuest = R"(#include "estalogic.h"
static unsigned char set_req[32];
static unsigned char get_req[16];
static unsigned char resp[64];
static esta_u32 put_blob(unsigned char* p, int tag, const char* s, esta_u32 n) {
    p[0] = (unsigned char)tag; p[1] = (unsigned char)n; p[2] = 0; p[3] = 0; p[4] = 0;
    for (esta_u32 i = 0; i < n; ++i) p[5 + i] = (unsigned char)s[i];
    return 5 + n;
}
__attribute__((export_name("_start"))) void start(void) {
    esta_handle kv = esta_cap_lookup("kv", 2);
    esta_u32 sn = 5, gn = 5;
    set_req[0] = ESTA_VALUE_LIST; set_req[1] = 2; set_req[2] = set_req[3] = set_req[4] = 0;
    sn += put_blob(set_req + sn, ESTA_VALUE_TEXT, "key", 3);
    sn += put_blob(set_req + sn, ESTA_VALUE_BYTES, "value", 5);
    get_req[0] = ESTA_VALUE_LIST; get_req[1] = 1; get_req[2] = get_req[3] = get_req[4] = 0;
    gn += put_blob(get_req + gn, ESTA_VALUE_TEXT, "key", 3);
    for (int i = 0; i < PAIRS; ++i) {
        if (esta_call(kv, ESTA_KV_SET, set_req, sn, resp, sizeof resp, 5000) < 0) esta_exit(1);
        if (esta_call(kv, ESTA_KV_GET, get_req, gn, resp, sizeof resp, 5000) < 0) esta_exit(2);
    }
    esta_exit(0);
}
)";

std::shared_ptr<const wasm::CompiledModule> loop_module() {
    static std::shared_ptr<const wasm::CompiledModule> cached;
    static bool tried = false;
    if (tried) return cached;
    tried = true;
    auto dir =
        std::filesystem::temp_directory_path() / ("esta_bench_guest_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "loop.c") << kLoopGuest;
    std::string command =
        "clang-14 --target=wasm32 -nostdlib -O2 -DPAIRS=" + std::to_string(kPairsPerRun) +
        " -Wl,--no-entry -Wl,--allow-undefined -I" ESTA_SOURCE_PATH "/sdk/c " +
        (dir / "loop.c").string() + " -o " + (dir / "loop.wasm").string() + " > /dev/null 2>&1";
    if (std::system(command.c_str()) == 0) {
        std::ifstream file(dir / "loop.wasm", std::ios::binary);
        std::vector<u8> bytes((std::istreambuf_iterator<char>(file)),
                              std::istreambuf_iterator<char>());
        auto module = wasm::compile(ByteSpan(bytes.data(), bytes.size()));
        if (module) cached = *module;
    }
    std::filesystem::remove_all(dir);
    return cached;
}

// Runs the loop guest against `driver` once per iteration. With `executor`, each call runs
// on the executor's thread while the guest is parked, and is delivered when the scheduler
// is idle (as run_until_idle does).
void run_guest_loop(benchmark::State& state, Driver& driver, DriverExecutor* executor = nullptr) {
    auto module = loop_module();
    if (!module) {
        state.SkipWithError("the guest did not compile (clang-14 for wasm32 needed)");
        return;
    }
    kernel::testing::RecordingAudit audit;
    kernel::CapTree tree(audit);
    kernel::ObjectIdAllocator ids;
    kernel::Scheduler scheduler;
    kernel::Syscalls syscalls(tree, g_clock, scheduler);
    kernel::ObjectId port_id = ids.next();
    KernelDriverBridge bridge(driver, Scope{"kv", KvScope{"bench:", kAllKvFamilies, {}}}, port_id,
                              scheduler_time(scheduler), g_clock, executor);
    auto port =
        kernel::DriverPort::create(port_id, kernel::ObjectType::RedisKeyspace, "kv", bridge);
    u32 pid = 1;
    for (auto _ : state) {
        kernel::SpawnRequest request;
        request.module = module;
        request.grants.push_back(
            kernel::Grant{"kv", tree.grant(*port, kernel::Right::Read | kernel::Right::Write, {},
                                           kernel::kKernelProcess, 0)});
        auto process = kernel::Process::spawn(std::move(request), kernel::ProcessId(++pid), ids,
                                              tree, syscalls);
        if (!process || !scheduler.add(*process, g_clock.now_ns())) {
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
    }
    state.SetItemsProcessed(state.iterations() * kPairsPerRun);
}

std::unique_ptr<GuardedDriver> guarded(std::unique_ptr<Driver> driver, DriverKind kind) {
    return std::make_unique<GuardedDriver>(std::move(driver), g_clock, g_sleeper,
                                           default_guard_options(kind));
}

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

void BM_RedisSetGet_GuestCall_InProcess(benchmark::State& state) {
    if (auto driver = started_redis(state)) run_guest_loop(state, *driver);
}
BENCHMARK(BM_RedisSetGet_GuestCall_InProcess)->UseRealTime()->Unit(benchmark::kMillisecond);

// The same, the driver's work on its executor: the guest parks for each call (D-1).
void BM_RedisSetGet_GuestCall_OnExecutor(benchmark::State& state) {
    auto driver = started_redis(state);
    if (!driver) return;
    DriverExecutor executor(1000);
    run_guest_loop(state, *driver, &executor);
}
BENCHMARK(BM_RedisSetGet_GuestCall_OnExecutor)->UseRealTime()->Unit(benchmark::kMillisecond);

// The driver in its own process (`estalogic driver kv --redis-port 6379`), supervised.
void BM_RedisSetGet_GuestCall_OutOfProcess(benchmark::State& state) {
    static const host::AbiValueCodec codec;
    auto dir =
        std::filesystem::temp_directory_path() / ("esta_bench_sock_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    host::DriverProcessConfig config;
    config.program = ESTA_ESTALOGIC_PATH;
    config.args = {"driver", "kv", "--redis-port", "6379"};
    config.socket_path = (dir / "kv.sock").string();
    auto driver = guarded(std::make_unique<host::SupervisedDriver>(DriverKind::KeyValue, config,
                                                                   codec, g_clock, g_sleeper),
                          DriverKind::KeyValue);
    if (!driver->start()) {
        state.SkipWithError("the driver process did not start (is redis-server on 6379 up?)");
    } else {
        run_guest_loop(state, *driver);
    }
    driver.reset();
    std::filesystem::remove_all(dir);
}
BENCHMARK(BM_RedisSetGet_GuestCall_OutOfProcess)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_EmbeddedKvSetGet_GuestCall(benchmark::State& state) {
    auto driver = guarded(std::make_unique<KvDriver>(std::make_unique<MemoryKv>(g_clock),
                                                     std::vector<KvScript>{}, nullptr),
                          DriverKind::KeyValue);
    (void)driver->start();
    run_guest_loop(state, *driver);
}
BENCHMARK(BM_EmbeddedKvSetGet_GuestCall)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_RedisSetGet_HiredisLoop(benchmark::State& state) {
    RedisContextHandle context(redisConnect("127.0.0.1", 6379));
    if (!context || context->err != 0) {
        state.SkipWithError("redis-server on 6379 is not running (scripts/services start)");
        return;
    }
    for (auto _ : state) {
        for (int i = 0; i < kPairsPerRun; ++i) {
            auto* set = static_cast<redisReply*>(
                redisCommand(context.get(), "SET %s %s", "bench:key", "value"));
            auto* get =
                static_cast<redisReply*>(redisCommand(context.get(), "GET %s", "bench:key"));
            benchmark::DoNotOptimize(get);
            freeReplyObject(set);
            freeReplyObject(get);
        }
    }
    state.SetItemsProcessed(state.iterations() * kPairsPerRun);
}
BENCHMARK(BM_RedisSetGet_HiredisLoop)->UseRealTime()->Unit(benchmark::kMillisecond);

// PostgreSQL: one insert (upsert) and one select by key per item, in table bench_<pid>.
std::string pg_conninfo() {
    const char* configured = std::getenv("ESTA_BENCH_PG");
    return configured != nullptr ? configured : "host=/var/run/postgresql dbname=postgres";
}
std::string pg_table() {
    return "esta_bench_" + std::to_string(::getpid());
}

void BM_PostgresInsertSelect_Driver(benchmark::State& state) {
    std::string table = pg_table();
    PgConfig config;
    config.conninfo = pg_conninfo();
    auto sql = std::make_unique<SqlDriver>(
        std::make_unique<PgSql>(
            config, "CREATE TABLE IF NOT EXISTS " + table + " (id bigint primary key, v text)",
            g_clock, g_sleeper),
        std::vector<SqlStatement>{
            {"put",
             "INSERT INTO " + table +
                 " (id, v) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET v = $2",
             {SqlType::Int, SqlType::Text},
             {}},
            {"get", "SELECT v FROM " + table + " WHERE id = $1", {SqlType::Int}, {SqlType::Text}},
            {"drop", "DROP TABLE " + table, {}, {}}},
        nullptr);
    auto driver = guarded(std::move(sql), DriverKind::Sql);
    if (!driver->start()) {
        state.SkipWithError("PostgreSQL is not reachable (scripts/services start)");
        return;
    }
    Scope scope{"db", SqlScope{{"put", "get", "drop"}}};
    i64 id = 0;
    for (auto _ : state) {
        CallContext context{scope, 1, g_clock.now_ns() + 5'000 * kNanosPerMilli, Caller::Module,
                            "bench"};
        ++id;
        auto put =
            driver->call(sql_op::kExec, ValueList{"put", ValueList{id % 1000, "value"}}, context);
        auto got = driver->call(sql_op::kExec, ValueList{"get", ValueList{id % 1000}}, context);
        benchmark::DoNotOptimize(got);
        if (!put || !got) {
            state.SkipWithError("call failed");
            break;
        }
    }
    CallContext context{scope, 1, g_clock.now_ns() + 5'000 * kNanosPerMilli, Caller::Module,
                        "bench"};
    (void)driver->call(sql_op::kExec, ValueList{"drop", ValueList{}}, context);
    driver->stop();
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PostgresInsertSelect_Driver)->UseRealTime();

void BM_PostgresInsertSelect_Libpq(benchmark::State& state) {
    PGconn* connection = PQconnectdb(pg_conninfo().c_str());
    if (PQstatus(connection) != CONNECTION_OK) {
        PQfinish(connection);
        state.SkipWithError("PostgreSQL is not reachable (scripts/services start)");
        return;
    }
    std::string table = pg_table() + "_direct";
    PQclear(PQexec(
        connection,
        ("CREATE TABLE IF NOT EXISTS " + table + " (id bigint primary key, v text)").c_str()));
    PQclear(PQprepare(connection, "put",
                      ("INSERT INTO " + table +
                       " (id, v) VALUES ($1::bigint, $2) ON CONFLICT (id) DO UPDATE SET v = $2")
                          .c_str(),
                      2, nullptr));
    PQclear(PQprepare(connection, "get",
                      ("SELECT v FROM " + table + " WHERE id = $1::bigint").c_str(), 1, nullptr));
    i64 id = 0;
    for (auto _ : state) {
        ++id;
        std::string key = std::to_string(id % 1000);
        const char* put_params[] = {key.c_str(), "value"};
        PGresult* put = PQexecPrepared(connection, "put", 2, put_params, nullptr, nullptr, 0);
        const char* get_params[] = {key.c_str()};
        PGresult* got = PQexecPrepared(connection, "get", 1, get_params, nullptr, nullptr, 0);
        benchmark::DoNotOptimize(PQgetvalue(got, 0, 0));
        PQclear(put);
        PQclear(got);
    }
    PQclear(PQexec(connection, ("DROP TABLE " + table).c_str()));
    PQfinish(connection);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PostgresInsertSelect_Libpq)->UseRealTime();

// librdkafka's mock cluster: three brokers on loopback, alive as long as this object.
class MockCluster {
  public:
    MockCluster() {
        char error[256];
        rd_kafka_conf_t* conf = rd_kafka_conf_new();
        rd_kafka_conf_set(conf, "log_level", "0", error, sizeof error);
        m_owner.reset(rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error));
        if (m_owner) m_cluster = rd_kafka_mock_cluster_new(m_owner.get(), 3);
    }
    ~MockCluster() {
        if (m_cluster != nullptr) rd_kafka_mock_cluster_destroy(m_cluster);
    }
    bool available() const { return m_cluster != nullptr; }
    std::string bootstrap() const { return rd_kafka_mock_cluster_bootstraps(m_cluster); }
    void create_topic(const char* name) { rd_kafka_mock_topic_create(m_cluster, name, 1, 3); }

  private:
    RdKafkaHandle m_owner;
    rd_kafka_mock_cluster_t* m_cluster = nullptr;
};

constexpr int kRecordsPerBatch = 100;
constexpr int kConsumeBatches = 40;

RdKafkaHandle direct_client(rd_kafka_type_t type, const std::string& bootstrap, const char* group) {
    char error[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof error);
    rd_kafka_conf_set(conf, "log_level", "0", error, sizeof error);
    if (type == RD_KAFKA_PRODUCER) {
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

bool produce_direct(rd_kafka_t* producer, const char* topic) {
    static const char kValue[] = "value-of-a-record";
    if (rd_kafka_producev(producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                          RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                          RD_KAFKA_V_VALUE(const_cast<char*>(kValue), sizeof kValue - 1),
                          RD_KAFKA_V_END) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        return false;
    }
    return rd_kafka_flush(producer, 10'000) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

std::unique_ptr<GuardedDriver> kafka_driver(const std::string& bootstrap) {
    KafkaConfig config;
    config.bootstrap = bootstrap;
    config.settings = {{"log_level", "0"}};
    return guarded(
        std::make_unique<TopicDriver>(std::make_unique<KafkaTopics>(config, g_clock), nullptr),
        DriverKind::Topic);
}

void BM_KafkaProduce_Driver(benchmark::State& state) {
    MockCluster mock;
    if (!mock.available()) {
        state.SkipWithError("no mock cluster");
        return;
    }
    mock.create_topic("bench");
    auto driver = kafka_driver(mock.bootstrap());
    if (!driver->start()) {
        state.SkipWithError("driver start failed");
        return;
    }
    Scope scope{"bench", TopicScope{"bench", true, false, ""}};
    for (auto _ : state) {
        CallContext context{scope, 1, g_clock.now_ns() + 10'000 * kNanosPerMilli, Caller::Module,
                            "bench"};
        auto offset = driver->call(
            topic_op::kProduce,
            ValueList{Value(), bytes_value("value-of-a-record"), Value(), i64{0}}, context);
        if (!offset) {
            state.SkipWithError("produce failed");
            break;
        }
    }
    driver->stop();
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KafkaProduce_Driver)->UseRealTime();

void BM_KafkaProduce_Librdkafka(benchmark::State& state) {
    MockCluster mock;
    if (!mock.available()) {
        state.SkipWithError("no mock cluster");
        return;
    }
    mock.create_topic("bench");
    RdKafkaHandle producer = direct_client(RD_KAFKA_PRODUCER, mock.bootstrap(), nullptr);
    for (auto _ : state) {
        if (!produce_direct(producer.get(), "bench")) {
            state.SkipWithError("produce failed");
            break;
        }
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_KafkaProduce_Librdkafka)->UseRealTime();

// Fills "bench" with kConsumeBatches * kRecordsPerBatch records.
bool fill_topic(MockCluster& mock) {
    mock.create_topic("bench");
    RdKafkaHandle producer = direct_client(RD_KAFKA_PRODUCER, mock.bootstrap(), nullptr);
    for (int i = 0; i < kConsumeBatches * kRecordsPerBatch; ++i) {
        static const char kValue[] = "value-of-a-record";
        if (rd_kafka_producev(producer.get(), RD_KAFKA_V_TOPIC("bench"), RD_KAFKA_V_PARTITION(0),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                              RD_KAFKA_V_VALUE(const_cast<char*>(kValue), sizeof kValue - 1),
                              RD_KAFKA_V_END) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            return false;
        }
    }
    return rd_kafka_flush(producer.get(), 30'000) == RD_KAFKA_RESP_ERR_NO_ERROR;
}

// One iteration: kRecordsPerBatch records polled as the kernel would (a group member).
void BM_KafkaConsume_Driver(benchmark::State& state) {
    MockCluster mock;
    if (!mock.available() || !fill_topic(mock)) {
        state.SkipWithError("no mock cluster");
        return;
    }
    auto driver = kafka_driver(mock.bootstrap());
    if (!driver->start()) {
        state.SkipWithError("driver start failed");
        return;
    }
    Scope scope{"bench", TopicScope{"bench", false, true, "bench-driver"}};
    i64 records = 0;
    for (auto _ : state) {
        int got = 0;
        while (got < kRecordsPerBatch) {
            CallContext context{scope, 1, g_clock.now_ns() + 10'000 * kNanosPerMilli,
                                Caller::Kernel, "bench"};
            auto batch =
                driver->call(topic_op::kPoll, ValueList{i64{kRecordsPerBatch - got}}, context);
            if (!batch || batch->get<ValueList>()->empty()) {
                state.SkipWithError("poll failed");
                return;
            }
            got += static_cast<int>(batch->get<ValueList>()->size());
        }
        records += got;
    }
    driver->stop();
    state.SetItemsProcessed(records);
}
BENCHMARK(BM_KafkaConsume_Driver)->UseRealTime()->Iterations(kConsumeBatches);

void BM_KafkaConsume_Librdkafka(benchmark::State& state) {
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
    i64 records = 0;
    for (auto _ : state) {
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
        records += got;
    }
    rd_kafka_consumer_close(consumer.get());
    state.SetItemsProcessed(records);
}
BENCHMARK(BM_KafkaConsume_Librdkafka)->UseRealTime()->Iterations(kConsumeBatches);

}  // namespace
}  // namespace esta::drivers
