// The drivers a node runs, as its manifest's [drivers] section names them: the embedded
// ones by default, Redis for the key-value grants, and PostgreSQL and Kafka for a node that
// consumes its events from a topic (kafka_source.h). Credentials are read from where the
// manifest points (environment or a protected file, S-2) when a driver starts.
#pragma once

#include <memory>

#include "app/manifest/model.h"
#include "base/diagnostic.h"
#include "drivers/kv_driver.h"
#include "observe/audit_sink.h"
#include "protocol/clock.h"

namespace esta::app::run {

// Whether `estalogic run` can drive the manifest's [drivers]; each reason it cannot goes to
// `problems` (Status::NotSupported). `pair`: the node is one of a primary/standby pair,
// whose journal carries the balances to the standby (any key-value store will do).
Result<void> check_node_drivers(const manifest::AppManifest& manifest, Diagnostics& problems,
                                bool pair = false);

class StagedKv;

// The key-value driver the kv grants share, started: the embedded store or Redis, with the
// manifest's registered [scripts]; for a node that consumes from Kafka, staged
// (staged_kv.h), and `staged` set to it, unless `stage` is false (a pair's node: the
// replicated journal carries its state, role_kafka.h). Scope denials go to `audit` (borrowed, may
// be null). Errors: the store's (Redis unreachable: Unavailable; its password unreadable; a script
// whose source does not match its SHA-1).
Result<std::unique_ptr<drivers::KvDriver>> start_kv_driver(const manifest::AppManifest& manifest,
                                                           const protocol::Clock& clock,
                                                           StagedKv*& staged,
                                                           observe::AuditSink* audit = nullptr,
                                                           bool stage = true);

}  // namespace esta::app::run
