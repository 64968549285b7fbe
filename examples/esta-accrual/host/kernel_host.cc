#include "kernel_host.h"

#include <optional>

#include "memory_audit_log.h"
#include "module_admission.h"

#include "drivers/embedded/memory_kv.h"
#include "drivers/kernel_bridge/driver_bridge.h"
#include "drivers/kv_driver.h"
#include "kernel/audit_log_object.h"
#include "kernel/cap_audit.h"
#include "kernel/driver_port.h"
#include "kernel/endpoint.h"
#include "kernel/runtime/kernel_runtime.h"
#include "kernel/supervisor.h"
#include "observe/crypto.h"
#include "observe/json.h"
#include "protocol/clock.h"

namespace esta::accrual {

namespace {

using namespace esta::kernel;

constexpr ProcessId kDecisionsReader{1000};            // The host: it drains the endpoint itself.
constexpr const char* kStatePrefix = "esta/accrual/";  // app.toml: grants.state.kv
constexpr u64 kMaxSlicesPerEvent = 64;  // A message takes one slice; a bound, not a budget.

}  // namespace

struct KernelHost::Parts {
    explicit Parts(bool keep_audit)
        : audit(keep_audit, ProcessId(0xFFFF'FFFF)),  // No module until spawn.
          kernel(clock, cap_audit, dead_letters, KernelConfig{.threads = 1}) {}

    // Objects the host makes get ids from a range of their own, apart from the kernel's.
    ObjectId next_host_id() { return ObjectId(kHostObjectIds + ++host_objects); }
    static constexpr u64 kHostObjectIds = u64{3} << 30;  // Ids fit 32 bits (the bridge).

    MemoryAuditLog audit;
    NullCapabilityAudit cap_audit;
    InMemoryDeadLetters dead_letters;
    protocol::ManualClock clock{1'700'000'000'000'000'000};
    protocol::ManualClock driver_clock{1'000'000};
    Kernel kernel;
    u64 host_objects = 0;
    std::unique_ptr<drivers::KvDriver> kv;
    std::unique_ptr<drivers::KernelDriverBridge> bridge;
    Ref<DriverPort> port;
    Ref<AuditLogObject> audit_object;
    Ref<Endpoint> decisions;
    Ref<Endpoint> answers;  // The caller's answers, when there is a caller.
    ProcessId pid{};
    std::optional<ProcessId> caller;
    u64 last_fuel = 0;
};

KernelHost::KernelHost(std::unique_ptr<Parts> parts) : m_parts(std::move(parts)) {}

KernelHost::~KernelHost() {
    if (!m_parts) return;
    m_parts->kernel.shutdown();
    if (m_parts->kv) m_parts->kv->stop();
}

Result<std::unique_ptr<KernelHost>> KernelHost::create(ByteSpan module_bytes,
                                                       KernelHostOptions options,
                                                       Diagnostics& problems) {
    auto parts = std::make_unique<Parts>(options.keep_audit_records);
    Parts& p = *parts;
    // (1) The grants app.toml gives the accrual process. The kernel's clock stands still
    // while a message is handled, so the driver's deadlines are measured from it exactly.
    p.kv = std::make_unique<drivers::KvDriver>(std::make_unique<drivers::MemoryKv>(p.driver_clock),
                                               std::vector<drivers::KvScript>{}, nullptr);
    ESTA_TRY(p.kv->start());
    ObjectId port_id = p.next_host_id();
    p.bridge = std::make_unique<drivers::KernelDriverBridge>(
        *p.kv, drivers::Scope{"state", drivers::KvScope{kStatePrefix, drivers::kAllKvFamilies, {}}},
        port_id, drivers::clock_time(p.clock), p.driver_clock);
    p.port = ESTA_TRY(
        DriverPort::create(port_id, drivers::port_object_type(p.kv->kind()), "state", *p.bridge));
    p.audit_object = make_ref<AuditLogObject>(p.next_host_id(), "audit", p.audit);
    p.decisions = make_ref<Endpoint>(p.next_host_id(), "decisions", kDecisionsReader,
                                     MailboxConfig{.capacity = 16});

    // (2) Load and admit: the hash is the loader's, over the exact bytes.
    AdmittedModule admitted =
        ESTA_TRY(admit_accrual_module(module_bytes, p.port->type(), p.audit, problems));

    // (3) The process, on the Kernel runtime (run on this thread, deterministically).
    ProcessSpec spec;
    spec.module = admitted.compiled;
    spec.grants.push_back(GrantSpec{"state", p.port, Right::Read | Right::Write});
    spec.grants.push_back(GrantSpec{"audit", p.audit_object, Right::Write});
    spec.grants.push_back(GrantSpec{"decisions", p.decisions, Right::Write});
    p.pid = ESTA_TRY(p.kernel.spawn(std::move(spec)));
    p.audit.set_module(p.pid, admitted.sha256_hex);

    // (4) The caller, when asked for: a test module without a manifest, compiled directly.
    if (!options.caller_module.empty()) {
        auto compiled =
            wasm::compile(ByteSpan(options.caller_module.data(), options.caller_module.size()));
        if (!compiled) return compiled.error();
        p.answers = make_ref<Endpoint>(p.next_host_id(), "answers", kDecisionsReader,
                                       MailboxConfig{.capacity = 16});
        ProcessSpec caller;
        caller.module = *compiled;
        caller.grants.push_back(GrantSpec{"accrual", p.kernel.endpoint(p.pid), Right::Write});
        caller.grants.push_back(GrantSpec{"answers", p.answers, Right::Write});
        p.caller = ESTA_TRY(p.kernel.spawn(std::move(caller)));
    }
    return std::unique_ptr<KernelHost>(new KernelHost(std::move(parts)));
}

Result<std::string> KernelHost::decide(std::string_view line) {
    Parts& p = *m_parts;
    p.clock.advance(1'000);  // T-2: each event is handled at its own kernel time.
    auto before = p.kernel.process(p.pid);
    if (!before) return Err(Status::Internal, "accrual.no_process");
    ESTA_TRY(p.kernel.send(p.caller.value_or(p.pid), message_types::kAccrualRequest,
                           std::vector<u8>(line.begin(), line.end())));
    ESTA_TRY(p.kernel.run_until_idle(kMaxSlicesPerEvent));
    if (p.caller && p.kernel.process(*p.caller)->state == ProcessState::Completed)
        return Err(Status::Invalid, "accrual.caller_ended");
    auto after = p.kernel.process(p.pid);
    if (!after) return Err(Status::Internal, "accrual.no_process");
    p.last_fuel = after->fuel_used - before->fuel_used;
    if (after->state == ProcessState::Completed)
        return Err(Status::Invalid, "accrual.process_ended");
    if (after->failed_messages != before->failed_messages)
        return Err(Status::Invalid, "accrual.message_failed");
    auto answer = ESTA_TRY(
        p.decisions->mailbox().receive(message_types::kAny, Timeout::poll(), p.clock.now_ns()));
    if (!answer) return Err(Status::Internal, "accrual.no_decision");
    if (answer->type != message_types::kAccrualResponse || answer->payload.empty() ||
        answer->payload.back() != '}')
        return Err(Status::Internal, "accrual.bad_decision");
    if (p.answers) {
        // The caller's answer is the module's reply: the same line as the recorded decision.
        auto replied = ESTA_TRY(
            p.answers->mailbox().receive(message_types::kAny, Timeout::poll(), p.clock.now_ns()));
        if (!replied) return Err(Status::Internal, "accrual.no_reply");
        if (replied->payload != answer->payload)
            return Err(Status::Internal, "accrual.reply_differs");
    }
    std::string decision(answer->payload.begin(), answer->payload.end() - 1);
    decision += ",\"module_sha256\":\"";
    decision += p.audit.module_sha256_hex();
    decision += "\"}";
    return decision;
}

std::optional<std::vector<u8>> KernelHost::stored(std::string_view key) {
    Parts& p = *m_parts;
    drivers::Scope whole{"host", drivers::KvScope{"", drivers::kAllKvFamilies, {}}};
    drivers::CallContext context{whole, 0, p.driver_clock.now_ns() + 5'000 * kNanosPerMilli,
                                 drivers::Caller::Module, "esta-host"};
    auto got =
        p.kv->call(drivers::kv_op::kGet,
                   drivers::ValueList{std::string(kStatePrefix) + std::string(key)}, context);
    if (!got) return std::nullopt;
    const auto* bytes = got->get<kernel::abi::ByteString>();
    if (bytes == nullptr) return std::nullopt;
    return *bytes;
}

const std::string& KernelHost::module_sha256_hex() const {
    return m_parts->audit.module_sha256_hex();
}
u64 KernelHost::fuel_used() const {
    auto info = m_parts->kernel.process(m_parts->pid);
    return info ? info->fuel_used : 0;
}
u64 KernelHost::last_fuel() const {
    return m_parts->last_fuel;
}
u64 KernelHost::audit_count() const {
    return m_parts->audit.count();
}
std::string KernelHost::audit_digest_hex() const {
    return m_parts->audit.digest_hex();
}
const std::vector<AuditEntry>& KernelHost::audit_records() const {
    return m_parts->audit.records();
}

}  // namespace esta::accrual
