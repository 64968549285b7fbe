// What `estalogic run` observes (run/node_observe.h): a process crash dumps the flight
// recorder into the state directory at once (O-3), and a guarded driver's circuit, the
// journal lag and replica divergences reach /metrics (O-5).
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/resource.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "app/run/node_observe.h"
#include "drivers/guarded_driver.h"
#include "kernel/runtime/guest_test.h"
#include "kernel/runtime/kernel_runtime.h"
#include "kernel/runtime/test_harness.h"
#include "observe/o5_catalogue.h"

namespace esta::app::run {
namespace {

namespace fs = std::filesystem;
using kernel::testing::Module;

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

fs::path scratch(const std::string& name) {
    fs::path dir = fs::path(::testing::TempDir()) / (name + "_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    return dir;
}

class NodeObserve : public kernel::testing::GuestTest {};

TEST_F(NodeObserve, O3_AProcessCrashDumpsTheFlightRecorderIntoTheStateDir) {
    ESTA_BUILD(fragile, "fragile", kernel::testing::guest::kFragile);
    const fs::path dir = scratch("esta_flight_dump");
    protocol::ManualClock clock(1'700'000'000'000'000'000);
    manifest::Observability config;
    NodeObserveOptions options{"test", dir.string()};
    options.poll_ms = 5;
    auto observing = NodeObservability::start(config, options, clock, nullptr);
    ASSERT_TRUE(observing.has_value()) << observing.error().to_string();
    NodeObservability& observability = **observing;
    kernel::InMemoryDeadLetters dead_letters;
    kernel::KernelConfig kernel_config;
    kernel_config.threads = 1;
    u32 child = 0;
    {
        kernel::Kernel kernel(clock, observability.capability_audit(), dead_letters, kernel_config,
                              observability.services());
        auto supervised = kernel.supervise(kernel::RestartStrategy::OneForOne,
                                           {{"fragile", kernel::testing::spec_of(fragile)}});
        ASSERT_TRUE(supervised.has_value());
        child = supervised->at(0).value();
        ASSERT_TRUE(kernel.send(supervised->at(0), kernel::MessageType(0x30), {'X'}));
        ASSERT_TRUE(kernel.run_until_idle());
        // Dumped by the observer's own thread, not the scheduler's: wait for it.
        for (int i = 0; i < 400 && observability.crash_dumps() == 0; ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        EXPECT_EQ(observability.crash_dumps(), 1u);
        const std::string dump = read_text(dir / kFlightCrashFile);
        EXPECT_NE(dump.find("\"process crashed\""), std::string::npos) << dump;
        EXPECT_NE(dump.find("\"pid\":" + std::to_string(child)), std::string::npos) << dump;
        EXPECT_NE(dump.find("\"process spawned\""), std::string::npos) << dump;
        EXPECT_NE(dump.find("\"severity\":\"error\""), std::string::npos) << dump;
    }
    // The restart after the crash is recorded too; stop() writes the recorder a last time.
    observability.stop();
    const std::string last = read_text(dir / kFlightRecorderFile);
    EXPECT_NE(last.find("\"process restarted\""), std::string::npos) << last;
    fs::remove_all(dir);
}

TEST(NodeObserveFiles, O3_ANodeFailureDumpsTheRecorderWithTheFatalEntry) {
    const fs::path dir = scratch("esta_flight_fatal");
    protocol::ManualClock clock(1'700'000'000'000'000'000);
    auto observing = NodeObservability::start({}, {"test", dir.string()}, clock, nullptr);
    ASSERT_TRUE(observing.has_value());
    (*observing)->fatal("the journal stopped: disk full");
    EXPECT_EQ((*observing)->crash_dumps(), 1u);
    const std::string dump = read_text(dir / kFlightCrashFile);
    EXPECT_NE(dump.find("\"severity\":\"fatal\""), std::string::npos) << dump;
    EXPECT_NE(dump.find("the journal stopped: disk full"), std::string::npos) << dump;
    fs::remove_all(dir);
}

TEST(NodeObserveFiles, O3_AFatalSignalInTheNodeDumpsTheRecorderIntoTheStateDir) {
    const fs::path dir = scratch("esta_flight_signal");
    // A forked child runs the node's observability, logs, and dies of SIGSEGV.
    auto log_and_crash = [&dir] {
        const rlimit no_core{0, 0};
        ::setrlimit(RLIMIT_CORE, &no_core);
        protocol::ManualClock clock(1'700'000'000'000'000'000);
        auto observing = NodeObservability::start({}, {"test", dir.string()}, clock, nullptr);
        if (!observing) std::_Exit(2);
        (*observing)
            ->log()
            .log(observe::Severity::Warning, observe::CategoryKind::Kernel, "the last words");
        ::raise(SIGSEGV);
        std::_Exit(3);
    };
    EXPECT_EXIT(log_and_crash(), ::testing::KilledBySignal(SIGSEGV), "");
    const std::string dump = read_text(dir / kFlightFatalFile);
    EXPECT_NE(dump.find("\"message\":\"the last words\""), std::string::npos) << dump;
    EXPECT_NE(dump.find("\"message\":\"fatal signal SIGSEGV\""), std::string::npos) << dump;
    fs::remove_all(dir);
}

// The service behind the driver: down for its first `failures` calls.
class DownThenUp final : public drivers::Driver {
  public:
    explicit DownThenUp(u32 failures) : m_failures(failures) {}
    drivers::DriverKind kind() const override { return drivers::DriverKind::KeyValue; }
    Result<void> start() override { return {}; }
    void stop() override {}
    drivers::Health health() const override { return {drivers::HealthState::Healthy, ""}; }
    drivers::Lifecycle lifecycle() const override { return drivers::Lifecycle::Ready; }
    Result<drivers::Value> call(u32, const drivers::Value&, const drivers::CallContext&) override {
        if (m_failures > 0) {
            --m_failures;
            return Err(Status::Unavailable, "down");
        }
        return drivers::Value{};
    }
    void release(u64) override {}

  private:
    u32 m_failures;
};

std::string sample(const std::string& text, const std::string& series) {
    auto at = text.find("\n" + series + " ");
    if (at == std::string::npos) return "";
    at += series.size() + 2;
    return text.substr(at, text.find('\n', at) - at);
}

TEST(NodeObserveFiles, O5_CircuitStateJournalLagAndDivergencesMoveOnMetrics) {
    const fs::path dir = scratch("esta_o5_feeds");
    protocol::ManualClock clock(1'000'000'000);
    auto observing = NodeObservability::start({}, {"test", dir.string()}, clock, nullptr);
    ASSERT_TRUE(observing.has_value());
    NodeObservability& observability = **observing;

    // Every O-5 family is named before anything happened.
    std::string before = observability.metrics_text();
    EXPECT_TRUE(observe::missing_o5_families(before).empty()) << before;

    drivers::ManualSleeper sleeper(clock);
    drivers::GuardOptions guard;
    guard.retry.max_retries = 0;
    guard.circuit.failure_threshold = 2;
    drivers::GuardedDriver driver(std::make_unique<DownThenUp>(2), clock, sleeper, guard);
    observability.watch_driver("kv", driver);
    double lag = 0;
    observability.feeds().add_journal_lag("input", [&lag] { return lag; });
    u64 divergences = 0;
    observability.feeds().add_divergences("replica.standby", "report",
                                          [&divergences] { return divergences; });

    std::string text = observability.metrics_text();
    EXPECT_EQ(sample(text, "esta_drivers_circuit_state{driver=\"kv\"}"), "0") << text;
    drivers::Scope scope{"kv", drivers::KvScope{}};
    drivers::CallContext context{scope, 1, clock.now_ns() + 1000 * protocol::kNanosPerMilli,
                                 drivers::Caller::Module, "test"};
    EXPECT_FALSE(driver.call(1, drivers::Value{}, context));
    EXPECT_FALSE(driver.call(1, drivers::Value{}, context));
    lag = 0.25;
    divergences = 3;
    text = observability.metrics_text();
    EXPECT_EQ(sample(text, "esta_drivers_circuit_state{driver=\"kv\"}"), "2") << text;
    EXPECT_EQ(sample(text, "esta_protocol_journal_lag_seconds{journal=\"input\"}"), "0.25");
    EXPECT_EQ(sample(text,
                     "esta_kernel_lockstep_divergences_total{process=\"replica.standby\","
                     "decision=\"report\"}"),
              "3");
    // A replication role's readings.
    auto replica = std::make_shared<ReplicaReadings>();
    observability.watch_replica(replica);
    text = observability.metrics_text();
    EXPECT_EQ(sample(text, "esta_protocol_journal_lag_seconds{journal=\"replication\"}"), "0");
    replica->divergences.store(2);
    replica->oldest_unacknowledged_ns.store(
        std::chrono::duration_cast<std::chrono::nanoseconds>(
            (std::chrono::steady_clock::now() - std::chrono::seconds(3)).time_since_epoch())
            .count());
    text = observability.metrics_text();
    EXPECT_GE(std::stod(sample(text, "esta_protocol_journal_lag_seconds{journal=\"replication\"}")),
              3.0);
    EXPECT_EQ(sample(text,
                     "esta_kernel_lockstep_divergences_total{process=\"replica\","
                     "decision=\"report\"}"),
              "2");
    divergences = 4;
    text = observability.metrics_text();
    EXPECT_EQ(sample(text,
                     "esta_kernel_lockstep_divergences_total{process=\"replica.standby\","
                     "decision=\"report\"}"),
              "4");
    fs::remove_all(dir);
}

}  // namespace
}  // namespace esta::app::run
