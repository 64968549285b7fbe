#include "kernel_host.h"

#include "memory_audit_log.h"
#include "module_admission.h"

#include "drivers/embedded/memory_kv.h"
#include "drivers/kernel_bridge/driver_bridge.h"
#include "drivers/kv_driver.h"
#include "kernel/audit_log_object.h"
#include "kernel/call_slot.h"
#include "kernel/cap_audit.h"
#include "kernel/driver_port.h"
#include "kernel/endpoint.h"
#include "kernel/process.h"
#include "kernel/scheduler.h"
#include "kernel/syscalls/syscalls.h"
#include "observe/crypto.h"
#include "observe/json.h"
#include "protocol/clock.h"

namespace esta::accrual {

namespace {

using namespace esta::kernel;

constexpr ProcessId kModulePid{2};
constexpr ProcessId kDecisionsReader{1000};            // The host: it drains the endpoint itself.
constexpr const char* kStatePrefix = "esta/accrual/";  // app.toml: grants.state.kv
constexpr u32 kMaxSlicesPerEvent = 64;  // A message takes one slice; a bound, not a budget.

}  // namespace

struct KernelHost::Parts {
    explicit Parts(bool keep_audit) : audit(keep_audit, kModulePid) {}

    MemoryAuditLog audit;
    NullCapabilityAudit cap_audit;
    CapTree tree{cap_audit};
    ObjectIdAllocator ids;
    protocol::ManualClock clock{1'700'000'000'000'000'000};
    protocol::ManualClock driver_clock{1'000'000};
    Scheduler scheduler;
    Syscalls syscalls{tree, clock, scheduler};
    std::unique_ptr<drivers::KvDriver> kv;
    std::unique_ptr<drivers::KernelDriverBridge> bridge;
    Ref<DriverPort> port;
    Ref<AuditLogObject> audit_object;
    Ref<Endpoint> decisions;
    Ref<Process> process;
    u64 last_fuel = 0;
};

KernelHost::KernelHost(std::unique_ptr<Parts> parts) : m_parts(std::move(parts)) {}

KernelHost::~KernelHost() {
    if (!m_parts) return;
    if (m_parts->process) m_parts->process->kill();
    if (m_parts->kv) m_parts->kv->stop();
}

Result<std::unique_ptr<KernelHost>> KernelHost::create(ByteSpan module_bytes,
                                                       KernelHostOptions options,
                                                       Diagnostics& problems) {
    auto parts = std::make_unique<Parts>(options.keep_audit_records);
    Parts& p = *parts;
    // (1) The grants app.toml gives the accrual process.
    p.kv = std::make_unique<drivers::KvDriver>(std::make_unique<drivers::MemoryKv>(p.driver_clock),
                                               std::vector<drivers::KvScript>{}, nullptr);
    ESTA_TRY(p.kv->start());
    ObjectId port_id = p.ids.next();
    p.bridge = std::make_unique<drivers::KernelDriverBridge>(
        *p.kv, drivers::Scope{"state", drivers::KvScope{kStatePrefix, drivers::kAllKvFamilies, {}}},
        port_id, drivers::scheduler_time(p.scheduler), p.driver_clock);
    p.port = ESTA_TRY(
        DriverPort::create(port_id, drivers::port_object_type(p.kv->kind()), "state", *p.bridge));
    p.audit_object = make_ref<AuditLogObject>(p.ids.next(), "audit", p.audit);
    p.decisions = make_ref<Endpoint>(p.ids.next(), "decisions", kDecisionsReader,
                                     MailboxConfig{.capacity = 16});

    // (2) Load and admit: the hash is the loader's, over the exact bytes.
    AdmittedModule admitted =
        ESTA_TRY(admit_accrual_module(module_bytes, p.port->type(), p.audit, problems));
    p.audit.module_sha256_hex = admitted.sha256_hex;

    // (3) The process.
    SpawnRequest request;
    request.module = admitted.compiled;
    request.now = p.clock.now_ns();
    const Nanos now = p.clock.now_ns();
    request.grants.push_back(
        Grant{"state", p.tree.grant(p.port, Right::Read | Right::Write, {}, kKernelProcess, now)});
    request.grants.push_back(
        Grant{"audit", p.tree.grant(p.audit_object, Right::Write, {}, kKernelProcess, now)});
    request.grants.push_back(
        Grant{"decisions", p.tree.grant(p.decisions, Right::Write, {}, kKernelProcess, now)});
    p.process = ESTA_TRY(Process::spawn(std::move(request), kModulePid, p.ids, p.tree, p.syscalls));
    ESTA_TRY(p.scheduler.add(p.process, now));
    return std::unique_ptr<KernelHost>(new KernelHost(std::move(parts)));
}

Result<std::string> KernelHost::decide(std::string_view line) {
    Parts& p = *m_parts;
    p.clock.advance(1'000);  // T-2: each event is handled at its own kernel time.
    const Nanos now = p.clock.now_ns();
    Message message;
    message.type = message_types::kAccrualRequest;
    message.sender = kKernelProcess;
    message.time = now;
    message.payload.assign(line.begin(), line.end());
    // Sent as a call, the way the HTTP ingress sends it: the module answers by `reply` too.
    auto reply_to = make_ref<CallSlot>(kKernelProcess);
    message.reply_to = reply_to;
    const u64 failed_before = p.process->failed_messages();
    const u64 fuel_before = p.process->fuel_used();
    ESTA_TRY(p.process->mailbox().send(std::move(message)));
    p.scheduler.set_now(now);
    p.scheduler.wake(kModulePid);
    for (u32 slice = 0; slice < kMaxSlicesPerEvent; ++slice) {
        auto report = ESTA_TRY(p.scheduler.run_next(now));
        if (!report) break;
    }
    p.last_fuel = p.process->fuel_used() - fuel_before;
    if (p.process->state() == ProcessState::Completed)
        return Err(Status::Invalid, "accrual.process_ended");
    if (p.process->failed_messages() != failed_before)
        return Err(Status::Invalid, "accrual.message_failed");
    auto answer =
        ESTA_TRY(p.decisions->mailbox().receive(message_types::kAny, Timeout::poll(), now));
    if (!answer) return Err(Status::Internal, "accrual.no_decision");
    if (answer->type != message_types::kAccrualResponse || answer->payload.empty() ||
        answer->payload.back() != '}')
        return Err(Status::Internal, "accrual.bad_decision");
    std::string decision(answer->payload.begin(), answer->payload.end() - 1);
    decision += ",\"module_sha256\":\"";
    decision += p.audit.module_sha256_hex;
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
    return m_parts->audit.module_sha256_hex;
}
u64 KernelHost::fuel_used() const {
    return m_parts->process->fuel_used();
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
