// What the end-to-end tests that consume from Kafka share (services_e2e_test.cc,
// role_kafka_e2e_test.cc): workload events produced to a topic of the mock cluster, the
// decisions stored in PostgreSQL, and the embedded run's decisions to compare them with.
#pragma once

#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "run_harness.h"
#include "tiny_json.h"
#include "workload.h"

namespace esta::test {

// Events over `employers` employers (every kind, invalid ones too), ids unique.
inline std::vector<std::string> workload_lines(std::uint64_t seed, std::int64_t count,
                                               int employers) {
    workload::Options options;
    options.seed = seed;
    options.events = count;
    options.employers = employers;
    std::vector<std::string> events;
    workload::generate(options, [&](std::string_view line) { events.emplace_back(line); });
    return events;
}

// Produces `events[first, last)` to `topic` keyed by employer, so one employer's events keep
// their order in one partition. True when every one is acknowledged.
inline bool produce(const std::string& bootstrap, const char* topic,
                    const std::vector<std::string>& events, std::size_t first, std::size_t last) {
    char error[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof error);
    rd_kafka_conf_set(conf, "acks", "all", error, sizeof error);
    rd_kafka_t* producer = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
    if (producer == nullptr) return false;
    bool queued = true;
    for (std::size_t i = first; i < last && queued; ++i) {
        std::string employer = parse_flat_json(events[i])["employer"].text;
        rd_kafka_resp_err_t result;
        do {
            result = rd_kafka_producev(
                producer, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_KEY(employer.data(), employer.size()),
                RD_KAFKA_V_VALUE(const_cast<char*>(events[i].data()), events[i].size()),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            if (result == RD_KAFKA_RESP_ERR__QUEUE_FULL) rd_kafka_poll(producer, 10);
        } while (result == RD_KAFKA_RESP_ERR__QUEUE_FULL);
        queued = result == RD_KAFKA_RESP_ERR_NO_ERROR;
    }
    bool flushed = rd_kafka_flush(producer, 30'000) == RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_destroy(producer);
    return queued && flushed;
}

// The records of `topic` (partitions 0..partitions-1) that `group` committed, summed over
// the partitions (a partition without a commit counts 0); -1 when the cluster did not answer.
inline std::int64_t committed_records(const std::string& bootstrap, const std::string& group,
                                      const char* topic, int partitions) {
    char error[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof error);
    rd_kafka_conf_set(conf, "group.id", group.c_str(), error, sizeof error);
    rd_kafka_t* reader = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
    if (reader == nullptr) return -1;
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
    for (int i = 0; i < partitions; ++i)
        rd_kafka_topic_partition_list_add(list, topic, i);
    std::int64_t sum = -1;
    if (rd_kafka_committed(reader, list, 10'000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        sum = 0;
        for (int i = 0; i < list->cnt; ++i)
            if (list->elems[i].offset >= 0) sum += list->elems[i].offset;
    }
    rd_kafka_topic_partition_list_destroy(list);
    rd_kafka_destroy(reader);
    return sum;
}

// The keys of the records a read_committed consumer reads from `topic` (`partitions`
// partitions, from their start) once `expected` distinct keys arrived and every partition
// was read to its end, or `seconds` passed, with how many times each came.
inline std::map<std::string, int> committed_keys(const std::string& bootstrap, const char* topic,
                                                 int partitions, std::size_t expected,
                                                 int seconds) {
    char error[256];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap.c_str(), error, sizeof error);
    rd_kafka_conf_set(conf, "group.id", "esta-test-reader", error, sizeof error);
    rd_kafka_conf_set(conf, "isolation.level", "read_committed", error, sizeof error);
    rd_kafka_conf_set(conf, "auto.offset.reset", "earliest", error, sizeof error);
    rd_kafka_conf_set(conf, "enable.auto.commit", "false", error, sizeof error);
    rd_kafka_conf_set(conf, "enable.partition.eof", "true", error, sizeof error);
    std::map<std::string, int> keys;
    rd_kafka_t* reader = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
    if (reader == nullptr) return keys;
    rd_kafka_poll_set_consumer(reader);
    rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(list, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(reader, list);
    rd_kafka_topic_partition_list_destroy(list);
    std::set<std::int32_t> at_end;
    auto until = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    while (!(keys.size() >= expected && static_cast<int>(at_end.size()) == partitions) &&
           std::chrono::steady_clock::now() < until) {
        rd_kafka_message_t* message = rd_kafka_consumer_poll(reader, 100);
        if (message == nullptr) continue;
        if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
            ++keys[std::string(static_cast<const char*>(message->key), message->key_len)];
            at_end.erase(message->partition);
        } else if (message->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            at_end.insert(message->partition);
        }
        rd_kafka_message_destroy(message);
    }
    rd_kafka_consumer_close(reader);
    rd_kafka_destroy(reader);
    return keys;
}

// The distinct event ids of `events[first, last)`, in order.
inline std::vector<std::string> ids_of(const std::vector<std::string>& events, std::size_t first,
                                       std::size_t last) {
    std::vector<std::string> ids;
    std::set<std::string> seen;
    for (std::size_t i = first; i < last; ++i) {
        std::string id = parse_flat_json(events[i])["id"].text;
        if (seen.insert(id).second) ids.push_back(id);
    }
    return ids;
}

// How many decisions are stored once `events[0, last)` are: one per distinct id.
inline std::size_t distinct(const std::vector<std::string>& events, std::size_t last) {
    return ids_of(events, 0, last).size();
}

// Every decision stored in `table`, by idempotency key (one query).
inline std::map<std::string, std::string> stored_decisions(const std::string& conninfo,
                                                           const std::string& table) {
    std::map<std::string, std::string> rows;
    PGconn* connection = PQconnectdb(conninfo.c_str());
    PGresult* result =
        PQexec(connection, ("SELECT idempotency_key, decision FROM " + table).c_str());
    if (PQresultStatus(result) == PGRES_TUPLES_OK) {
        for (int row = 0; row < PQntuples(result); ++row)
            rows[PQgetvalue(result, row, 0)] = PQgetvalue(result, row, 1);
    }
    PQclear(result);
    PQfinish(connection);
    return rows;
}

// The embedded run's decisions on `events` (run in `dir`), by event id: the first for a
// repeated id (the workload sends some hires twice; a stored decision is never made again).
inline std::map<std::string, std::string> embedded_decisions(
    const fs::path& dir, const std::string& manifest, const std::vector<std::string>& events) {
    fs::path file = dir / "embedded-events.jsonl";
    {
        std::ofstream out(file, std::ios::binary);
        for (const auto& line : events)
            out << line << '\n';
    }
    fs::path state = dir / "embedded";
    std::string command = std::string(ESTALOGIC) + " run " + manifest + " --events " +
                          file.string() + " --state-dir " + state.string() +
                          " --quiet --no-http >" + (dir / "embedded.out").string() + " 2>&1";
    EXPECT_EQ(std::system(command.c_str()), 0) << read_text(dir / "embedded.out");
    std::map<std::string, std::string> decisions;
    for (const auto& line : read_lines(state / "data" / "decisions.jsonl"))
        decisions.emplace(parse_flat_json(line)["event"].text, line);  // The first.
    return decisions;
}

// The events among `ids` whose stored decision is not `expected`'s (with both texts).
inline std::vector<std::string> differences(const std::map<std::string, std::string>& expected,
                                            const std::map<std::string, std::string>& stored,
                                            const std::vector<std::string>& ids) {
    std::vector<std::string> found;
    for (const auto& id : ids) {
        auto have = stored.find(id);
        auto want = expected.find(id);
        if (have == stored.end() || want == expected.end() || have->second != want->second)
            found.push_back(id + ": stored " + (have == stored.end() ? "(none)" : have->second) +
                            "\n  embedded " + (want == expected.end() ? "(none)" : want->second));
    }
    return found;
}

}  // namespace esta::test
