#include "kernel/process.h"

#include <gtest/gtest.h>

#include <atomic>

#include "kernel/test_support.h"

namespace esta::kernel {
namespace {

using Bytes = std::vector<u8>;

// Hand-assembled modules (WebAssembly binary format), each a few bytes, so the tests need
// no toolchain. `_start` is the function at the index given in the export section.
const Bytes kHeader = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};

Bytes module_with(std::initializer_list<Bytes> sections) {
    Bytes bytes = kHeader;
    for (const Bytes& section : sections)
        bytes.insert(bytes.end(), section.begin(), section.end());
    return bytes;
}

const Bytes kTypeVoid = {0x01, 0x04, 0x01, 0x60, 0x00, 0x00};  // type 0: () -> ()
const Bytes kOneFunctionOfType0 = {0x03, 0x02, 0x01, 0x00};
const Bytes kExportStart0 = {0x07, 0x0a, 0x01, 0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x00};

// (func (export "_start"))
Bytes returns_module() {
    return module_with(
        {kTypeVoid, kOneFunctionOfType0, kExportStart0, {0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b}});
}
// (func (export "_start") unreachable)
Bytes traps_module() {
    return module_with({kTypeVoid,
                        kOneFunctionOfType0,
                        kExportStart0,
                        {0x0a, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0b}});
}
// (func (export "_start") (loop br 0))
Bytes loops_module() {
    return module_with({kTypeVoid,
                        kOneFunctionOfType0,
                        kExportStart0,
                        {0x0a, 0x09, 0x01, 0x07, 0x00, 0x03, 0x40, 0x0c, 0x00, 0x0b, 0x0b}});
}
// (import "estalogic" "exit" (func (param i32)))
// (func (export "_start") (call 0 (i32.const 7)))
Bytes exits_module() {
    return module_with({
        {0x01, 0x08, 0x02, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x00, 0x00},
        {0x02, 0x12, 0x01, 0x09, 'e', 's', 't', 'a', 'l',  'o',
         'g',  'i',  'c',  0x04, 'e', 'x', 'i', 't', 0x00, 0x00},
        {0x03, 0x02, 0x01, 0x01},
        {0x07, 0x0a, 0x01, 0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x01},
        {0x0a, 0x08, 0x01, 0x06, 0x00, 0x41, 0x07, 0x10, 0x00, 0x0b},
    });
}
// (import "estalogic" "yield" (func (result i32)))
// (func (export "_start") (drop (call 0)))
Bytes waits_module() {
    return module_with({
        {0x01, 0x08, 0x02, 0x60, 0x00, 0x01, 0x7f, 0x60, 0x00, 0x00},
        {0x02, 0x13, 0x01, 0x09, 'e', 's', 't', 'a', 'l',  'o', 'g',
         'i',  'c',  0x05, 'y',  'i', 'e', 'l', 'd', 0x00, 0x00},
        {0x03, 0x02, 0x01, 0x01},
        {0x07, 0x0a, 0x01, 0x06, '_', 's', 't', 'a', 'r', 't', 0x00, 0x01},
        {0x0a, 0x07, 0x01, 0x05, 0x00, 0x10, 0x00, 0x1a, 0x0b},
    });
}

// A stand-in for the syscall layer: `exit` ends the process, `yield` waits once (as a
// blocking recv would) and returns 0 when resumed.
class FakeSyscalls final : public ImportProvider {
  public:
    void define_imports(wasm::Store& store, Process& process, wasm::Linker& linker) override {
        using wasm::ValType;
        auto exit = store.create_host_function(
            wasm::FuncType{{ValType::I32}, {}},
            [](wasm::HostContext&, std::span<const wasm::Value> args, std::span<wasm::Value>) {
                return wasm::HostResult::exit(args[0].as_i32());
            });
        Process* self = &process;
        auto yield = store.create_host_function(
            wasm::FuncType{{}, {ValType::I32}},
            [this, self](wasm::HostContext&, std::span<const wasm::Value>,
                         std::span<wasm::Value> results) {
                if (waits_left > 0) {
                    --waits_left;
                    self->prepare_wait(ProcessState::Waiting);
                    return wasm::HostResult::block();
                }
                results[0] = wasm::Value::i32(0);
                return wasm::HostResult::ok();
            });
        linker.define("estalogic", "exit", wasm::Extern::of(exit));
        linker.define("estalogic", "yield", wasm::Extern::of(yield));
    }
    int waits_left = 1;
};

class ProcessTest : public ::testing::Test {
  protected:
    Result<Ref<Process>> spawn(const Bytes& bytes, SpawnRequest request = {}) {
        auto module = wasm::compile(ByteSpan(bytes.data(), bytes.size()));
        EXPECT_TRUE(module.has_value()) << module.error().to_string();
        if (!module) return module.error();
        request.module = *module;
        return Process::spawn(std::move(request), ProcessId(++m_last_pid), ids, tree, syscalls);
    }
    Ref<Process> ready(const Bytes& bytes, SpawnRequest request = {}) {
        auto process = spawn(bytes, std::move(request));
        EXPECT_TRUE(process.has_value()) << process.error().to_string();
        EXPECT_TRUE((*process)->transition(ProcessState::Ready).has_value());
        return *process;
    }

    testing::RecordingAudit audit;
    CapTree tree{audit};
    ObjectIdAllocator ids;
    FakeSyscalls syscalls;
    u32 m_last_pid = 0;
};

TEST(ProcessLifecycle, K1_AllowedTransitions) {
    using enum ProcessState;
    EXPECT_TRUE(is_allowed_transition(Created, Ready));
    EXPECT_TRUE(is_allowed_transition(Ready, Running));
    EXPECT_TRUE(is_allowed_transition(Running, Waiting));
    EXPECT_TRUE(is_allowed_transition(Running, Blocked));
    EXPECT_TRUE(is_allowed_transition(Running, Ready));
    EXPECT_TRUE(is_allowed_transition(Waiting, Ready));
    EXPECT_TRUE(is_allowed_transition(Blocked, Ready));
    EXPECT_TRUE(is_allowed_transition(Waiting, Completed));  // Killed while waiting.
    EXPECT_FALSE(is_allowed_transition(Created, Running));
    EXPECT_FALSE(is_allowed_transition(Waiting, Running));
    EXPECT_FALSE(is_allowed_transition(Ready, Waiting));
    EXPECT_FALSE(is_allowed_transition(Completed, Ready));
    EXPECT_EQ(process_state_name(Blocked), "Blocked");
}

TEST_F(ProcessTest, K1_SpawnStartsCreatedWithPriorityMailboxAndGrants) {
    SpawnRequest request;
    request.priority = Priority::High;
    Handle kv = tree.grant(make_ref<testing::FakeTopic>(ids.next(), "decisions"), Right::Write, {},
                           kKernelProcess, 0);
    request.grants.push_back(Grant{"decisions", std::move(kv)});
    auto process = spawn(returns_module(), std::move(request));
    ASSERT_TRUE(process.has_value()) << process.error().to_string();
    EXPECT_EQ((*process)->state(), ProcessState::Created);
    EXPECT_EQ((*process)->priority(), Priority::High);
    EXPECT_EQ((*process)->mailbox().config().capacity, 4096u);
    EXPECT_EQ((*process)->type(), ObjectType::Process);
    HandleValue granted = *(*process)->lookup_grant("decisions");
    auto topic = (*process)->handles().get<testing::FakeTopic>(granted, Right::Write,
                                                               {(*process)->pid(), 0});
    ASSERT_TRUE(topic.has_value());
    EXPECT_EQ((*topic)->resource().name, "decisions");
    EXPECT_EQ((*process)->lookup_grant("kv").error().code, Status::NotFound);
}

TEST_F(ProcessTest, K1_SpawnRefusals) {
    SpawnRequest system;
    system.priority = Priority::System;
    EXPECT_EQ(spawn(returns_module(), std::move(system)).error().code, Status::InvalidArgs);
    SpawnRequest missing;
    missing.entry = "main";
    EXPECT_EQ(spawn(returns_module(), std::move(missing)).error().code, Status::NotFound);
    EXPECT_EQ(Process::spawn(SpawnRequest{}, ProcessId(9), ids, tree, syscalls).error().code,
              Status::InvalidArgs);
    int zero_calls = 0;
    SpawnRequest duplicate;
    for (int i = 0; i < 2; ++i) {
        duplicate.grants.push_back(
            Grant{"same", tree.grant(make_ref<testing::FakeTopic>(ids.next(), "t", &zero_calls),
                                     Right::Read, {}, kKernelProcess, 0)});
    }
    EXPECT_EQ(spawn(returns_module(), std::move(duplicate)).error().code, Status::InvalidArgs);
    EXPECT_EQ(zero_calls, 2);  // Nothing left behind: the refused grants were dropped.
}

TEST_F(ProcessTest, K1_UnlinkableImportIsRefused) {
    class NoImports final : public ImportProvider {
        void define_imports(wasm::Store&, Process&, wasm::Linker&) override {}
    } none;
    auto module = *wasm::compile(ByteSpan(exits_module().data(), exits_module().size()));
    SpawnRequest request;
    request.module = module;
    EXPECT_EQ(Process::spawn(std::move(request), ProcessId(5), ids, tree, none).error().code,
              Status::Unlinkable);
}

TEST_F(ProcessTest, K1_ReturnFromEntryIsNormalExit) {
    Ref<Process> process = ready(returns_module());
    auto slice = process->run_slice();
    ASSERT_TRUE(slice.has_value());
    EXPECT_EQ(slice->state, ProcessState::Completed);
    EXPECT_EQ(process->exit_reason()->kind, ExitReason::Kind::Normal);
    EXPECT_EQ(process->run_slice().error().code, Status::Invalid);  // Completed is final.
}

TEST_F(ProcessTest, K1_ExitWithCode) {
    Ref<Process> process = ready(exits_module());
    ASSERT_TRUE(process->run_slice().has_value());
    EXPECT_EQ(process->state(), ProcessState::Completed);
    EXPECT_EQ(process->exit_reason()->kind, ExitReason::Kind::Code);
    EXPECT_EQ(process->exit_reason()->code, 7);
    EXPECT_EQ(process->exit_reason()->to_string(), "code(7)");
}

TEST_F(ProcessTest, K1_TrapIsCrashedWithTheTrap) {
    Ref<Process> process = ready(traps_module());
    ASSERT_TRUE(process->run_slice().has_value());
    ASSERT_EQ(process->exit_reason()->kind, ExitReason::Kind::Crashed);
    EXPECT_EQ(process->exit_reason()->trap->kind, wasm::TrapKind::Unreachable);
    EXPECT_EQ(process->exit_reason()->to_string(), "crashed(trap 4001)");
}

TEST_F(ProcessTest, K1_SpentSliceSuspendsAndResumes) {
    SpawnRequest request;
    request.budgets.fuel_per_slice = 1000;
    Ref<Process> process = ready(loops_module(), std::move(request));
    for (int slice = 0; slice < 3; ++slice) {
        auto result = process->run_slice();
        ASSERT_TRUE(result.has_value());
        EXPECT_EQ(result->state, ProcessState::Ready);  // Preempted, not trapped.
        // The engine stops at the safepoint before the budget would be overrun.
        EXPECT_GE(result->fuel_used, 990u);
        EXPECT_LE(result->fuel_used, 1000u);
    }
    EXPECT_GE(process->fuel_used(), 2970u);
    process->kill();
    EXPECT_EQ(process->exit_reason()->kind, ExitReason::Kind::Killed);
}

TEST_F(ProcessTest, K1_PreemptFlagStopsAtTheNextSafepoint) {
    SpawnRequest request;
    request.budgets.fuel_per_slice = wasm::kUnlimitedFuel;
    Ref<Process> process = ready(loops_module(), std::move(request));
    std::atomic<bool> preempt{true};
    auto result = process->run_slice(&preempt);
    ASSERT_TRUE(result.has_value());
    EXPECT_EQ(result->state, ProcessState::Ready);
    EXPECT_LT(result->fuel_used, 100u);
}

TEST_F(ProcessTest, K1_BlockingHostCallIsWaitingThenResumes) {
    Ref<Process> process = ready(waits_module());
    auto first = process->run_slice();
    ASSERT_TRUE(first.has_value());
    EXPECT_EQ(first->state, ProcessState::Waiting);
    EXPECT_EQ(process->run_slice().error().code, Status::Invalid);      // Not ready while waiting.
    ASSERT_TRUE(process->transition(ProcessState::Ready).has_value());  // A message arrived.
    auto second = process->run_slice();
    ASSERT_TRUE(second.has_value());
    EXPECT_EQ(second->state, ProcessState::Completed);
    EXPECT_EQ(process->exit_reason()->kind, ExitReason::Kind::Normal);
}

TEST_F(ProcessTest, K1_KillReleasesHandlesAndClosesTheMailbox) {
    int zero_calls = 0;
    SpawnRequest request;
    request.grants.push_back(
        Grant{"t", tree.grant(make_ref<testing::FakeTopic>(ids.next(), "t", &zero_calls),
                              Right::Read, {}, kKernelProcess, 0)});
    Ref<Process> process = ready(waits_module(), std::move(request));
    ASSERT_TRUE(process->run_slice().has_value());
    EXPECT_EQ(process->state(), ProcessState::Waiting);
    process->kill();
    EXPECT_EQ(process->state(), ProcessState::Completed);
    EXPECT_EQ(process->exit_reason()->to_string(), "killed");
    EXPECT_EQ(zero_calls, 1);
    EXPECT_EQ(process->handles().size(), 0u);
    EXPECT_TRUE(process->mailbox().closed());
    process->kill();  // Idempotent.
    EXPECT_EQ(process->exit_reason()->kind, ExitReason::Kind::Killed);
}

}  // namespace
}  // namespace esta::kernel
