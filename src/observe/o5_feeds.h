// The O-5 families whose numbers live in other rooms: drivers' circuit breakers, how far the
// node lags behind its journal, and replica divergences. A room hands a reading function;
// collect() (at scrape time) turns the readings into the catalogue's families
// (o5_catalogue.h). observe depends on none of those rooms: the app wires the functions.
//
// render() names every family even where there is nothing to read yet (a node with no
// replicas shows the divergence family's HELP and TYPE lines and no series).
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "observe/metrics.h"

namespace esta::observe {

// esta_drivers_circuit_state{driver}: 0 closed, 1 half-open, 2 open.
ESTA_GAUGE(kDriverCircuitState, "drivers.circuit_state",
           "Driver circuit breaker state: 0 closed, 1 half-open, 2 open.", "driver");
// esta_protocol_journal_lag_seconds{journal}.
ESTA_GAUGE(kJournalLag, "protocol.journal_lag_seconds",
           "How long the oldest journaled entry not yet processed (or acknowledged) has waited.",
           "journal");
// esta_kernel_lockstep_divergences_total{process,decision}: the family the lockstep policy
// counts into (kernel/redundancy), which replication's divergences share.
ESTA_COUNTER(kReplicaDivergences, "kernel.lockstep_divergences",
             "Replica divergences by the decision taken (retry or quarantine).", "process",
             "decision");
// esta_kernel_deadline_misses_total{queue,policy}: the kernel's missed message deadlines
// (K-53), fed from its own count (KernelStats::deadline_misses_by_policy).
ESTA_COUNTER(kDeadlineMissesFeed, "kernel.deadline_misses",
             "Missed message deadlines by queue and miss policy (K-53).", "queue", "policy");

// esta_drivers_kafka_consumer_lag_records{topic}: records of the assigned partitions past
// the consumer's position, by the high watermarks the broker last reported.
ESTA_GAUGE(kKafkaConsumerLag, "drivers.kafka_consumer_lag_records",
           "Records in the consumer's assigned partitions it has not read yet.", "topic");

enum class CircuitReading : u8 { Closed = 0, HalfOpen = 1, Open = 2 };

class O5Feeds {
  public:
    // `metrics` outlives the feeds.
    explicit O5Feeds(MetricsRegistry& metrics);

    // The reading functions are called by collect(), from the scraping thread; each must be
    // thread-safe and must not block for long.
    void add_circuit(std::string driver, std::function<CircuitReading()> read);
    void add_journal_lag(std::string journal, std::function<f64()> seconds);
    void add_consumer_lag(std::string topic, std::function<f64()> records);
    // `total` is the divergences so far (monotonic); collect() adds what is new.
    void add_divergences(std::string subject, std::string decision, std::function<u64()> total);
    void add_deadline_misses(std::string queue, std::string policy, std::function<u64()> total);
    // A gauge of a room's own (no labels), read at collect().
    void add_gauge(const MetricSpec& spec, std::function<f64()> read);

    void collect();
    // collect(), then the registry's exposition, with HELP and TYPE lines for every O-5
    // family (o5_catalogue.h) that has no series yet: traps, drops or denials not seen so
    // far, no replicas to diverge.
    std::string render();

  private:
    struct Total {
        Counter* counter = nullptr;
        std::function<u64()> total;
        u64 seen = 0;
    };

    void add_total(Counter& counter, std::function<u64()> total);

    MetricsRegistry& m_metrics;
    std::mutex m_mutex;
    std::vector<std::pair<Gauge*, std::function<CircuitReading()>>> m_circuits;
    std::vector<std::pair<Gauge*, std::function<f64()>>>
        m_gauges;  // Lags and other read-on-scrape gauges.
    std::vector<Total> m_totals;
};

}  // namespace esta::observe
