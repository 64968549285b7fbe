// `estalogic run` on real services: events from a Kafka topic (librdkafka's mock cluster,
// three brokers, in this process), balances in a private redis-server, decisions in a
// private PostgreSQL database. The decisions stored are the embedded run's on the same
// events; two nodes in one consumer group split the partitions, and when one is killed
// (SIGKILL) the other takes its partitions over and every event is stored exactly once.
#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "kafka_events.h"
#include "kafka_mock.h"
#include "run_harness.h"
#include "services.h"
#include "serving_node.h"
#include "tiny_json.h"
#include "workload.h"

namespace esta::test {
namespace {

using drivers::testing::KafkaMockCluster;
using drivers::testing::PostgresDatabase;
using drivers::testing::RedisServer;

constexpr const char* kTopic = "esta-events";
constexpr const char* kTable = "esta_decisions";

// A node run in the background: `estalogic run MANIFEST --state-dir DIR`.
class BackgroundNode {
  public:
    // `http`: serve /metrics on a port the OS picks (its status file names it).
    BackgroundNode(const fs::path& manifest, const fs::path& dir, bool http = false) : m_dir(dir) {
        fs::create_directories(dir);
        std::string binary = ESTALOGIC;
        std::string manifest_text = manifest.string();
        std::string state = (dir / "state").string();
        std::string out = (dir / "stdout.txt").string();
        std::string err = (dir / "stderr.txt").string();
        m_pid = fork();
        if (m_pid == 0) {
            (void)std::freopen(out.c_str(), "w", stdout);
            (void)std::freopen(err.c_str(), "w", stderr);
            if (http) {
                execl(binary.c_str(), binary.c_str(), "run", manifest_text.c_str(), "--state-dir",
                      state.c_str(), "--http-port", "0", "--quiet", static_cast<char*>(nullptr));
            } else {
                execl(binary.c_str(), binary.c_str(), "run", manifest_text.c_str(), "--state-dir",
                      state.c_str(), "--no-http", "--quiet", static_cast<char*>(nullptr));
            }
            _exit(127);
        }
    }
    ~BackgroundNode() { (void)stop(SIGKILL); }
    BackgroundNode(const BackgroundNode&) = delete;
    BackgroundNode& operator=(const BackgroundNode&) = delete;

    // Sends `signal` and reaps it; the exit code, or -signal when killed.
    int stop(int signal) {
        if (m_pid <= 0) return m_status;
        ::kill(m_pid, signal);
        int status = 0;
        ::waitpid(m_pid, &status, 0);
        m_pid = -1;
        m_status = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
        return m_status;
    }
    bool running() {
        if (m_pid <= 0) return false;
        int status = 0;
        if (::waitpid(m_pid, &status, WNOHANG) == 0) return true;
        m_pid = -1;
        m_status = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
        return false;
    }
    std::string out() const { return read_text(m_dir / "stdout.txt"); }
    std::string err() const { return read_text(m_dir / "stderr.txt"); }
    // Times this node was given partitions (its stderr says so each time).
    std::size_t assignments() const {
        std::string text = err();
        std::size_t n = 0;
        for (auto at = text.find("kafka: assigned"); at != std::string::npos;
             at = text.find("kafka: assigned", at + 1))
            ++n;
        return n;
    }
    pid_t pid() const { return m_pid; }

  private:
    fs::path m_dir;
    pid_t m_pid = -1;
    int m_status = -1;
};

template <class Condition>
bool eventually(Condition condition, int seconds) {
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (std::chrono::steady_clock::now() < until) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return condition();
}

// Keys in the redis-server matching `pattern`, or -1.
long long redis_keys(int port, const std::string& pattern) {
    redisContext* context = redisConnect("127.0.0.1", port);
    if (context == nullptr || context->err != 0) {
        if (context != nullptr) redisFree(context);
        return -1;
    }
    long long n = 0;
    std::string cursor = "0";
    do {
        auto* reply = static_cast<redisReply*>(
            redisCommand(context, "SCAN %s MATCH %s COUNT 1000", cursor.c_str(), pattern.c_str()));
        if (reply == nullptr || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) {
            if (reply != nullptr) freeReplyObject(reply);
            n = -1;
            break;
        }
        cursor = reply->element[0]->str;
        n += static_cast<long long>(reply->element[1]->elements);
        freeReplyObject(reply);
    } while (cursor != "0");
    redisFree(context);
    return n;
}

class ServicesE2e : public RunE2e {
  protected:
    void SetUp() override {
        RunE2e::SetUp();
        ESTA_NEED_SERVICE(m_redis.start(), "redis-server");
        ESTA_NEED_SERVICE(m_postgres.available(), "PostgreSQL");
        ASSERT_TRUE(m_kafka.available());
    }

    // The example manifest with the services' [drivers], beside a copy of the module.
    fs::path services_manifest() {
        std::string drivers =
            "[drivers]\ndata_dir = \"var/data\"\n\n"
            "[drivers.kv]\nbackend = \"redis\"\nport = " +
            std::to_string(m_redis.port()) +
            "\n\n[drivers.sql]\nbackend = \"postgres\"\nconninfo = \"" + m_postgres.conninfo() +
            "\"\ndecisions_table = \"" + kTable +
            "\"\n\n[drivers.topics]\nbackend = \"kafka\"\nbootstrap = \"" + m_kafka.bootstrap() +
            "\"\ninput = \"" + kTopic +
            "\"\ngroup = \"esta-accrual\"\nsession_timeout_ms = 4000\n"
            "\n[drivers.topics.settings]\n\"heartbeat.interval.ms\" = \"500\"\n";
        fs::path path = manifest_variant(
            "[drivers]\ndata_dir = \"var/data\"  # embedded drivers' files, the node journal and "
            "the sinks\n",
            drivers);
        fs::rename(path, m_dir / "app-services.toml");
        return m_dir / "app-services.toml";
    }

    u64 stored() const {
        std::string count = m_postgres.query(std::string("SELECT count(*) FROM ") + kTable);
        return count.empty() ? 0 : std::stoull(count);
    }

    // Every stored decision, by idempotency key.
    std::map<std::string, std::string> stored_decisions() const {
        return esta::test::stored_decisions(m_postgres.conninfo(), kTable);
    }
    // The events among `ids` whose stored decision is not the embedded run's.
    std::vector<std::string> differences(const std::vector<std::string>& events,
                                         const std::vector<std::string>& ids) {
        return esta::test::differences(embedded_decisions(m_dir, example(), events),
                                       stored_decisions(), ids);
    }

    RedisServer m_redis;
    PostgresDatabase m_postgres;
    KafkaMockCluster m_kafka;
};

TEST_F(ServicesE2e, D3_RunConsumesKafkaDecidesIntoPostgresLikeTheEmbeddedRun) {
    std::vector<std::string> events = workload_lines(5, 3000, 12);
    m_kafka.create_topic(kTopic, 4);
    ASSERT_TRUE(produce(m_kafka.bootstrap(), kTopic, events, 0, events.size()));

    BackgroundNode node(services_manifest(), m_dir / "node", true);
    auto began = std::chrono::steady_clock::now();
    const std::size_t expected = distinct(events, events.size());
    bool all = eventually([&] { return stored() >= expected || !node.running(); }, 60);
    std::printf("stored %zu decisions in %.2f s\n", expected,
                std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count());
    // O-5 on /metrics: the decisions table's circuit, closed, and the consumer's lag, which
    // reaches 0 once every record is read.
    const int metrics_port = metrics_port_in(m_dir / "node" / "state" / "data");
    std::string metrics;
    const bool caught_up = eventually(
        [&] {
            metrics = request(metrics_port, "GET", "/metrics", "").body;
            return metrics.find(
                       "esta_drivers_kafka_consumer_lag_records{topic=\"esta-events\"} "
                       "0\n") != std::string::npos;
        },
        30);
    EXPECT_TRUE(caught_up) << "metrics port " << metrics_port << "\n" << metrics;
    EXPECT_NE(metrics.find("esta_drivers_circuit_state{driver=\"decisions\"} 0\n"),
              std::string::npos)
        << metrics;
    int exit = node.stop(SIGTERM);
    ASSERT_TRUE(all) << "stored " << stored() << " of " << expected << "\n" << node.err();
    EXPECT_EQ(exit, 130) << node.out() << node.err();
    EXPECT_EQ(stored(), expected);
    EXPECT_NE(node.out().find("kafka       topic esta-events: 3000 records consumed"),
              std::string::npos)
        << node.out();

    auto different = differences(events, ids_of(events, 0, events.size()));
    EXPECT_TRUE(different.empty()) << different.size() << " differ, first: " << different.front();

    // The balances live in Redis under the accrual grant's prefix; beside them only the
    // node's done record of each decision.
    long long prefixed = redis_keys(m_redis.port(), "esta/accrual/*");
    long long done = redis_keys(m_redis.port(),
                                "estalogic\x1f"
                                "esta-accrual\x1f"
                                "done\x1f*");
    EXPECT_GT(prefixed, 12);
    EXPECT_EQ(done, static_cast<long long>(expected));
    EXPECT_EQ(redis_keys(m_redis.port(), "*"), prefixed + done);
}

// The node starts without Redis reachable: one clear message, exit 65, no hang.
TEST_F(ServicesE2e, D5_RunWithRedisDownSaysSoAndExits) {
    fs::path manifest = services_manifest();
    m_redis.kill();
    Outcome run = estalogic("run " + manifest.string() + " --state-dir " +
                            (m_dir / "state").string() + " --quiet --no-http");
    EXPECT_NE(run.exit, 0);
    EXPECT_NE(run.err.find("the key-value driver did not start"), std::string::npos) << run.err;
}

// Scale-out: two nodes in one consumer group split the partitions; one is killed with
// SIGKILL while it decides, the other takes its partitions over; every event is stored
// exactly once. ESTA_SCALE_OUT_KILLS rounds (default 1; 10 under label slow), each killing
// the node that has decided the longest and starting a fresh one in its place.
TEST_F(ServicesE2e, P4_TwoNodesSplitTheGroupAndAKilledNodesEventsAreStoredOnce) {
    const char* configured = std::getenv("ESTA_SCALE_OUT_KILLS");
    const int kills = configured != nullptr ? std::max(1, std::atoi(configured)) : 1;
    std::vector<std::string> events = workload_lines(7, 1500 * (kills + 2), 40);
    const std::size_t part = events.size() / static_cast<std::size_t>(kills + 2);
    m_kafka.create_topic(kTopic, 6);
    fs::path manifest = services_manifest();

    std::vector<std::unique_ptr<BackgroundNode>> nodes;
    int started = 0;
    auto start_node = [&] {
        nodes.push_back(std::make_unique<BackgroundNode>(
            manifest, m_dir / ("node" + std::to_string(started++))));
        BackgroundNode& node = *nodes.back();
        return eventually([&] { return node.assignments() >= 1 || !node.running(); }, 30) &&
               node.running();
    };
    ASSERT_TRUE(start_node()) << nodes.back()->err();
    ASSERT_TRUE(start_node()) << nodes.back()->err();
    // The first node gave half its partitions away when the second joined.
    ASSERT_TRUE(eventually([&] { return nodes[0]->assignments() >= 2; }, 30)) << nodes[0]->err();

    // Part 0: split between the two.
    ASSERT_TRUE(produce(m_kafka.bootstrap(), kTopic, events, 0, part));
    // What the nodes said, for a failure message (stops them).
    auto report = [&nodes] {
        std::string text;
        for (auto& node : nodes) {
            int exit = node->stop(SIGTERM);
            text += "node exit " + std::to_string(exit) + ":\n" + node->out() + node->err();
        }
        return text;
    };
    ASSERT_TRUE(eventually([&] { return stored() >= distinct(events, part); }, 60))
        << stored() << report();
    EXPECT_EQ(m_postgres.query(std::string("SELECT count(DISTINCT stored_by) FROM ") + kTable),
              "2");

    std::size_t produced = part;
    for (int round = 1; round <= kills; ++round) {
        std::size_t before = stored();
        ASSERT_TRUE(produce(m_kafka.bootstrap(), kTopic, events, produced, produced + part));
        produced += part;
        // Killed while it decides (or just after: its partitions move either way).
        eventually([&] { return stored() >= before + part / 10; }, 30);
        EXPECT_EQ(nodes.front()->stop(SIGKILL), -SIGKILL);
        nodes.erase(nodes.begin());
        // The survivor takes the dead node's partitions over after the session timeout.
        ASSERT_TRUE(eventually([&] { return stored() >= distinct(events, produced); }, 60))
            << "stored " << stored() << " of " << distinct(events, produced) << "\n"
            << report();
        if (round < kills) {
            ASSERT_TRUE(start_node()) << nodes.back()->err();
        }
    }
    // The rest goes to the survivor alone, which owns every partition now.
    ASSERT_TRUE(produce(m_kafka.bootstrap(), kTopic, events, produced, events.size()));
    const std::size_t all = distinct(events, events.size());
    ASSERT_TRUE(eventually([&] { return stored() >= all; }, 60))
        << "stored " << stored() << " of " << all << "\n"
        << report();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // Nothing more arrives.
    for (auto& node : nodes) {
        EXPECT_EQ(node->stop(SIGTERM), 130) << node->err();
        std::string out = node->out();
        auto line = out.find("  kafka ");
        if (line != std::string::npos)  // What the survivor found stored or recovered.
            std::printf("survivor:%s",
                        out.substr(line + 7, out.find('\n', line) - line - 6).c_str());
    }

    // Exactly once: one row per event, keyed by its id.
    EXPECT_EQ(stored(), all);
    auto rows = stored_decisions();
    for (const auto& id : ids_of(events, 0, events.size()))
        EXPECT_EQ(rows.count(id), 1u) << id;
    // Every decision is the embedded run's, those after the kill too: a batch's balances
    // reach Redis together with its done records or not at all, so no event is applied
    // twice and none is lost.
    auto different = differences(events, ids_of(events, 0, events.size()));
    EXPECT_TRUE(different.empty()) << different.size() << " differ, first: " << different.front();
    std::printf("scale-out: %d kill(s), %zu events, every decision the embedded run's: %s\n", kills,
                events.size(), different.empty() ? "yes" : "no");
}

}  // namespace
}  // namespace esta::test
