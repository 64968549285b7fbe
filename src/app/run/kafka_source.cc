#include "app/run/kafka_source.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include <unistd.h>

#include "app/run/kafka_consumer.h"
#include "app/run/node_observe.h"
#include "app/run/pg_decisions.h"
#include "app/run/staged_kv.h"
#include "drivers/kafka/kafka_topics.h"

namespace esta::app::run {

namespace {

constexpr std::size_t kBatch = 500;
constexpr int kPollMs = 100;
constexpr u64 kFinishMs = 60'000;   // An event in flight when partitions go or the node stops.
constexpr int kStoreRetryMs = 500;  // PostgreSQL unreachable: try the batch again.
constexpr int kCloseRetries = 20;   // At the end: then give up (the records come again).

// One consumed record on its way: submitted to the node (answer), or found stored already.
struct InFlight {
    i32 partition = 0;
    i64 offset = 0;
    std::string key;
    std::shared_ptr<Answer> answer;  // Null: not decided here (see below).
    // Its decision, found in a done record of the staged store (a node died after writing
    // the batch's state, before storing it in PostgreSQL): stored as it is.
    std::optional<std::string> recovered;
    bool owns_key = false;  // In keys_in_flight until committed.
};

drivers::CircuitState to_circuit(u8 value) {
    return static_cast<drivers::CircuitState>(value);
}

}  // namespace

struct KafkaSource::State {
    State(Node& n, const protocol::Clock& c) : node(n), clock(c) {}

    Node& node;
    const protocol::Clock& clock;
    std::string topic;
    std::unique_ptr<PgDecisions> store;
    StagedKv* staged = nullptr;  // The node's key-value store.
    drivers::RdKafkaHandle consumer;
    std::deque<InFlight> in_flight;
    std::set<std::string> keys_in_flight;  // A repeated id is decided once (P-5).
    Result<void> failure = {};  // What ended run() early (inside a rebalance callback too).
    const std::function<bool()>* stop = nullptr;

    std::atomic<u64> consumed{0};
    std::atomic<u64> stored{0};
    std::atomic<u64> redelivered{0};
    std::atomic<u64> recovered{0};
    std::atomic<u64> failed{0};
    std::atomic<u64> commits{0};
    std::atomic<u64> commit_failures{0};
    std::atomic<u64> rebalances{0};
    // For /metrics, which may be scraped after this source is gone.
    std::shared_ptr<SourceReadings> readings = std::make_shared<SourceReadings>();
    void publish() {
        readings->store_circuit.store(static_cast<u8>(store->circuit_state()));
        readings->lag.store(consumer_lag(consumer.get()));
    }

    static void on_rebalance(rd_kafka_t* handle, rd_kafka_resp_err_t error,
                             rd_kafka_topic_partition_list_t* partitions, void* opaque);
    bool stopping() const { return stop != nullptr && (*stop)(); }
    Result<void> take(std::vector<MessageHandle> batch);
    Result<void> finish();
    template <class Step>
    Result<void> retry(const char* what, std::size_t count, Step&& step);
    void commit(std::size_t count);
};

void KafkaSource::State::on_rebalance(rd_kafka_t* handle, rd_kafka_resp_err_t error,
                                      rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    auto* self = static_cast<State*>(opaque);
    self->rebalances.fetch_add(1, std::memory_order_relaxed);
    // Partitions are going: what was consumed from them is decided, stored and committed
    // first, so the next owner starts after it.
    run::rebalance(handle, error, partitions, self->topic, [self] {
        auto finished = self->finish();
        if (!finished && self->failure) self->failure = finished;
    });
}

// Submits a polled batch: records whose decision is stored already are passed through.
Result<void> KafkaSource::State::take(std::vector<MessageHandle> batch) {
    std::vector<std::string> keys;
    for (const auto& message : batch) {
        std::string_view line(static_cast<const char*>(message->payload), message->len);
        keys.push_back(idempotency_key(line, topic, message->partition, message->offset));
    }
    auto known = store->decided(keys);
    while (!known) {
        if (stopping()) return known.error();
        std::this_thread::sleep_for(std::chrono::milliseconds(kStoreRetryMs));
        known = store->decided(keys);
    }
    std::vector<std::string> unknown;
    for (const auto& key : keys)
        if (known->count(key) == 0) unknown.push_back(key);
    auto done = staged->done(unknown);
    while (!done) {
        if (stopping()) return done.error();
        std::this_thread::sleep_for(std::chrono::milliseconds(kStoreRetryMs));
        done = staged->done(unknown);
    }
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const auto& message = batch[i];
        InFlight item{message->partition, message->offset, std::move(keys[i]), nullptr, {}, false};
        consumed.fetch_add(1, std::memory_order_relaxed);
        auto found = done->find(item.key);
        if (known->count(item.key) != 0 || keys_in_flight.count(item.key) != 0) {
            redelivered.fetch_add(1, std::memory_order_relaxed);
        } else if (found != done->end()) {
            recovered.fetch_add(1, std::memory_order_relaxed);
            item.recovered = found->second;
            item.owns_key = keys_in_flight.insert(item.key).second;
        } else if (message->payload != nullptr && message->len != 0) {
            item.answer = std::make_shared<Answer>();
            item.owns_key = keys_in_flight.insert(item.key).second;
            std::string_view line(static_cast<const char*>(message->payload), message->len);
            ESTA_TRY(node.submit(line, item.answer));
        }
        in_flight.push_back(std::move(item));
    }
    return {};
}

// Runs `step` until it succeeds; gives up when the node stops (then nothing more of the
// batch happens, and its records are consumed again).
template <class Step>
Result<void> KafkaSource::State::retry(const char* what, std::size_t count, Step&& step) {
    auto outcome = step();
    for (int attempt = 0; !outcome; ++attempt) {
        if (stopping() && attempt >= kCloseRetries) return outcome.error();
        if (attempt == 0) {
            std::fprintf(stderr,
                         "warning: %s for %zu events failed (%s); retrying, nothing is "
                         "committed meanwhile\n",
                         what, count, outcome.error().to_string().c_str());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(kStoreRetryMs));
        outcome = step();
    }
    return {};
}

// The first `count` records in flight are stored: their partitions resume after them.
void KafkaSource::State::commit(std::size_t count) {
    std::map<i32, i64> next;
    for (std::size_t i = 0; i < count; ++i)
        next[in_flight[i].partition] =
            std::max(next[in_flight[i].partition], in_flight[i].offset + 1);
    if (commit_offsets(consumer.get(), topic, next)) {
        commits.fetch_add(1, std::memory_order_relaxed);
    } else {
        commit_failures.fetch_add(1, std::memory_order_relaxed);
    }
    for (std::size_t i = 0; i < count; ++i)
        if (in_flight[i].owns_key) keys_in_flight.erase(in_flight[i].key);
    in_flight.erase(in_flight.begin(), in_flight.begin() + static_cast<std::ptrdiff_t>(count));
}

// Waits until every record in flight is decided, then writes the batch's balances and done
// records to the key-value store in one transaction, stores the decisions in PostgreSQL,
// and commits the offsets: in that order, so whatever step a crash interrupts, the next
// owner of the partitions decides each event once on the balances it started from.
Result<void> KafkaSource::State::finish() {
    // Writes of ingress calls between batches are not kept waiting for the next one.
    if (in_flight.empty()) return staged->flush({});
    std::vector<DecisionRow> rows;
    std::vector<std::pair<std::string, std::string>> done;
    for (const auto& item : in_flight) {
        if (item.recovered) {
            rows.push_back(
                DecisionRow{item.key, topic, item.partition, item.offset, *item.recovered});
        } else if (item.answer) {
            auto line = item.answer->wait(kFinishMs);
            if (!line && line.error().code == Status::Timeout)
                return Err(Status::Timeout, "run.event_not_decided");
            if (line) {
                rows.push_back(DecisionRow{item.key, topic, item.partition, item.offset, *line});
                done.emplace_back(item.key, *line);
            } else {
                failed.fetch_add(1, std::memory_order_relaxed);
            }
        }
    }
    ESTA_TRY(retry("writing the balances and decisions to the key-value store", done.size(),
                   [&] { return staged->flush(done); }));
    ESTA_TRY(retry("storing the decisions in PostgreSQL", rows.size(), [&]() -> Result<void> {
        auto written = store->write(rows);
        if (!written) return written.error();
        stored.fetch_add(*written, std::memory_order_relaxed);
        return {};
    }));
    commit(in_flight.size());
    return {};
}

KafkaSource::KafkaSource(std::unique_ptr<State> state) : m_state(std::move(state)) {}

KafkaSource::~KafkaSource() {
    if (m_state->consumer) rd_kafka_consumer_close(m_state->consumer.get());
}

Result<std::unique_ptr<KafkaSource>> KafkaSource::open(const manifest::AppManifest& manifest,
                                                       Node& node, const protocol::Clock& clock) {
    const auto& drivers = manifest.drivers;
    auto state = std::make_unique<State>(node, clock);
    state->topic = drivers.topics.input;
    state->staged = node.staged_state();
    if (state->staged == nullptr) return Err(Status::NotSupported, "run.kafka_needs_staged_kv");
    char host[256] = {};
    (void)gethostname(host, sizeof host - 1);
    state->store =
        ESTA_TRY(PgDecisions::open(drivers.sql.postgres, drivers.sql.decisions_table,
                                   std::string(host) + "/" + std::to_string(getpid()), clock));
    state->consumer = ESTA_TRY(join_group(manifest, &State::on_rebalance, state.get()));
    std::shared_ptr<const SourceReadings> readings = state->readings;
    node.observability().watch_circuit(
        "decisions", [readings] { return to_circuit(readings->store_circuit.load()); });
    node.observability().feeds().add_consumer_lag(
        state->topic, [readings] { return static_cast<f64>(readings->lag.load()); });
    return std::unique_ptr<KafkaSource>(new KafkaSource(std::move(state)));
}

Result<void> KafkaSource::run(const std::function<bool()>& stop) {
    State& s = *m_state;
    s.stop = &stop;
    while (!stop() && s.failure) {
        std::vector<MessageHandle> batch;
        while (batch.size() < kBatch) {
            MessageHandle message(
                rd_kafka_consumer_poll(s.consumer.get(), batch.empty() ? kPollMs : 0));
            if (!message) break;
            if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                batch.push_back(std::move(message));
            } else if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                std::fprintf(stderr, "warning: kafka: %s\n",
                             rd_kafka_message_errstr(message.get()));
            }
        }
        if (!batch.empty()) {
            auto taken = s.take(std::move(batch));
            if (!taken) {
                s.failure = taken;
                break;
            }
        }
        auto finished = s.finish();
        if (!finished && s.failure) s.failure = finished;
        s.publish();
    }
    auto finished = s.finish();
    if (!finished && s.failure) s.failure = finished;
    // Leaving the group revokes the partitions (nothing is in flight by now).
    rd_kafka_consumer_close(s.consumer.get());
    s.consumer.reset();
    s.stop = nullptr;
    return s.failure;
}

ConsumeStats KafkaSource::stats() const {
    const State& s = *m_state;
    ConsumeStats stats;
    stats.consumed = s.consumed.load();
    stats.stored = s.stored.load();
    stats.redelivered = s.redelivered.load();
    stats.recovered = s.recovered.load();
    stats.failed = s.failed.load();
    stats.commits = s.commits.load();
    stats.commit_failures = s.commit_failures.load();
    stats.rebalances = s.rebalances.load();
    stats.lag = s.readings->lag.load();
    stats.store_circuit = to_circuit(s.readings->store_circuit.load());
    return stats;
}

std::shared_ptr<const SourceReadings> KafkaSource::readings() const {
    return m_state->readings;
}

Result<void> consume_events(const manifest::AppManifest& manifest, Node& node,
                            const std::function<bool()>& stop, std::string& report) {
    protocol::SystemClock clock;
    auto source = KafkaSource::open(manifest, node, clock);
    if (!source) {
        report = "not started: " + source.error().to_string();
        return source.error();
    }
    auto ran = (*source)->run(stop);
    ConsumeStats stats = (*source)->stats();
    report = "topic " + manifest.drivers.topics.input + ": " + std::to_string(stats.consumed) +
             " records consumed, " + std::to_string(stats.stored) + " decisions stored in " +
             manifest.drivers.sql.decisions_table + ", " + std::to_string(stats.redelivered) +
             " stored before, " + std::to_string(stats.recovered) +
             " recovered from the key-value store, " + std::to_string(stats.failed) + " failed, " +
             std::to_string(stats.commits) + " commits (" + std::to_string(stats.commit_failures) +
             " failed), " + std::to_string(stats.rebalances) + " rebalances";
    return ran;
}

}  // namespace esta::app::run
