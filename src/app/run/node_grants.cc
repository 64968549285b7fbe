#include "app/run/node_grants.h"

#include <chrono>
#include <filesystem>

#include "drivers/embedded/journal_topics.h"
#include "drivers/embedded/sqlite_sql.h"
#include "drivers/kafka/kafka_topics.h"
#include "drivers/postgres/pg_sql.h"
#include "drivers/sql_driver.h"
#include "drivers/topic_driver.h"

namespace esta::app::run {

namespace fs = std::filesystem;

namespace {

constexpr protocol::Nanos kPollWait =
    20 * protocol::kNanosPerMilli;  // How long one pump waits for a record.

bool needs(const manifest::AppManifest& manifest, bool sql) {
    for (const auto& process : manifest.processes)
        for (const auto& grant : process.grants)
            if (sql ? std::holds_alternative<manifest::SqlGrant>(grant.resource)
                    : std::holds_alternative<manifest::TopicGrant>(grant.resource))
                return true;
    return false;
}

}  // namespace

Result<std::unique_ptr<NodeGrantDrivers>> NodeGrantDrivers::start(
    const manifest::AppManifest& manifest, const std::string& data_dir,
    const protocol::Clock& clock, drivers::Sleeper& sleeper, protocol::FileSystem& files,
    observe::AuditSink* audit) {
    std::unique_ptr<NodeGrantDrivers> made(new NodeGrantDrivers(clock));
    const auto& spec = manifest.drivers;
    if (needs(manifest, true)) {
        std::unique_ptr<drivers::SqlBackend> backend;
        if (spec.sql.backend == manifest::DriverBackend::External)
            backend = std::make_unique<drivers::PgSql>(spec.sql.postgres, "", clock, sleeper);
        else
            backend = std::make_unique<drivers::SqliteSql>(
                (fs::path(data_dir) / "embedded.sqlite").string(), "");
        made->m_sql =
            std::make_unique<drivers::SqlDriver>(std::move(backend), manifest.statements, audit);
        ESTA_TRY(made->m_sql->start());
    }
    if (needs(manifest, false)) {
        std::unique_ptr<drivers::TopicBackend> backend;
        if (spec.topics.backend == manifest::DriverBackend::External) {
            backend = std::make_unique<drivers::KafkaTopics>(spec.topics.kafka, clock);
        } else {
            std::vector<drivers::TopicSpec> topics;
            for (const auto& topic : manifest.topics)
                topics.push_back(drivers::TopicSpec{topic.name, topic.partitions});
            backend = std::make_unique<drivers::JournalTopics>(
                files, (fs::path(data_dir) / "topics").string(), clock, std::move(topics));
        }
        made->m_topics = std::make_unique<drivers::TopicDriver>(std::move(backend), audit);
        ESTA_TRY(made->m_topics->start());
    }
    return made;
}

NodeGrantDrivers::~NodeGrantDrivers() {
    stop();
}

std::optional<std::pair<drivers::Driver*, drivers::Scope>> NodeGrantDrivers::for_grant(
    const manifest::GrantSpec& grant) {
    if (const auto* sql = std::get_if<manifest::SqlGrant>(&grant.resource))
        return std::make_pair(m_sql.get(), drivers::Scope{grant.name, sql->scope});
    if (const auto* topic = std::get_if<manifest::TopicGrant>(&grant.resource))
        return std::make_pair(m_topics.get(), drivers::Scope{grant.name, topic->scope});
    return std::nullopt;
}

Result<void> NodeGrantDrivers::consume(kernel::Kernel& kernel, const manifest::ProcessSpec& process,
                                       kernel::ProcessId pid, const drivers::FaultReport& faults) {
    for (const auto& grant : process.grants) {
        const auto* topic = std::get_if<manifest::TopicGrant>(&grant.resource);
        if (!topic || !topic->scope.consume) continue;
        auto consumer = std::make_unique<drivers::RecordConsumer>(
            kernel, pid, *m_topics, drivers::Scope{grant.name, topic->scope},
            static_cast<u64>(m_consumers.size() + 1), m_clock);
        consumer->report_faults(faults);
        kernel.watch_handled(consumer.get());
        m_consumers.push_back(std::move(consumer));
    }
    m_kernel = &kernel;
    if (!m_consumers.empty() && !m_pump.joinable()) m_pump = std::thread([this] { pump_loop(); });
    return {};
}

void NodeGrantDrivers::retarget(kernel::ProcessId from, kernel::ProcessId to) {
    for (auto& consumer : m_consumers)
        consumer->retarget(from, to);
}

// A pump that fails (a full mailbox, the driver down) is retried on the next round: the
// consumer sought back to the record it could not send.
void NodeGrantDrivers::pump_loop() {
    while (!m_stop.load(std::memory_order_relaxed)) {
        std::size_t sent = 0;
        for (auto& consumer : m_consumers) {
            auto pumped = consumer->pump(kPollWait);
            if (pumped) sent += *pumped;
        }
        if (sent == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

void NodeGrantDrivers::stop() {
    m_stop = true;
    if (m_pump.joinable()) m_pump.join();
    for (auto& consumer : m_consumers) {
        (void)consumer->commit_finished();
        if (m_kernel) m_kernel->unwatch_handled(consumer.get());
    }
    m_consumers.clear();
    if (m_sql) m_sql->stop();
    if (m_topics) m_topics->stop();
}

}  // namespace esta::app::run
