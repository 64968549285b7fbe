// A primary/standby pair consuming a Kafka topic (K-61, K-62): librdkafka's mock cluster in
// this process, the decisions table and the witness's lease in a private PostgreSQL
// database, two `estalogic run --role` processes. Only the leader consumes; a decision
// lands once the standby acknowledged its event, under the lease's epoch; a kill -9 of the
// primary loses no event and applies none twice, and the old primary, restarted, rejoins
// as the standby without consuming or writing.
#include <gtest/gtest.h>

#include "drivers/kafka/kafka_transactions.h"
#include "kafka_events.h"
#include "kafka_mock.h"
#include "role_pair.h"
#include "services.h"

namespace esta::test {
namespace {

using drivers::testing::KafkaMockCluster;
using drivers::testing::PostgresDatabase;

constexpr const char* kTopic = "esta-pair-events";
constexpr const char* kTable = "esta_pair_decisions";
constexpr const char* kGroup = "esta-pair";
constexpr int kPartitions = 4;
constexpr const char* kDecisionsTopic = "esta-pair-decisions";
constexpr int kDecisionsPartitions = 2;
// The pair's transactional.id: one for both nodes, from the app's name.
constexpr const char* kTransactionalId = "estalogic.esta-accrual.decisions";

class RoleKafkaPair : public RolePair {
  protected:
    void SetUp() override {
        RolePair::SetUp();
        ESTA_NEED_SERVICE(m_postgres.available(), "PostgreSQL");
        ASSERT_TRUE(m_kafka.available());
        m_kafka.create_topic(kTopic, kPartitions);
        m_kafka.create_topic(kDecisionsTopic, kDecisionsPartitions);
        m_witness = {"--witness-pg", m_postgres.conninfo()};
        // The embedded key-value store (its snapshot is the pair's checkpoint), decisions in
        // PostgreSQL, events from the mock cluster.
        std::string drivers =
            "[drivers]\ndata_dir = \"var/data\"\n\n[drivers.sql]\nbackend = \"postgres\"\n"
            "conninfo = \"" +
            m_postgres.conninfo() + "\"\ndecisions_table = \"" + kTable +
            "\"\n\n[drivers.topics]\nbackend = \"kafka\"\nbootstrap = \"" + m_kafka.bootstrap() +
            "\"\ninput = \"" + kTopic + "\"\ngroup = \"" + kGroup + "\"\ndecisions = \"" +
            kDecisionsTopic +
            "\"\nsession_timeout_ms = 4000\n"
            "\n[drivers.topics.settings]\n\"heartbeat.interval.ms\" = \"500\"\n";
        m_manifest = manifest_variant(
                         "[drivers]\ndata_dir = \"var/data\"  # embedded drivers' files, the node "
                         "journal and the sinks\n",
                         drivers)
                         .string();
    }

    std::uint64_t stored() const {
        std::string count = m_postgres.query(std::string("SELECT count(*) FROM ") + kTable);
        return count.empty() ? 0 : std::stoull(count);
    }
    // Rows stored by the process `pid` (stored_by is HOST/PID).
    std::uint64_t stored_by(pid_t pid) const {
        std::string count =
            m_postgres.query(std::string("SELECT count(*) FROM ") + kTable +
                             " WHERE stored_by LIKE '%/" + std::to_string(pid) + "'");
        return count.empty() ? 0 : std::stoull(count);
    }
    // Each stored decision is in the decisions topic for read_committed consumers, produced
    // in the transaction that committed its record's offset; the number of keys that came
    // more than once is returned.
    std::size_t expect_each_produced(std::size_t all) {
        auto keys =
            committed_keys(m_kafka.bootstrap(), kDecisionsTopic, kDecisionsPartitions, all, 60);
        EXPECT_EQ(keys.size(), all);
        std::size_t repeated = 0;
        for (const auto& [key, count] : keys)
            repeated += count != 1;
        auto stored = stored_decisions(m_postgres.conninfo(), kTable);
        for (const auto& [key, decision] : stored)
            EXPECT_EQ(keys.count(key), 1u) << key;
        return repeated;
    }
    std::string logs() const {
        return "node0:\n" + read_text(m_dir / "node0.log") + "node1:\n" +
               read_text(m_dir / "node1.log");
    }

    PostgresDatabase m_postgres;
    KafkaMockCluster m_kafka;
};

bool leads_and_consumes(JsonObject& role) {
    return role["role"].text == "primary" && role["kafka_consuming"].text == "1";
}

TEST_F(RoleKafkaPair, K61_APairConsumingKafkaDecidesEachEventOnceAcrossAKillOfThePrimary) {
    // Most events are in the topic before the pair starts, so the kill comes mid-stream.
    std::vector<std::string> events = workload_lines(11, 2400, 20);
    const std::size_t half = events.size() * 3 / 4;
    ASSERT_TRUE(produce(m_kafka.bootstrap(), kTopic, events, 0, half));

    start(0, "primary", std::vector<std::string>{});
    JsonObject first = role_when(m_slots[0].state, leads_and_consumes, std::chrono::seconds(30));
    ASSERT_TRUE(leads_and_consumes(first)) << logs();
    start(1, "standby", std::vector<std::string>{});
    // Nothing lands before the standby acknowledged it; then the decisions flow, and the
    // offsets of stored decisions are committed.
    std::int64_t committed = 0;
    ASSERT_TRUE(wait_until(
        [&] {
            committed = committed_records(m_kafka.bootstrap(), kGroup, kTopic, kPartitions);
            return committed > 0;
        },
        std::chrono::seconds(60)))
        << stored() << "\n"
        << logs();
    JsonObject standby = role_of(m_slots[1].state);
    EXPECT_EQ(standby["kafka_consumed"].text, "0") << "a standby consumes nothing";

    const std::uint64_t before_kill = stored();
    // kill -9 while it decides: the standby takes the lease, lands what its journal holds,
    // joins the group and resumes from the committed offsets.
    stop(m_slots[0], SIGKILL);
    JsonObject second = role_when(
        m_slots[1].state,
        [](JsonObject& role) { return leads_and_consumes(role) && role["epoch"].text == "2"; },
        std::chrono::seconds(60));
    ASSERT_TRUE(leads_and_consumes(second)) << logs();
    EXPECT_EQ(m_postgres.query("SELECT epoch FROM esta_leases"), "2");

    // The old primary, restarted, finds epoch 2 granted: it rejoins as the standby.
    start(0, "primary", std::vector<std::string>{});
    const pid_t rejoined = m_slots[0].pid;
    JsonObject back = role_when(
        m_slots[0].state, [](JsonObject& role) { return role["role"].text == "standby"; },
        std::chrono::seconds(30));
    ASSERT_EQ(back["role"].text, "standby") << logs();

    ASSERT_TRUE(produce(m_kafka.bootstrap(), kTopic, events, half, events.size()));
    const std::size_t all = distinct(events, events.size());
    ASSERT_TRUE(wait_until([&] { return stored() >= all; }, std::chrono::seconds(90)))
        << "stored " << stored() << " of " << all << "\n"
        << logs();

    // Every record's offset is committed once its decision is stored.
    EXPECT_TRUE(wait_until(
        [&] {
            return committed_records(m_kafka.bootstrap(), kGroup, kTopic, kPartitions) ==
                   static_cast<std::int64_t>(events.size());
        },
        std::chrono::seconds(30)));
    // Exactly once, and each decision the embedded run's: no event lost, none applied twice
    // to the balances.
    EXPECT_EQ(stored(), all);
    // Against a broker each would come once (the offsets are committed in the transaction
    // with the decisions). librdkafka's mock cluster does not store offsets committed in a
    // transaction (TxnOffsetCommit is answered, not applied), so the node commits them
    // through its consumer after the transaction too: a kill between the two makes the next
    // primary produce that one transaction's decisions again. Printed, not asserted.
    const std::size_t repeated = expect_each_produced(all);
    auto different = differences(embedded_decisions(m_dir, example(), events),
                                 stored_decisions(m_postgres.conninfo(), kTable),
                                 ids_of(events, 0, events.size()));
    EXPECT_TRUE(different.empty()) << different.size() << " differ, first: " << different.front();
    // The rejoined node wrote nothing and consumed nothing.
    EXPECT_EQ(stored_by(rejoined), 0u);
    JsonObject rejoined_role = role_of(m_slots[0].state);
    EXPECT_EQ(rejoined_role["kafka_consumed"].text, "0");
    EXPECT_EQ(rejoined_role["kafka_stored"].text, "0");
    // The fenced sink holds each journal entry once, in order.
    SinkCheck sink = read_sink(m_sink);
    EXPECT_TRUE(std::is_sorted(sink.sequences.begin(), sink.sequences.end()));
    EXPECT_TRUE(std::adjacent_find(sink.sequences.begin(), sink.sequences.end()) ==
                sink.sequences.end());
    EXPECT_TRUE(std::is_sorted(sink.epochs.begin(), sink.epochs.end()));
    // The status file is rewritten about once a second.
    JsonObject leader = role_when(
        m_slots[1].state, [&](JsonObject& role) { return role["kafka_stored"].text != "0"; });
    std::printf(
        "kafka pair: %zu events (%zu decisions produced more than once), %llu stored and "
        "%lld committed when the primary was killed; "
        "the new "
        "primary consumed %s, stored %s, skipped %s (stored or in its journal), landed %s "
        "it had not consumed\n",
        events.size(), repeated, static_cast<unsigned long long>(before_kill),
        static_cast<long long>(committed), leader["kafka_consumed"].text.c_str(),
        leader["kafka_stored"].text.c_str(), leader["kafka_skipped"].text.c_str(),
        leader["kafka_landed_from_journal"].text.c_str());
}

// Kafka fences the pair's producer where its effects land: a producer that registers the
// pair's transactional.id (as a new primary does when it takes over) fences the primary's,
// whose next transaction fails; the primary steps down (exit 75) without landing it, the
// standby takes over, and each decision reaches the decisions topic once. librdkafka
// 2.0's mock cluster does not compare producer epochs, so the answer a broker gives the
// older producer's EndTxn once the intruder registered (PRODUCER_FENCED) is injected; what
// is tested is the node's reaction to it (the mock does not abort the fenced transaction
// either; a broker does).
TEST_F(RoleKafkaPair, K61_AProducerOfThePairsTransactionalIdFencesThePrimaryWhichStepsDown) {
    std::vector<std::string> events = workload_lines(13, 1600, 20);
    const std::size_t half = events.size() / 2;
    ASSERT_TRUE(produce(m_kafka.bootstrap(), kTopic, events, 0, half));
    start(0, "primary", std::vector<std::string>{});
    JsonObject first = role_when(m_slots[0].state, leads_and_consumes, std::chrono::seconds(30));
    ASSERT_TRUE(leads_and_consumes(first)) << logs();
    start(1, "standby", std::vector<std::string>{});
    ASSERT_TRUE(wait_until(
        [&] {
            return committed_records(m_kafka.bootstrap(), kGroup, kTopic, kPartitions) ==
                   static_cast<std::int64_t>(half);
        },
        std::chrono::seconds(60)))
        << logs();

    protocol::SystemClock clock;
    drivers::KafkaConfig config;
    config.bootstrap = m_kafka.bootstrap();
    auto intruder = drivers::KafkaTransactionalProducer::create(config, kTransactionalId, clock);
    ASSERT_TRUE(intruder) << intruder.error().to_string();
    auto registered = (*intruder)->init(clock.now_ns() + 30 * protocol::kNanosPerSecond);
    ASSERT_TRUE(registered) << registered.error().to_string();
    constexpr int16_t kEndTxnApiKey = 26;  // Kafka protocol ApiKey of EndTxn.
    rd_kafka_mock_push_request_errors(m_kafka.cluster(), kEndTxnApiKey, 1,
                                      RD_KAFKA_RESP_ERR_PRODUCER_FENCED);

    // The primary's next transaction (the rest of the events) is refused: it steps down.
    ASSERT_TRUE(produce(m_kafka.bootstrap(), kTopic, events, half, events.size()));
    int status = 0;
    const pid_t primary = m_slots[0].pid;
    ASSERT_TRUE(wait_until([&] { return ::waitpid(primary, &status, WNOHANG) == primary; },
                           std::chrono::seconds(60)))
        << logs();
    m_slots[0].pid = -1;
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 75) << status << "\n" << logs();
    EXPECT_NE(read_text(m_dir / "node0.log").find("kafka: fenced"), std::string::npos) << logs();

    // The standby takes the freed lease; its producer's registration fences the intruder.
    JsonObject second = role_when(
        m_slots[1].state,
        [](JsonObject& role) { return leads_and_consumes(role) && role["epoch"].text == "2"; },
        std::chrono::seconds(60));
    ASSERT_TRUE(leads_and_consumes(second)) << logs();
    start(0, "primary", std::vector<std::string>{});  // Rejoins as the standby.
    const std::size_t all = distinct(events, events.size());
    ASSERT_TRUE(wait_until([&] { return stored() >= all; }, std::chrono::seconds(90)))
        << "stored " << stored() << " of " << all << "\n"
        << logs();
    EXPECT_EQ(stored(), all);
    // A broker aborts the fenced producer's open transaction when the id is registered
    // again, so each decision would come once. The mock cluster leaves that transaction's
    // records readable (it keeps no producer epochs): at most that one transaction, one
    // window of events (4 x --window), comes twice.
    const std::size_t repeated = expect_each_produced(all);
    EXPECT_LE(repeated, 1024u);
    std::printf(
        "fenced primary: exit 75; %zu decisions of its fenced transaction readable "
        "twice on the mock cluster\n",
        repeated);
}

}  // namespace
}  // namespace esta::test
