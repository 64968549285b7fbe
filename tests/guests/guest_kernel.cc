#include "guest_kernel.h"

#include <gtest/gtest.h>

#include <climits>
#include <fstream>
#include <iterator>
#include <map>

namespace esta::kernel::testing {

#ifdef ESTA_GUEST_DIR
bool guests_built() {
    return true;
}
std::vector<u8> guest_bytes(const std::string& name) {
    std::ifstream file(std::string(ESTA_GUEST_DIR) + "/" + name + ".wasm", std::ios::binary);
    return std::vector<u8>((std::istreambuf_iterator<char>(file)),
                           std::istreambuf_iterator<char>());
}
#else
bool guests_built() {
    return false;
}
std::vector<u8> guest_bytes(const std::string&) {
    return {};
}
#endif

std::shared_ptr<const wasm::CompiledModule> guest_module(const std::string& name) {
    // Compiled once per test binary: modules are immutable and shareable.
    static std::map<std::string, std::shared_ptr<const wasm::CompiledModule>> cache;
    auto found = cache.find(name);
    if (found != cache.end()) return found->second;
    std::vector<u8> bytes = guest_bytes(name);
    if (bytes.empty()) return nullptr;
    auto module = wasm::compile(ByteSpan(bytes.data(), bytes.size()));
    EXPECT_TRUE(module.has_value()) << name << ": " << module.error().to_string();
    if (!module) return nullptr;
    cache.emplace(name, *module);
    return *module;
}

GuestKernel::GuestKernel()
    : report_endpoint(make_ref<Endpoint>(ids.next(), "report", kReportReader,
                                         MailboxConfig{.capacity = 256})) {}

Result<Ref<Process>> GuestKernel::spawn(const std::string& name, u32 pid, SpawnRequest request) {
    request.module = guest_module(name);
    if (!request.module) return Err(Status::NotFound, "guest module not built");
    request.now = clock.now_ns();
    return Process::spawn(std::move(request), ProcessId(pid), ids, tree, syscalls);
}

Ref<Process> GuestKernel::start(const std::string& name, u32 pid, SpawnRequest request) {
    auto process = spawn(name, pid, std::move(request));
    EXPECT_TRUE(process.has_value()) << name << ": " << process.error().to_string();
    if (!process) return Ref<Process>();
    // The report's badge is the sender's pid, so reports can be told apart.
    EXPECT_TRUE((*process)->add_grant(
        "report", tree.grant(report_endpoint, Right::Write, {}, kKernelProcess, 0, pid)));
    EXPECT_TRUE(scheduler.add(*process, clock.now_ns()));
    return *process;
}

void GuestKernel::connect(Process& from, const std::string& name, Process& to, Rights rights,
                          u32 badge) {
    EXPECT_TRUE(
        from.add_grant(name, tree.grant(to.endpoint(), rights, {}, kKernelProcess, 0, badge)));
}

u32 GuestKernel::run(u32 max_slices) {
    u32 slices = 0;
    u32 idle_ms = 0;
    while (slices < max_slices && idle_ms < kMaxIdleMs) {
        clock.advance(kNanosPerMilli);
        scheduler.set_now(clock.now_ns());
        scheduler.expire_timeouts(clock.now_ns());
        auto report = scheduler.run_next(clock.now_ns());
        EXPECT_TRUE(report.has_value()) << report.error().to_string();
        if (!report) break;
        if (!report->has_value()) {
            ++idle_ms;  // Nothing ready: let time pass for receivers with a deadline.
            continue;
        }
        idle_ms = 0;
        ++slices;
    }
    return slices;
}

std::vector<abi::AbiValue> GuestKernel::take_reports() {
    for (;;) {
        auto message = report_endpoint->mailbox().receive(message_types::kAny, Timeout::poll(), 0);
        if (!message || !message->has_value()) break;
        Message& got = **message;
        auto value = abi::decode_value(ByteSpan(got.payload.data(), got.payload.size()));
        EXPECT_TRUE(value.has_value()) << "a report that does not decode";
        if (value) m_reports.emplace_back(got.sender_badge, std::move(*value));
    }
    std::vector<abi::AbiValue> reports;
    for (const auto& [badge, report] : m_reports)
        reports.push_back(report);
    return reports;
}

abi::AbiValue GuestKernel::report_of(u32 pid) {
    (void)take_reports();
    for (const auto& [badge, report] : m_reports) {
        if (badge == pid) return report;
    }
    return abi::AbiValue();
}

i64 GuestKernel::entry(const abi::AbiValue& report, const std::string& key) {
    const abi::AbiValue* value = report.find(key);
    const i64* number = value ? value->get<i64>() : nullptr;
    return number ? *number : INT64_MIN;
}

}  // namespace esta::kernel::testing
