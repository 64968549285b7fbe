// The drivers behind a node's `sql` and `topic` grants (docs/MANIFEST.md "Grants", ABI.md
// "Driver calls"): the declared statements on SQLite under DATA_DIR/embedded.sqlite, or on
// PostgreSQL with [drivers.sql]; the declared topics journal-backed under DATA_DIR/topics,
// or on Kafka with [drivers.topics]. Each grant reaches its driver through a port scoped
// to what it names (D-2): another statement or topic is refused and audited. A grant with
// `consume = true` has the kernel consume for its process (RecordConsumer): each record
// arrives as a message of type 0x0100, committed once the handler returned 0 on it.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "app/manifest/model.h"
#include "drivers/contract.h"
#include "drivers/kernel_bridge/record_consumer.h"
#include "drivers/resilience.h"
#include "kernel/runtime/kernel_runtime.h"
#include "observe/audit_sink.h"
#include "protocol/file_system.h"

namespace esta::app::run {

class NodeGrantDrivers {
  public:
    // Starts the drivers the grants need (none when no grant names a statement or a topic).
    // `clock`, `sleeper`, `files` and `audit` are borrowed and outlive this. Errors: the
    // driver's (a store that cannot be opened or reached, a statement SQLite refuses).
    static Result<std::unique_ptr<NodeGrantDrivers>> start(const manifest::AppManifest& manifest,
                                                           const std::string& data_dir,
                                                           const protocol::Clock& clock,
                                                           drivers::Sleeper& sleeper,
                                                           protocol::FileSystem& files,
                                                           observe::AuditSink* audit);
    ~NodeGrantDrivers();
    NodeGrantDrivers(const NodeGrantDrivers&) = delete;
    NodeGrantDrivers& operator=(const NodeGrantDrivers&) = delete;

    // The driver and scope a sql or topic grant is served with; nullopt for other kinds.
    std::optional<std::pair<drivers::Driver*, drivers::Scope>> for_grant(
        const manifest::GrantSpec& grant);
    // The kernel consumes each of `process`'s consuming topic grants for `pid`, on a thread
    // of this object's, from now until stop(). The topic driver's faults while consuming
    // go to `faults` (the driver's region, as for its bridges; may be empty).
    Result<void> consume(kernel::Kernel& kernel, const manifest::ProcessSpec& process,
                         kernel::ProcessId pid, const drivers::FaultReport& faults = {});
    // A live upgrade's switch: what was consumed for `from` is consumed for `to` from now on
    // (RecordConsumer::retarget).
    void retarget(kernel::ProcessId from, kernel::ProcessId to);
    // The topic driver, null when no grant names a topic.
    drivers::Driver* topics() const { return m_topics.get(); }
    // Stops consuming (what the handlers finished is committed) and stops the drivers.
    void stop();

  private:
    NodeGrantDrivers(const protocol::Clock& clock) : m_clock(clock) {}
    void pump_loop();

    const protocol::Clock& m_clock;
    std::unique_ptr<drivers::Driver> m_sql;
    std::unique_ptr<drivers::Driver> m_topics;
    kernel::Kernel* m_kernel = nullptr;
    std::vector<std::unique_ptr<drivers::RecordConsumer>> m_consumers;
    std::thread m_pump;
    std::atomic<bool> m_stop{false};
};

}  // namespace esta::app::run
