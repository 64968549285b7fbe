#include "app/run/node_observe.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>

#include "drivers/guarded_driver.h"
#include "drivers/secrets.h"
#include "kernel/observe_clock.h"
#include "kernel/observer_bridge.h"
#include "kernel/realtime/miss_policy.h"
#include "observe/fatal_signal.h"
#include "observe/kernel_telemetry.h"
#include "observe/trace/batch_span_processor.h"
#include "observe/trace/id_source.h"
#include "observe/trace/otlp_exporter.h"
#include "observe/trace/sampler.h"

namespace esta::app::run {

namespace {

namespace fs = std::filesystem;

// The manifest's sampler names (docs/MANIFEST.md) as OpenTelemetry samplers; "ratio" and
// "parent-based" take tracing.ratio (parent-based: for the roots).
std::unique_ptr<observe::Sampler> make_sampler(const manifest::Observability& config) {
    if (config.trace_sampler == "always-on") return std::make_unique<observe::AlwaysOnSampler>();
    if (config.trace_sampler == "always-off") return std::make_unique<observe::AlwaysOffSampler>();
    auto ratio = std::make_unique<observe::TraceIdRatioBasedSampler>(config.trace_ratio);
    if (config.trace_sampler == "ratio") return ratio;
    return std::make_unique<observe::ParentBasedSampler>(std::move(ratio));
}

// A guest's `log` lines into the node's logger (category process). The kernel's levels are
// O-1's severities, number for number.
class GuestLog final : public kernel::KernelLogger {
  public:
    explicit GuestLog(const observe::Logger& logger) : m_logger(logger) {}
    void log(kernel::ProcessId process, kernel::LogLevel level, std::string_view text) override {
        m_logger.log(static_cast<observe::Severity>(level), observe::CategoryKind::Process, text,
                     {}, u64{process.value()});
    }

  private:
    const observe::Logger& m_logger;
};

observe::CircuitReading reading(drivers::CircuitState state) {
    switch (state) {
        case drivers::CircuitState::Closed:
            return observe::CircuitReading::Closed;
        case drivers::CircuitState::HalfOpen:
            return observe::CircuitReading::HalfOpen;
        case drivers::CircuitState::Open:
            return observe::CircuitReading::Open;
    }
    return observe::CircuitReading::Open;
}

// esta_replication_primary_alone: 1 while a synchronous primary writes decisions without its
// standby's acknowledgement (its standby timeout passed; docs/OPERATIONS.md).
ESTA_GAUGE(kPrimaryAlone, "replication.primary_alone",
           "1 while a synchronous primary writes decisions without its standby's acknowledgement.");

}  // namespace

Result<std::vector<std::pair<std::string, std::string>>> resolve_otlp_headers(
    const manifest::Observability& config) {
    std::vector<std::pair<std::string, std::string>> headers;
    for (const auto& [name, secret] : config.otlp_headers) {
        std::string value = ESTA_TRY(drivers::read_secret(secret));
        for (char c : value) {
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f)
                return Err(Status::Invalid, "observe.otlp_header_value");
        }
        headers.emplace_back(name, std::move(value));
    }
    return headers;
}

struct NodeObservability::Parts {
    Parts(NodeObserveOptions o, const protocol::Clock& kernel_clock)
        : options(std::move(o)),
          clock(kernel_clock),
          logger(clock),
          feeds(metrics),
          ids(std::random_device{}() | (u64{std::random_device{}()} << 32)) {}

    NodeObserveOptions options;
    kernel::ObserveClock clock;
    observe::MetricsRegistry metrics;
    observe::Logger logger;
    observe::FlightRecorder* recorder = nullptr;  // Owned by the logger.
    observe::O5Feeds feeds;

    // Tracing, only when spans have somewhere to go.
    observe::SeededIdSource ids;
    std::unique_ptr<observe::Sampler> sampler;
    std::unique_ptr<observe::OtlpHttpExporter> exporter;
    std::unique_ptr<observe::BatchSpanProcessor> processor;
    std::unique_ptr<observe::Tracer> tracer;

    std::unique_ptr<observe::KernelTelemetry> telemetry;
    std::unique_ptr<kernel::ObservedCapabilityAudit> capability_audit;
    std::unique_ptr<GuestLog> guest_log;
    std::unique_ptr<observe::FatalSignalDump> fatal_dump;

    std::mutex mutex;
    std::condition_variable wake;
    bool stopping = false;
    bool stopped = false;
    std::atomic<bool> crash_pending{false};
    std::atomic<u64> crash_dumps{0};
    std::thread housekeeping;

    std::string path(const char* file) const {
        return (fs::path(options.data_dir) / file).string();
    }
    void dump_crash() {
        if (recorder->dump(path(kFlightCrashFile), observe::FlightExportFormat::JsonLines))
            crash_dumps.fetch_add(1, std::memory_order_relaxed);
        (void)recorder->dump(path(kFlightRecorderFile), observe::FlightExportFormat::JsonLines);
    }
    void housekeep() {
        std::unique_lock lock(mutex);
        while (!stopping) {
            wake.wait_for(lock, std::chrono::milliseconds(options.poll_ms));
            lock.unlock();
            if (crash_pending.exchange(false)) dump_crash();
            (void)recorder->persist_if_due(path(kFlightRecorderFile),
                                           observe::FlightExportFormat::JsonLines);
            lock.lock();
        }
    }
};

Result<std::unique_ptr<NodeObservability>> NodeObservability::start(
    const manifest::Observability& config, NodeObserveOptions options, const protocol::Clock& clock,
    observe::AuditSink* audit) {
    auto parts = std::make_unique<Parts>(std::move(options), clock);
    Parts& p = *parts;
    if (p.options.dump_on_fatal_signal && p.options.recorder.crash_slots == 0) {
        p.options.recorder.crash_slots = kFlightFatalEntries;
    }
    p.recorder =
        &p.logger.add_sink(std::make_unique<observe::FlightRecorder>(p.clock, p.options.recorder));
    if (!config.otlp_endpoint.empty()) {
        observe::OtlpHttpOptions otlp;
        otlp.endpoint = config.otlp_endpoint;
        otlp.headers = ESTA_TRY(resolve_otlp_headers(config));
        otlp.resource.service_name = p.options.service_name;
        p.exporter = ESTA_TRY(observe::OtlpHttpExporter::create(std::move(otlp)));
        p.processor = std::make_unique<observe::BatchSpanProcessor>(*p.exporter, p.metrics);
        p.sampler = make_sampler(config);
        p.tracer = std::make_unique<observe::Tracer>(p.clock, p.ids, *p.sampler, *p.processor);
    }
    observe::KernelTelemetryParts telemetry{&p.metrics, &p.clock, p.tracer.get(), audit};
    telemetry.log = &p.logger;
    telemetry.crashed = [&p](u32) {
        p.crash_pending.store(true);
        p.wake.notify_one();
    };
    p.telemetry = std::make_unique<observe::KernelTelemetry>(std::move(telemetry));
    p.capability_audit = std::make_unique<kernel::ObservedCapabilityAudit>(*p.telemetry);
    p.guest_log = std::make_unique<GuestLog>(p.logger);
    std::error_code error;
    fs::create_directories(p.options.data_dir, error);
    if (p.options.dump_on_fatal_signal) {
        p.fatal_dump = ESTA_TRY(observe::FatalSignalDump::install(
            *p.recorder->crash_ring(), p.options.data_dir, kFlightFatalFile));
    }
    p.housekeeping = std::thread([&p] { p.housekeep(); });
    return std::unique_ptr<NodeObservability>(new NodeObservability(std::move(parts)));
}

NodeObservability::NodeObservability(std::unique_ptr<Parts> parts) : m_parts(std::move(parts)) {}

NodeObservability::~NodeObservability() {
    stop();
}

kernel::CapabilityAudit& NodeObservability::capability_audit() {
    return *m_parts->capability_audit;
}

kernel::SyscallServices NodeObservability::services() {
    kernel::SyscallServices services;
    services.observer = m_parts->telemetry.get();
    services.logger = m_parts->guest_log.get();
    return services;
}

observe::MetricsRegistry& NodeObservability::metrics() {
    return m_parts->metrics;
}

observe::O5Feeds& NodeObservability::feeds() {
    return m_parts->feeds;
}

void NodeObservability::watch_driver(std::string name, const drivers::Driver& driver) {
    const auto* guarded = dynamic_cast<const drivers::GuardedDriver*>(&driver);
    if (guarded == nullptr) return;  // No breaker: no circuit to report.
    watch_circuit(std::move(name), [guarded] { return guarded->circuit().state(); });
}

void NodeObservability::watch_circuit(std::string name,
                                      std::function<drivers::CircuitState()> read) {
    m_parts->feeds.add_circuit(std::move(name),
                               [read = std::move(read)] { return reading(read()); });
}

void NodeObservability::watch_kernel(kernel::Kernel& kernel) {
    for (std::size_t i = 0; i < kernel::KernelStats{}.deadline_misses_by_policy.size(); ++i) {
        const auto policy = static_cast<kernel::MissPolicy>(i);
        m_parts->feeds.add_deadline_misses(
            "kernel", std::string(kernel::miss_policy_name(policy)),
            [&kernel, i] { return kernel.stats().deadline_misses_by_policy[i]; });
    }
}

void NodeObservability::watch_replica(std::shared_ptr<const ReplicaReadings> readings) {
    m_parts->feeds.add_divergences("replica", "report",
                                   [readings] { return readings->divergences.load(); });
    m_parts->feeds.add_gauge(kPrimaryAlone,
                             [readings] { return readings->alone.load() ? 1.0 : 0.0; });
    m_parts->feeds.add_journal_lag("replication", [readings] {
        const i64 since = readings->oldest_unacknowledged_ns.load();
        if (since == 0) return 0.0;
        const i64 now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::steady_clock::now().time_since_epoch())
                            .count();
        return static_cast<f64>(std::max<i64>(0, now - since)) / 1e9;
    });
}

std::string NodeObservability::metrics_text() {
    m_parts->telemetry->collect();
    return m_parts->feeds.render();
}

const observe::Logger& NodeObservability::log() const {
    return m_parts->logger;
}

observe::FlightRecorder& NodeObservability::recorder() {
    return *m_parts->recorder;
}

void NodeObservability::fatal(std::string_view what) {
    m_parts->logger.log(observe::Severity::Fatal, observe::CategoryKind::Kernel, what);
    m_parts->dump_crash();
}

u64 NodeObservability::crash_dumps() const {
    return m_parts->crash_dumps.load(std::memory_order_relaxed);
}

void NodeObservability::stop() {
    Parts& p = *m_parts;
    {
        std::lock_guard lock(p.mutex);
        if (p.stopped) return;
        p.stopped = true;
        p.stopping = true;
    }
    p.wake.notify_all();
    if (p.housekeeping.joinable()) p.housekeeping.join();
    if (p.crash_pending.exchange(false)) p.dump_crash();
    if (p.processor) p.processor->shutdown();
    (void)p.recorder->dump(p.path(kFlightRecorderFile), observe::FlightExportFormat::JsonLines);
}

}  // namespace esta::app::run
