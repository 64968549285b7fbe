#include "observe/o5_feeds.h"

#include <algorithm>
#include <string>

#include "observe/o5_catalogue.h"

namespace esta::observe {

O5Feeds::O5Feeds(MetricsRegistry& metrics) : m_metrics(metrics) {}

void O5Feeds::add_circuit(std::string driver, std::function<CircuitReading()> read) {
    Gauge& gauge = m_metrics.gauge(kDriverCircuitState, {driver});
    std::lock_guard lock(m_mutex);
    m_circuits.emplace_back(&gauge, std::move(read));
}

void O5Feeds::add_journal_lag(std::string journal, std::function<f64()> seconds) {
    Gauge& gauge = m_metrics.gauge(kJournalLag, {journal});
    std::lock_guard lock(m_mutex);
    m_gauges.emplace_back(&gauge, std::move(seconds));
}

void O5Feeds::add_consumer_lag(std::string topic, std::function<f64()> records) {
    Gauge& gauge = m_metrics.gauge(kKafkaConsumerLag, {topic});
    std::lock_guard lock(m_mutex);
    m_gauges.emplace_back(&gauge, std::move(records));
}

void O5Feeds::add_gauge(const MetricSpec& spec, std::function<f64()> read) {
    Gauge& gauge = m_metrics.gauge(spec);
    std::lock_guard lock(m_mutex);
    m_gauges.emplace_back(&gauge, std::move(read));
}

void O5Feeds::add_divergences(std::string subject, std::string decision,
                              std::function<u64()> total) {
    add_total(m_metrics.counter(kReplicaDivergences, {subject, decision}), std::move(total));
}

void O5Feeds::add_deadline_misses(std::string queue, std::string policy,
                                  std::function<u64()> total) {
    add_total(m_metrics.counter(kDeadlineMissesFeed, {queue, policy}), std::move(total));
}

void O5Feeds::add_total(Counter& counter, std::function<u64()> total) {
    std::lock_guard lock(m_mutex);
    m_totals.push_back(Total{&counter, std::move(total), 0});
}

void O5Feeds::collect() {
    std::lock_guard lock(m_mutex);
    for (auto& [gauge, read] : m_circuits)
        gauge->set(static_cast<f64>(static_cast<u8>(read())));
    for (auto& [gauge, read] : m_gauges)
        gauge->set(read());
    for (auto& feed : m_totals) {
        const u64 total = feed.total();
        if (total > feed.seen) feed.counter->inc(total - feed.seen);
        feed.seen = std::max(feed.seen, total);
    }
}

std::string O5Feeds::render() {
    collect();
    std::string text = m_metrics.render_prometheus();
    text += o5_declarations(text);
    return text;
}

}  // namespace esta::observe
