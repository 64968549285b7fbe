// The kernel's side of a live upgrade (kernel_upgrade.cc, docs/OPERATIONS.md "Upgrade"): the
// MODULE_UPGRADE message runs estalogic_migrate instead of the handler, and a retired
// process stays down whatever its supervisor does for its siblings.
#include <gtest/gtest.h>

#include "kernel/runtime/guest_test.h"
#include "kernel/runtime/kernel_runtime.h"

namespace esta::kernel {
namespace {

using testing::exit_of;
using testing::Module;
using testing::spec_of;
namespace guest = testing::guest;

// The handler fails anything but 0x30; the hook exits 7 when it holds the upgrade message.
constexpr const char* kMigrating = R"(#include "estalogic.h"
static char buf[64];
static esta_info info;
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    if (esta_recv(ESTA_RECV_POLL, 0, buf, sizeof buf, &info) < 0) return -1;
    return info.type == 0x30 ? 0 : -2;
}
__attribute__((export_name("estalogic_migrate"))) esta_i32 migrate(void) {
    if (esta_recv(ESTA_RECV_POLL, 0, buf, sizeof buf, &info) < 0) return -1;
    if (info.type == ESTA_MSG_MODULE_UPGRADE && buf[0] == 'm') esta_exit(7);
    return -3;
}
)";

constexpr const char* kBadHook = R"(#include "estalogic.h"
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) { return 0; }
__attribute__((export_name("estalogic_migrate"))) void migrate(int from) { (void)from; }
)";

using KernelUpgrade = testing::KernelGuestTest;

TEST_F(KernelUpgrade, V2_TheUpgradeMessageRunsTheMigrationHookAndOthersTheHandler) {
    ESTA_BUILD(migrating, "migrating", kMigrating);
    Kernel kernel(clock, audit, dead_letters, config);
    ProcessId handled = *kernel.spawn(spec_of(migrating));
    ProcessId migrated = *kernel.spawn(spec_of(migrating));
    ASSERT_TRUE(kernel.send(handled, MessageType(0x30), {'e'}));
    ASSERT_TRUE(kernel.send(migrated, message_types::kModuleUpgrade, {'m'}));
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(kernel.process(handled)->failed_messages, 0u);
    EXPECT_EQ(exit_of(kernel, handled), "none");
    EXPECT_EQ(exit_of(kernel, migrated), "code(7)");
}

TEST_F(KernelUpgrade, V2_AMigrationHookOfTheWrongTypeIsRefusedAtSpawn) {
    ESTA_BUILD(bad, "bad_hook", kBadHook);
    Kernel kernel(clock, audit, dead_letters, config);
    auto spawned = kernel.spawn(spec_of(bad));
    ASSERT_FALSE(spawned.has_value());
    EXPECT_EQ(spawned.error().code, Status::WrongType);
}

TEST_F(KernelUpgrade, K32_ARetiredChildStaysDownWhenItsSiblingsRestart) {
    ESTA_BUILD(fragile, "fragile", guest::kFragile);
    Kernel kernel(clock, audit, dead_letters, config);
    auto pids = *kernel.supervise(RestartStrategy::OneForAll,
                                  {{"a", spec_of(fragile)}, {"b", spec_of(fragile)}});
    ASSERT_TRUE(kernel.run_until_idle());
    ASSERT_TRUE(kernel.retire(pids[1]));
    EXPECT_EQ(exit_of(kernel, pids[1]), "killed");
    EXPECT_FALSE(kernel.send(pids[1], MessageType(0x30), {'Q'}).has_value());  // Closed.
    ASSERT_TRUE(kernel.send(pids[0], MessageType(0x30), {'X'}));
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(kernel.process(pids[0])->restarts, 1u);
    EXPECT_EQ(kernel.process(pids[1])->restarts, 0u);
    EXPECT_EQ(kernel.process(pids[1])->state, ProcessState::Completed);
    EXPECT_EQ(kernel.retire(ProcessId(999)).error().code, Status::NotFound);
}

}  // namespace
}  // namespace esta::kernel
