// What `estalogic run` observes (docs/TRACING.md, "estalogic run"): the kernel's observer
// (KernelTelemetry) writing the kernel's decisions to the node's audit log (O-2), spans
// under the manifest's sampler exported as OTLP/HTTP JSON to [observability.tracing]
// otlp_endpoint (O-4; the export runs on its own thread and drops with a counter), the O-5
// families for the node's /metrics, and the flight recorder (O-3): the last 10 000 entries /
// 10 MiB at info and above, written to DATA_DIR/flight-recorder.jsonl every 60 s and at stop,
// and to DATA_DIR/flight-recorder-crash.jsonl when a process crashes or the node fails; when
// the node's own process dies of a fatal signal, its newest 1024 entries go to
// DATA_DIR/flight-recorder-fatal.jsonl from the signal handler (observe/fatal_signal.h).
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "app/manifest/model.h"
#include "base/result.h"
#include "drivers/contract.h"
#include "drivers/resilience.h"
#include "kernel/cap_audit.h"
#include "kernel/runtime/kernel_runtime.h"
#include "kernel/syscalls/services.h"
#include "observe/audit_sink.h"
#include "observe/flight_recorder.h"
#include "observe/log.h"
#include "observe/o5_feeds.h"
#include "protocol/clock.h"

namespace esta::app::run {

inline constexpr const char* kFlightRecorderFile = "flight-recorder.jsonl";
inline constexpr const char* kFlightCrashFile = "flight-recorder-crash.jsonl";
inline constexpr const char* kFlightFatalFile = "flight-recorder-fatal.jsonl";
inline constexpr std::size_t kFlightFatalEntries = 1024;

struct NodeObserveOptions {
    std::string service_name;  // The resource's service.name in exported spans.
    std::string data_dir;      // Where the flight recorder is written.
    observe::FlightRecorderConfig recorder{};
    // Dump the recorder's newest kFlightFatalEntries entries when the process dies of
    // SIGSEGV, SIGBUS, SIGFPE, SIGILL or SIGABRT (keeps a crash ring of that many entries).
    bool dump_on_fatal_signal = true;
    // How often the housekeeping thread looks for a crash to dump (wall clock; the dump's
    // content does not depend on it).
    i64 poll_ms = 100;
};

// What a node's replication role publishes for /metrics (written by the role's thread, read
// at scrape time). Shared, so a scrape after the role ended reads the last values.
struct ReplicaReadings {
    std::atomic<u64> divergences{0};
    // steady_clock ns when the oldest entry the standby has not acknowledged was appended;
    // 0 when none waits.
    std::atomic<i64> oldest_unacknowledged_ns{0};
    // A synchronous primary writing without its standby's acknowledgement (standby timeout).
    std::atomic<bool> alone{false};
};

// [observability.tracing] otlp_headers with their values read from the environment or files
// (S-2). Errors: read_secret's (NotFound, AccessDenied, IoError), Invalid
// "observe.otlp_header_value" for a value holding a control character (it would end the
// header early or smuggle another).
Result<std::vector<std::pair<std::string, std::string>>> resolve_otlp_headers(
    const manifest::Observability& config);

class NodeObservability {
  public:
    // `clock` (the kernel's) and `audit` (null: no records) outlive the result. Errors:
    // Invalid for an otlp_endpoint the exporter refuses.
    static Result<std::unique_ptr<NodeObservability>> start(const manifest::Observability& config,
                                                            NodeObserveOptions options,
                                                            const protocol::Clock& clock,
                                                            observe::AuditSink* audit);
    ~NodeObservability();  // stop()
    NodeObservability(const NodeObservability&) = delete;
    NodeObservability& operator=(const NodeObservability&) = delete;

    // For the kernel: its capability audit, and its services with the observer and the
    // guests' log set. Both live as long as this.
    kernel::CapabilityAudit& capability_audit();
    kernel::SyscallServices services();

    observe::O5Feeds& feeds();
    // The registry metrics_text() renders: counters fed into it appear on /metrics.
    observe::MetricsRegistry& metrics();
    // The driver's circuit (when it has a breaker) as esta_drivers_circuit_state{driver}.
    void watch_driver(std::string name, const drivers::Driver& driver);
    // Any other breaker's state, as esta_drivers_circuit_state{driver=name}; `read` is called
    // at scrape time, from the scraping thread.
    void watch_circuit(std::string name, std::function<drivers::CircuitState()> read);
    // The kernel's deadline misses (K-53) by miss policy, as esta_kernel_deadline_misses_total
    // {queue="kernel"}. `kernel` outlives every later metrics_text().
    void watch_kernel(kernel::Kernel& kernel);
    // A replica's divergences (esta_kernel_lockstep_divergences_total{process="replica",
    // decision="report"}) and how long its oldest unacknowledged entry has waited
    // (esta_protocol_journal_lag_seconds{journal="replication"}).
    void watch_replica(std::shared_ptr<const ReplicaReadings> readings);
    // Everything the kernel, the exporter and the feeds count, as Prometheus text.
    std::string metrics_text();

    const observe::Logger& log() const;
    observe::FlightRecorder& recorder();
    // The node failed: logged at fatal and the flight recorder dumped at once.
    void fatal(std::string_view what);
    // Crash dumps written so far.
    u64 crash_dumps() const;

    // Ends the export (what is queued is sent once) and writes the recorder a last time.
    // Idempotent; call after the kernel has stopped.
    void stop();

  private:
    struct Parts;
    explicit NodeObservability(std::unique_ptr<Parts> parts);
    std::unique_ptr<Parts> m_parts;
};

}  // namespace esta::app::run
