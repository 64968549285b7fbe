// The kernel's side of a live upgrade (kernel_upgrade.cc, docs/OPERATIONS.md "Upgrade"): the
// MODULE_UPGRADE message runs estalogic_migrate instead of the handler, a retired process
// stays down whatever its supervisor does for its siblings, and the handles other processes
// hold to the old version's endpoint reach the new version once it is re-attached.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

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

// Sends each message it gets on to "peer", as it came.
constexpr const char* kForwarder = R"(#include "estalogic.h"
static char buf[64];
static esta_info info;
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    esta_i32 n = esta_recv(ESTA_RECV_POLL, 0, buf, sizeof buf, &info);
    if (n < 0) return n;
    esta_i64 sent = esta_send(esta_cap_lookup("peer", 4), 0x30, buf, (esta_u32)n, 0, 0, 0);
    return sent < 0 ? (esta_i32)sent : 0;
}
)";

// Tells "out" which version got which message through which badge: VERSION, the sender's
// badge (a digit) and the payload's first byte.
std::string tagger(char version) {
    return std::string(R"(#include "estalogic.h"
static char buf[64];
static esta_info info;
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    esta_i32 n = esta_recv(ESTA_RECV_POLL, 0, buf, sizeof buf, &info);
    if (n < 1) return -1;
    char tag[3] = {')") +
           version + R"(', (char)('0' + info.sender_badge), buf[0]};
    esta_i64 sent = esta_send(esta_cap_lookup("out", 3), 0x20, tag, 3, 0, 0, 0);
    return sent < 0 ? (esta_i32)sent : 0;
}
)";
}

using KernelUpgrade = testing::KernelGuestTest;

std::vector<std::string> taken(Kernel& kernel, Endpoint& sink) {
    std::vector<std::string> lines;
    for (const Message& message : kernel.take(sink, 100))
        lines.emplace_back(message.payload.begin(), message.payload.end());
    return lines;
}

// Two versions of a receiver writing to `sink`, and a forwarder holding a handle to the old
// one's endpoint with `rights` and `badge`.
struct Versions {
    Ref<Endpoint> sink =
        make_ref<Endpoint>(ObjectId(900'001), "sink", ProcessId(900'000), MailboxConfig{});
    ProcessId old_pid;
    ProcessId new_pid;
    ProcessId sender;

    Versions(Kernel& kernel, Module forwarder, Module old_version, Module new_version,
             Rights rights, u32 badge) {
        auto receiver = [&](Module module) {
            ProcessSpec spec = spec_of(std::move(module));
            spec.grants.push_back(GrantSpec{"out", sink, Right::Write});
            return *kernel.spawn(std::move(spec));
        };
        old_pid = receiver(std::move(old_version));
        new_pid = receiver(std::move(new_version));
        ProcessSpec spec = spec_of(std::move(forwarder));
        spec.grants.push_back(GrantSpec{"peer", kernel.endpoint(old_pid), rights, badge});
        sender = *kernel.spawn(std::move(spec));
    }
};

TEST_F(KernelUpgrade, V2_AHeldEndpointReachesTheNewVersionWhileTheOldFinishesItsQueue) {
    ESTA_BUILD(forwarder, "forwarder", kForwarder);
    ESTA_BUILD(old_version, "tagger_1", tagger('1'));
    ESTA_BUILD(new_version, "tagger_2", tagger('2'));
    Kernel kernel(clock, audit, dead_letters, config);
    Versions v(kernel, forwarder, old_version, new_version, Right::Write, 7);

    ASSERT_TRUE(kernel.send(v.sender, MessageType(0x30), {'a'}));
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_EQ(taken(kernel, *v.sink), (std::vector<std::string>{"17a"}));

    // 'b' is queued for the old version (the sender's one slice ran, not the receiver's)
    // when the new one is re-attached to the endpoint the sender holds.
    ASSERT_TRUE(kernel.send(v.sender, MessageType(0x30), {'b'}));
    ASSERT_TRUE(kernel.run_until_idle(1));
    ASSERT_FALSE(kernel.settled(v.old_pid));
    ASSERT_TRUE(kernel.redirect(v.old_pid, v.new_pid));
    // What is queued is not dropped by retiring: the old version has not finished.
    EXPECT_EQ(kernel.retire(v.old_pid).error().code, Status::Invalid);

    ASSERT_TRUE(kernel.send(v.sender, MessageType(0x30), {'c'}));
    ASSERT_TRUE(kernel.run_until_idle());
    ASSERT_TRUE(kernel.settled(v.old_pid));
    ASSERT_TRUE(kernel.retire(v.old_pid));
    ASSERT_TRUE(kernel.send(v.sender, MessageType(0x30), {'d'}));
    ASSERT_TRUE(kernel.run_until_idle());

    // Each once, 'b' by the old version, the rest after the switch by the new one, all
    // through the sender's unchanged handle (badge 7).
    std::vector<std::string> lines = taken(kernel, *v.sink);
    std::sort(lines.begin(), lines.end());
    EXPECT_EQ(lines, (std::vector<std::string>{"17b", "27c", "27d"}));
    EXPECT_EQ(kernel.process(v.sender)->failed_messages, 0u);
    EXPECT_EQ(kernel.redirect(v.old_pid, v.old_pid).error().code, Status::Invalid);
    EXPECT_EQ(kernel.redirect(ProcessId(999), v.new_pid).error().code, Status::NotFound);
}

TEST_F(KernelUpgrade, V2_ARedirectedEndpointKeepsTheHoldersRights) {
    ESTA_BUILD(forwarder, "forwarder", kForwarder);
    ESTA_BUILD(old_version, "tagger_1", tagger('1'));
    ESTA_BUILD(new_version, "tagger_2", tagger('2'));
    Kernel kernel(clock, audit, dead_letters, config);
    // A handle without WRITE: the sender may not send through it, before or after.
    Versions v(kernel, forwarder, old_version, new_version, Right::Read, 3);
    ASSERT_TRUE(kernel.send(v.sender, MessageType(0x30), {'a'}));
    ASSERT_TRUE(kernel.run_until_idle());
    ASSERT_TRUE(kernel.redirect(v.old_pid, v.new_pid));
    ASSERT_TRUE(kernel.retire(v.old_pid));
    ASSERT_TRUE(kernel.send(v.sender, MessageType(0x30), {'b'}));
    ASSERT_TRUE(kernel.run_until_idle());
    EXPECT_TRUE(taken(kernel, *v.sink).empty());
    EXPECT_EQ(kernel.process(v.sender)->failed_messages, 2u);
}

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
