#include "app/run/node_drivers.h"

#include "app/run/staged_kv.h"
#include "drivers/embedded/memory_kv.h"
#include "drivers/redis/redis_kv.h"

namespace esta::app::run {

namespace {

Diagnostic refusal(const manifest::AppManifest& manifest, std::string message) {
    return Diagnostic{
        Status::NotSupported, manifest.path + ": " + std::move(message), {}, {}, {}, {}};
}

}  // namespace

Result<void> check_node_drivers(const manifest::AppManifest& manifest, Diagnostics& problems,
                                bool pair) {
    const auto& drivers = manifest.drivers;
    std::size_t before = problems.size();
    bool kafka = drivers.topics.backend == manifest::DriverBackend::External;
    bool postgres = drivers.sql.backend == manifest::DriverBackend::External;
    if (kafka && drivers.topics.input.empty()) {
        problems.push_back(
            refusal(manifest,
                    "drivers.topics: `estalogic run` consumes its events from Kafka; name the "
                    "topic: input = \"TOPIC\" (and group = \"GROUP\", default the app's name)"));
    }
    if (kafka && !postgres) {
        problems.push_back(
            refusal(manifest,
                    "drivers.topics: events consumed from Kafka are decided into PostgreSQL "
                    "(an offset is committed once its decision is stored there); set "
                    "[drivers.sql] backend = \"postgres\""));
    }
    if (!drivers.topics.decisions.empty() && (!pair || drivers.topics.input.empty())) {
        problems.push_back(refusal(
            manifest,
            "drivers.topics: decisions (the decisions topic) is produced by a primary/standby "
            "pair consuming an input topic, in one transaction with the consumed offsets; run "
            "with --role and an input, or remove decisions"));
    }
    if (kafka && !pair && drivers.kv.backend != manifest::DriverBackend::External) {
        problems.push_back(
            refusal(manifest,
                    "drivers.kv: nodes consuming from Kafka keep the balances in Redis, "
                    "where every node of the group sees them; set [drivers.kv] backend = "
                    "\"redis\" (or run them as a primary/standby pair, --role)"));
    }
    if (postgres && !kafka &&
        manifest.observability.checkpoint_export != manifest::CheckpointExport::Postgres) {
        problems.push_back(
            refusal(manifest,
                    "drivers.sql: PostgreSQL stores the decisions of events consumed from "
                    "Kafka and the audit checkpoints; set [drivers.topics] backend = \"kafka\" "
                    "with an input topic, or [observability] checkpoint_export = \"postgres\", "
                    "or remove [drivers.sql]"));
    }
    if (problems.size() != before) return Err(Status::NotSupported, "run.drivers_not_supported");
    return {};
}

Result<std::unique_ptr<drivers::KvDriver>> start_kv_driver(const manifest::AppManifest& manifest,
                                                           const protocol::Clock& clock,
                                                           StagedKv*& staged,
                                                           observe::AuditSink* audit, bool stage) {
    const auto& spec = manifest.drivers.kv;
    std::unique_ptr<drivers::KvStore> store;
    if (spec.backend == manifest::DriverBackend::External) {
        store = std::make_unique<drivers::RedisKv>(spec.redis, clock);
    } else {
        store = std::make_unique<drivers::MemoryKv>(clock);
    }
    staged = nullptr;
    if (stage && !manifest.drivers.topics.input.empty()) {
        // Done records live beside the app's keys, under a prefix no grant can name.
        auto wrapped = std::make_unique<StagedKv>(
            std::move(store), "estalogic\x1f" + manifest.name + "\x1f" + "done\x1f", clock);
        staged = wrapped.get();
        store = std::move(wrapped);
    }
    auto kv = std::make_unique<drivers::KvDriver>(std::move(store), manifest.scripts, audit);
    ESTA_TRY(kv->start());
    return kv;
}

}  // namespace esta::app::run
