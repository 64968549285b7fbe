#include "app/run/role_kafka.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <deque>
#include <map>
#include <set>
#include <thread>

#include "app/run/kafka_consumer.h"
#include "app/run/pg_decisions.h"
#include "drivers/kafka/kafka_transactions.h"

namespace esta::app::run {

namespace {

constexpr std::size_t kBatch = 500;
constexpr int kPollMs = 10;  // Short: the role's heartbeats go out between polls.
constexpr auto kIdlePause = std::chrono::microseconds(200);
constexpr auto kCommitEvery = std::chrono::milliseconds(100);
constexpr i64 kTransactionNs = 30'000'000'000;  // A transaction's steps, at most.

// A polled record not admitted yet.
struct Polled {
    RoleEvent event;
    std::string key;
};

}  // namespace

struct RoleKafka::State {
    State(const manifest::AppManifest& m, NodeRole& r) : manifest(m), role(r) {}

    const manifest::AppManifest& manifest;
    NodeRole& role;
    protocol::SystemClock clock;
    std::string topic;
    std::string process;
    u32 message_type = 0x0010;
    std::unique_ptr<PgDecisions> store;
    drivers::RdKafkaHandle consumer;
    // Per partition, the offsets read and not committed: true once landed (or skipped).
    std::map<i32, std::map<i64, bool>> outstanding;
    std::vector<Polled> unchecked;  // Polled; not yet looked up in the decisions table.
    std::deque<Polled> backlog;     // To admit, in order.
    std::set<std::string> queued;   // The backlog's keys.
    std::chrono::steady_clock::time_point last_commit;
    // With a decisions topic: the pair's transactional producer (one transactional.id for
    // both nodes, so the leader's init() fences the other's), and the offsets the group had
    // committed when this node took over, per partition, asked once: a decision of an
    // earlier primary's record below them was produced in that primary's transaction.
    std::string output;
    std::string group;
    std::unique_ptr<drivers::KafkaTransactionalProducer> producer;
    std::map<i32, i64> committed_before;
    Result<void> failure = {};  // A fenced producer (from a commit in a rebalance too).

    u64 consumed = 0;
    u64 stored = 0;
    u64 skipped = 0;       // Stored already, or in the journal already.
    u64 failed = 0;        // The handler failed the event: committed, nothing stored.
    u64 landed_other = 0;  // Landed here from a journal an earlier primary consumed.
    u64 commits = 0;
    u64 commit_failures = 0;
    u64 lookup_failures = 0;
    u64 rebalances = 0;
    u64 produced = 0;
    u64 transactions = 0;
    u64 transaction_failures = 0;
    u64 fenced = 0;

    static void on_rebalance(rd_kafka_t* handle, rd_kafka_resp_err_t error,
                             rd_kafka_topic_partition_list_t* partitions, void* opaque);
    void poll();
    void check();
    Result<void> admit();
    void commit(bool now);
    void forget(rd_kafka_topic_partition_list_t* partitions);
    std::map<i32, i64> landed_prefix() const;
    void forget_prefix(const std::map<i32, i64>& next);
    protocol::Nanos deadline() const { return clock.now_ns() + kTransactionNs; }
    Result<void> ready_producer();
    Result<void> transact(const std::vector<const KeptDecision*>& decisions,
                          const std::map<i32, i64>& next);
};

void RoleKafka::State::on_rebalance(rd_kafka_t* handle, rd_kafka_resp_err_t error,
                                    rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    auto* self = static_cast<State*>(opaque);
    ++self->rebalances;
    // What landed from the partitions going is committed; what did not is read again by
    // their next owner, which finds it stored or in the journal.
    run::rebalance(handle, error, partitions, self->topic, [self, partitions] {
        self->commit(true);
        self->forget(partitions);
    });
}

void RoleKafka::State::forget(rd_kafka_topic_partition_list_t* partitions) {
    std::set<i32> going;
    for (int i = 0; i < partitions->cnt; ++i)
        going.insert(partitions->elems[i].partition);
    for (i32 partition : going)
        outstanding.erase(partition);
    auto gone = [&going](const Polled& polled) {
        return going.count(polled.event.from->partition) != 0;
    };
    std::erase_if(unchecked, gone);
    for (auto it = backlog.begin(); it != backlog.end();) {
        if (gone(*it)) {
            queued.erase(it->key);
            it = backlog.erase(it);
        } else {
            ++it;
        }
    }
}

void RoleKafka::State::poll() {
    while (unchecked.size() < kBatch) {
        MessageHandle message(
            rd_kafka_consumer_poll(consumer.get(), unchecked.empty() ? kPollMs : 0));
        if (!message) break;
        if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
            if (message->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                std::fprintf(stderr, "warning: kafka: %s\n",
                             rd_kafka_message_errstr(message.get()));
            continue;
        }
        std::string line(static_cast<const char*>(message->payload), message->len);
        RecordPosition from{topic, message->partition, message->offset};
        std::string key = idempotency_key(line, topic, message->partition, message->offset);
        outstanding[from.partition][from.offset] = false;
        ++consumed;
        unchecked.push_back(
            Polled{RoleEvent{process, message_type, std::move(line), std::move(from)}, key});
    }
}

// Records whose decision is stored, or whose event the journal holds already (admitted
// here, or by an earlier primary), or that repeat an id, are skipped: each event is
// decided once.
void RoleKafka::State::check() {
    if (unchecked.empty()) return;
    std::vector<std::string> keys;
    for (const auto& polled : unchecked)
        keys.push_back(polled.key);
    auto known = store->decided(keys);
    if (!known) {
        if (lookup_failures++ == 0)
            std::fprintf(stderr, "warning: looking up %zu consumed events failed (%s); retrying\n",
                         keys.size(), known.error().to_string().c_str());
        return;  // Tried again after the next round.
    }
    std::set<std::string> journal = role.unlanded_keys();
    for (auto& polled : unchecked) {
        const auto& from = *polled.event.from;
        if (known->count(polled.key) != 0 || journal.count(polled.key) != 0 ||
            queued.count(polled.key) != 0 || polled.event.line.empty()) {
            ++skipped;
            outstanding[from.partition][from.offset] = true;
            continue;
        }
        queued.insert(polled.key);
        backlog.push_back(std::move(polled));
    }
    unchecked.clear();
}

Result<void> RoleKafka::State::admit() {
    while (!backlog.empty()) {
        if (!ESTA_TRY(role.try_admit(backlog.front().event))) break;  // No room now.
        queued.erase(backlog.front().key);
        backlog.pop_front();
    }
    return {};
}

// Each partition resumes after the longest landed run of its offsets.
// Each partition resumes after the longest landed run of its offsets.
std::map<i32, i64> RoleKafka::State::landed_prefix() const {
    std::map<i32, i64> next;
    for (const auto& [partition, offsets] : outstanding) {
        for (const auto& [offset, landed] : offsets) {
            if (!landed) break;
            next[partition] = offset + 1;
        }
    }
    return next;
}

void RoleKafka::State::forget_prefix(const std::map<i32, i64>& next) {
    for (const auto& [partition, resume] : next) {
        auto& offsets = outstanding[partition];
        offsets.erase(offsets.begin(), offsets.lower_bound(resume));
    }
}

void RoleKafka::State::commit(bool now) {
    if (!consumer || !failure) return;
    auto at = std::chrono::steady_clock::now();
    if (!now && at - last_commit < kCommitEvery) return;
    std::map<i32, i64> next = landed_prefix();
    if (next.empty()) return;
    last_commit = at;
    if (producer) {
        // Offsets go in a transaction of the producer, like those landed with decisions.
        auto done = transact({}, next);
        if (!done) {
            if (producer->fenced()) failure = done.error();
            return;
        }
    } else if (commit_offsets(consumer.get(), topic, next)) {
        ++commits;
    } else {
        ++commit_failures;  // Harmless: the records are found stored when read again.
        return;
    }
    forget_prefix(next);
}

Result<void> RoleKafka::State::ready_producer() {
    if (producer) return {};
    auto created = ESTA_TRY(drivers::KafkaTransactionalProducer::create(
        manifest.drivers.topics.kafka, "estalogic." + manifest.name + ".decisions", clock));
    // Registering the id fences the producer of the node that led before (if it lives).
    ESTA_TRY(created->init(deadline()));
    producer = std::move(created);
    std::fprintf(stderr, "kafka: producing decisions to %s (transactional)\n", output.c_str());
    return {};
}

// One transaction: `decisions` to the decisions topic and the offsets `next`, together.
// Errors: Revoked when a newer producer of the pair fenced this one (nothing of it lands);
// others after the transaction was aborted (it is tried again).
Result<void> RoleKafka::State::transact(const std::vector<const KeptDecision*>& decisions,
                                        const std::map<i32, i64>& next) {
    auto steps = [&]() -> Result<void> {
        ESTA_TRY(producer->begin());
        for (const auto* decision : decisions) {
            drivers::TopicRecord record;
            record.key = decision->key;
            record.value = decision->line;
            ESTA_TRY(producer->produce(output, record));
        }
        ESTA_TRY(producer->send_offsets(group, topic, next, deadline()));
        return producer->commit(deadline());
    };
    auto done = steps();
    if (done) {
        ++transactions;
        produced += decisions.size();
        if (!next.empty()) ++commits;
        // The same offsets through the consumer too: a broker has them from the transaction
        // already, but librdkafka's mock cluster answers TxnOffsetCommit without storing
        // them. Committing what is committed changes nothing.
        if (consumer && !next.empty()) (void)commit_offsets(consumer.get(), topic, next);
        return {};
    }
    if (producer->fenced()) {
        ++fenced;
        std::fprintf(stderr,
                     "kafka: fenced: a newer primary's producer owns the pair's transactional "
                     "id; this node writes nothing more (%s)\n",
                     done.error().to_string().c_str());
        return Err(Status::Revoked, "kafka.fenced");
    }
    ++transaction_failures;
    (void)producer->abort(deadline());
    return done.error();
}

RoleKafka::RoleKafka(std::unique_ptr<State> state) : m_state(std::move(state)) {}

RoleKafka::~RoleKafka() {
    m_state->role.set_effects(nullptr);
    if (m_state->consumer) rd_kafka_consumer_close(m_state->consumer.get());
}

Result<std::unique_ptr<RoleKafka>> RoleKafka::open(const manifest::AppManifest& manifest,
                                                   const RoleOptions& options, NodeRole& role) {
    auto state = std::make_unique<State>(manifest, role);
    const auto& drivers = manifest.drivers;
    state->topic = drivers.topics.input;
    state->output = drivers.topics.decisions;
    state->group = drivers.topics.group.empty() ? manifest.name : drivers.topics.group;
    state->process = options.process;
    state->message_type = options.message_type;
    char host[256] = {};
    (void)gethostname(host, sizeof host - 1);
    state->store = ESTA_TRY(PgDecisions::open(drivers.sql.postgres, drivers.sql.decisions_table,
                                              std::string(host) + "/" + std::to_string(getpid()),
                                              state->clock));
    auto kafka = std::unique_ptr<RoleKafka>(new RoleKafka(std::move(state)));
    role.set_effects(kafka.get());
    return kafka;
}

Result<void> RoleKafka::run(const std::function<bool()>& stop) {
    State& s = *m_state;
    Result<void> outcome = {};
    while (!stop()) {
        outcome = s.role.step();
        if (!outcome) break;
        if (!s.role.leading()) {
            std::this_thread::sleep_for(kIdlePause);
            continue;
        }
        if (!s.consumer) {
            // Leading: what the journal held from an earlier primary landed in step().
            auto joined = join_group(s.manifest, &State::on_rebalance, &s);
            if (!joined) {
                outcome = joined.error();
                break;
            }
            s.consumer = std::move(*joined);
            std::fprintf(stderr, "kafka: leading at epoch %llu: consuming %s\n",
                         static_cast<unsigned long long>(s.role.epoch()), s.topic.c_str());
        }
        if (s.unchecked.empty() && s.backlog.empty()) s.poll();
        s.check();
        outcome = s.admit();
        if (!outcome) break;
        s.commit(false);
        if (!s.failure) {
            outcome = s.failure;  // Fenced while committing offsets.
            break;
        }
    }
    if (s.consumer) {
        if (outcome) s.commit(true);  // A fenced node commits nothing more.
        rd_kafka_consumer_close(s.consumer.get());
        s.consumer.reset();
    }
    return outcome;
}

Result<void> RoleKafka::land(u64 epoch, const std::vector<const KeptDecision*>& decided) {
    State& s = *m_state;
    ESTA_TRY(s.failure);
    std::vector<DecisionRow> rows;
    for (const auto* decision : decided) {
        if (decision->sink.empty()) continue;  // The handler failed it: nothing to store.
        rows.push_back(DecisionRow{decision->key, decision->from->topic, decision->from->partition,
                                   decision->from->offset, decision->line});
    }
    std::optional<EpochGuard> guard;
    if (s.role.lease_key() != 0) guard = EpochGuard{s.role.lease_key(), epoch};
    if (!rows.empty()) s.stored += ESTA_TRY(s.store->write(rows, guard));
    // Which were read here (their offsets are ours to commit) and which by an earlier primary.
    std::vector<std::pair<const KeptDecision*, bool>> landing;
    std::set<i32> earlier;
    for (const auto* decision : decided) {
        auto partition = s.outstanding.find(decision->from->partition);
        bool ours = decision->from->topic == s.topic && partition != s.outstanding.end() &&
                    partition->second.count(decision->from->offset) != 0;
        if (!ours) earlier.insert(decision->from->partition);
        landing.emplace_back(decision, ours);
    }
    auto mark = [&] {
        for (const auto& [decision, ours] : landing) {
            if (decision->sink.empty()) ++s.failed;
            if (ours) {
                s.outstanding[decision->from->partition][decision->from->offset] = true;
            } else {
                ++s.landed_other;
            }
        }
    };
    if (s.output.empty()) {
        mark();
        return {};
    }
    // The decisions topic: produced in one transaction with the offsets they move.
    ESTA_TRY(s.ready_producer());
    std::set<i32> unknown;
    for (i32 partition : earlier)
        if (s.committed_before.count(partition) == 0) unknown.insert(partition);
    if (!unknown.empty()) {
        auto asked = ESTA_TRY(committed_offsets(s.manifest, unknown));
        s.committed_before.insert(asked.begin(), asked.end());
    }
    std::vector<const KeptDecision*> records;
    std::map<i32, i64> next = s.landed_prefix();
    std::map<i32, i64> earlier_next;  // Becomes committed_before once the transaction commits.
    for (const auto& [decision, ours] : landing) {
        const auto& from = *decision->from;
        if (!ours) {
            // Below the committed offset, an earlier primary's transaction produced it.
            if (from.offset < s.committed_before[from.partition]) continue;
            next[from.partition] = std::max(next[from.partition], from.offset + 1);
            earlier_next[from.partition] = from.offset + 1;
        }
        if (!decision->sink.empty()) records.push_back(decision);
    }
    // The prefix with this batch marked: computed on a copy, kept only if it commits.
    auto before = s.outstanding;
    mark();
    for (const auto& [partition, resume] : s.landed_prefix())
        next[partition] = std::max(next[partition], resume);
    auto done = s.transact(records, next);
    if (!done) {
        s.outstanding = std::move(before);
        return done.error();
    }
    for (const auto& [partition, resume] : earlier_next)
        s.committed_before[partition] = std::max(s.committed_before[partition], resume);
    s.forget_prefix(next);
    return {};
}

std::vector<std::pair<const char*, u64>> RoleKafka::fields() const {
    const State& s = *m_state;
    return {{"kafka_consuming", s.consumer ? 1 : 0},
            {"kafka_consumed", s.consumed},
            {"kafka_stored", s.stored},
            {"kafka_skipped", s.skipped},
            {"kafka_failed", s.failed},
            {"kafka_landed_from_journal", s.landed_other},
            {"kafka_commits", s.commits},
            {"kafka_commit_failures", s.commit_failures},
            {"kafka_rebalances", s.rebalances},
            {"kafka_producing", s.producer ? 1 : 0},
            {"kafka_produced", s.produced},
            {"kafka_transactions", s.transactions},
            {"kafka_transaction_failures", s.transaction_failures},
            {"kafka_fenced", s.fenced}};
}

std::string RoleKafka::summary() const {
    const State& s = *m_state;
    return "topic " + s.topic + ": " + std::to_string(s.consumed) + " records consumed, " +
           std::to_string(s.stored) + " decisions stored in " +
           s.manifest.drivers.sql.decisions_table + ", " + std::to_string(s.skipped) +
           " skipped (stored or in the journal before), " + std::to_string(s.landed_other) +
           " landed from an earlier primary's journal, " + std::to_string(s.failed) + " failed, " +
           std::to_string(s.commits) + " commits (" + std::to_string(s.commit_failures) +
           " failed), " + std::to_string(s.rebalances) + " rebalances";
}

Result<void> consume_as_pair(const manifest::AppManifest& manifest, const RoleOptions& options,
                             NodeRole& role, const std::function<bool()>& stop,
                             std::string& report) {
    auto source = RoleKafka::open(manifest, options, role);
    if (!source) {
        report = "not started: " + source.error().to_string();
        return source.error();
    }
    auto ran = (*source)->run(stop);
    report = (*source)->summary();
    return ran;
}

}  // namespace esta::app::run
