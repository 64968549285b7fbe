// The kernel's decisions on the node's integrity-chained log (REQUIREMENTS O-2): a C guest's
// `audit` import through the audit-log object and the application's bridge, and the spawns,
// capability decisions, crash, dead letter and restart that KernelTelemetry records, all in
// one AuditLog that then verifies with its key.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "app/run/audit_bridge.h"
#include "kernel/observer_bridge.h"
#include "kernel/runtime/guest_test.h"
#include "kernel/runtime/kernel_runtime.h"
#include "kernel/runtime/test_harness.h"
#include "observe/audit_log.h"
#include "observe/audit_query.h"
#include "observe/audit_verify.h"
#include "observe/kernel_telemetry.h"

namespace esta::app::run {
namespace {

using kernel::testing::Module;

// Writes one compliance record, then misuses its audit handle as an endpoint (denied).
constexpr const char* kWriter = R"(#include "estalogic.h"
static unsigned char record[9];
__attribute__((export_name("_start"))) void start(void) {
    esta_handle audit = esta_cap_lookup("audit", 5);
    if (audit < 0) esta_exit(90);
    record[0] = ESTA_VALUE_I64;
    record[1] = 40;
    if (esta_audit("accrual", 7, record, sizeof record) < 0) esta_exit(91);
    if (esta_send(audit, 0x30, "x", 1, 0, 0, 0) >= 0) esta_exit(92);
    esta_exit(0);
}
)";

class KernelAudit : public kernel::testing::GuestTest {};

std::filesystem::path scratch(const std::string& prefix) {
    auto dir = std::filesystem::path(::testing::TempDir()) / (prefix + std::to_string(::getpid()));
    std::filesystem::remove_all(dir);
    return dir;
}

// A new log under a fresh key in `dir`; the key's public half goes to `public_key`.
Result<std::unique_ptr<observe::AuditLog>> open_log(
    const std::filesystem::path& dir, const observe::Clock& time,
    std::optional<observe::Ed25519PublicKey>& public_key) {
    auto key = ESTA_TRY(observe::Ed25519PrivateKey::generate());
    public_key = key.public_key();
    observe::AuditLogOptions options;
    options.directory = dir.string();
    options.node = "node-test";
    return observe::AuditLog::open(options, std::move(key), time, nullptr);
}

TEST_F(KernelAudit, O2_KernelDecisionsAndTheAuditImportAreChainedRecords) {
    ESTA_BUILD(writer, "writer", kWriter);
    ESTA_BUILD(fragile, "fragile", kernel::testing::guest::kFragile);
    const auto dir = scratch("esta_kernel_audit_");
    observe::ManualClock time(1'700'000'000'000'000'000);
    std::optional<observe::Ed25519PublicKey> public_key;
    auto log = open_log(dir, time, public_key);
    ASSERT_TRUE(log.has_value()) << log.error().to_string();

    observe::MetricsRegistry metrics;
    observe::KernelTelemetry telemetry({&metrics, &time, nullptr, log->get()});
    kernel::ObservedCapabilityAudit capability_audit(telemetry);
    AuditBridge bridge(**log);
    auto audit_object =
        make_ref<kernel::AuditLogObject>(kernel::ObjectId(1'000'000), "audit", bridge);
    kernel::InMemoryDeadLetters dead_letters;
    protocol::ManualClock clock(1'000'000);
    kernel::KernelConfig config;
    config.threads = 1;
    kernel::SyscallServices services;
    services.observer = &telemetry;
    u32 writer_pid_value = 0;
    {
        kernel::Kernel kernel(clock, capability_audit, dead_letters, config, services);
        kernel::ProcessSpec spec = kernel::testing::spec_of(writer);
        spec.grants.push_back(kernel::GrantSpec{"audit", audit_object, kernel::Right::Write});
        auto writer_pid = kernel.spawn(spec);
        ASSERT_TRUE(writer_pid.has_value());
        writer_pid_value = writer_pid->value();
        auto supervised = kernel.supervise(kernel::RestartStrategy::OneForOne,
                                           {{"fragile", kernel::testing::spec_of(fragile)}});
        ASSERT_TRUE(supervised.has_value());
        ASSERT_TRUE(kernel.send(supervised->at(0), kernel::MessageType(0x30), {'X'}));
        ASSERT_TRUE(kernel.send(supervised->at(0), kernel::MessageType(0x30), {'Q'}));
        ASSERT_TRUE(kernel.run_until_idle());
        EXPECT_EQ(kernel::testing::exit_of(kernel, *writer_pid), "normal");
        EXPECT_EQ(kernel::testing::exit_of(kernel, supervised->at(0)), "code(5)");
    }
    ASSERT_TRUE((*log)->close());

    observe::AuditVerifyOptions verify;
    verify.trusted_key = *public_key;
    auto report = observe::verify_audit_log(dir.string(), verify);
    ASSERT_TRUE(report.has_value());
    EXPECT_TRUE(report->ok()) << report->summary();

    auto records = observe::read_audit_records(dir.string(), 0, UINT64_MAX, 1000);
    ASSERT_TRUE(records.has_value());
    std::map<std::string, int> events;
    const observe::Value* accrual = nullptr;
    for (const observe::RecordView& record : *records) {
        const observe::Value* event = record.body.find("event");
        if (!event || !event->as_text()) continue;
        ++events[*event->as_text()];
        if (*event->as_text() == "app.accrual") accrual = record.body.find("data");
    }
    EXPECT_EQ(events["process.spawned"], 3);  // The writer, the child and its restart.
    EXPECT_GE(events["capability.create"], 1);
    EXPECT_EQ(events["capability.validate_denied"], 1);
    EXPECT_EQ(events["process.crashed"], 1);
    EXPECT_EQ(events["message.dead_lettered"], 1);
    EXPECT_EQ(events["process.restarted"], 1);
    ASSERT_EQ(events["app.accrual"], 1);
    ASSERT_NE(accrual, nullptr);
    // The guest's record as written, with the writer the kernel knows.
    const observe::Value* bytes = accrual->find("record");
    ASSERT_TRUE(bytes && bytes->as_bytes());
    EXPECT_EQ(bytes->as_bytes()->data.size(), 9u);
    EXPECT_EQ(*accrual->find("process")->as_i64(), static_cast<i64>(writer_pid_value));
    // Denials are counted for /metrics too.
    EXPECT_NE(metrics.render_prometheus().find("esta_kernel_capability_denials_total{status="),
              std::string::npos);
    std::filesystem::remove_all(dir);
}

// Tries to pass its records off as the kernel's, and a kind the log must not hold.
constexpr const char* kImpostor = R"(#include "estalogic.h"
static unsigned char record[1] = {ESTA_VALUE_NULL};
__attribute__((export_name("_start"))) void start(void) {
    if (esta_audit("capability.create", 17, record, 1) < 0) esta_exit(90);
    if (esta_audit("audit.read", 10, record, 1) < 0) esta_exit(91);
    if (esta_audit("bad kind", 8, record, 1) != -ESTA_INVALID_ARGS) esta_exit(92);
    if (esta_audit("\xff", 1, record, 1) != -ESTA_INVALID_ARGS) esta_exit(93);
    esta_exit(0);
}
)";

TEST_F(KernelAudit, O2_GuestAuditKindsAreNamespacedAndCannotPassForTheKernels) {
    ESTA_BUILD(impostor, "impostor", kImpostor);
    const auto dir = scratch("esta_guest_kinds_");
    observe::ManualClock time(1'700'000'000'000'000'000);
    std::optional<observe::Ed25519PublicKey> public_key;
    auto log = open_log(dir, time, public_key);
    ASSERT_TRUE(log.has_value()) << log.error().to_string();
    AuditBridge bridge(**log);
    auto audit_object =
        make_ref<kernel::AuditLogObject>(kernel::ObjectId(1'000'000), "audit", bridge);
    kernel::NullCapabilityAudit capability_audit;
    kernel::InMemoryDeadLetters dead_letters;
    protocol::ManualClock clock(1'000'000);
    kernel::KernelConfig config;
    config.threads = 1;
    {
        kernel::Kernel kernel(clock, capability_audit, dead_letters, config);
        kernel::ProcessSpec spec = kernel::testing::spec_of(impostor);
        spec.grants.push_back(kernel::GrantSpec{"audit", audit_object, kernel::Right::Write});
        auto pid = kernel.spawn(spec);
        ASSERT_TRUE(pid.has_value());
        ASSERT_TRUE(kernel.run_until_idle());
        EXPECT_EQ(kernel::testing::exit_of(kernel, *pid), "normal");
    }
    ASSERT_TRUE((*log)->close());
    auto records = observe::read_audit_records(dir.string(), 0, UINT64_MAX, 100);
    ASSERT_TRUE(records.has_value());
    std::vector<std::string> events;
    for (const observe::RecordView& record : *records) {
        const observe::Value* event = record.body.find("event");
        if (event && event->as_text()) events.push_back(*event->as_text());
    }
    EXPECT_EQ(events, (std::vector<std::string>{"app.capability.create", "app.audit.read"}));
    std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace esta::app::run
