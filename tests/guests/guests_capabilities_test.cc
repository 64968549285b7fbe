// The capability abuser (modules/cap_abuser.c) with its victim and three helpers under the
// kernel: every refusal it meets is reported back and checked here, status by status, as
// ABI.md specifies (codes are negated statuses: -1 BAD_HANDLE, -2 WRONG_TYPE, -3
// ACCESS_DENIED, -4 REVOKED, -5 EXPIRED, -6 USES_EXHAUSTED, -7 RESTRICTED, -17 LIMIT, -21
// RIGHTS_ESCALATION).
#include <gtest/gtest.h>

#include "guest_kernel.h"

namespace esta::kernel::testing {
namespace {

constexpr i64 kBadHandle = -1, kWrongType = -2, kAccessDenied = -3, kRevoked = -4, kExpired = -5,
              kUsesExhausted = -6, kRestricted = -7, kLimit = -17, kRightsEscalation = -21;
constexpr u32 kAbuser = 1, kVictim = 2, kFirstHelper = 3;

class GuestCapabilities : public ::testing::Test {
  protected:
    void SetUp() override {
        if (!guests_built()) GTEST_SKIP() << "clang-14 / wasm-ld-14 not installed";
        target = make_ref<Endpoint>(kernel.ids.next(), "target", ProcessId(1001), MailboxConfig{});
        secret = make_ref<Endpoint>(kernel.ids.next(), "secret", ProcessId(1002), MailboxConfig{});
        abuser = kernel.start("cap_abuser", kAbuser);
        victim = kernel.start("victim", kVictim);
        for (u32 i = 0; i < 3; ++i)
            helpers.push_back(kernel.start("cap_helper", kFirstHelper + i));
        ASSERT_TRUE(abuser && victim && helpers[0] && helpers[1] && helpers[2]);

        grant(*abuser, "target", target, Right::Write | Right::Delegate | Right::Transfer);
        grant(*abuser, "revocable", target, Right::Write | Right::Delegate | Right::Revoke);
        grant(*abuser, "norevoke", target, Right::Write | Right::Delegate);
        grant(*abuser, "process", victim, Right::Read | Right::Delegate | Right::Revoke);
        for (u32 i = 0; i < 3; ++i) {
            kernel.connect(*abuser, "helper" + std::to_string(i + 1), *helpers[i], Right::Write);
            kernel.connect(*helpers[i], "abuser", *abuser, Right::Write);
        }
        grant(*victim, "secret", secret, Right::Write | Right::Delegate);
        kernel.connect(*victim, "abuser", *abuser, Right::Write);

        kernel.run();
        report = kernel.report_of(kAbuser);
        ASSERT_FALSE(report.is_null()) << "the abuser sent no report";
    }

    void grant(Process& process, const std::string& name, Ref<KernelObject> object, Rights rights) {
        EXPECT_TRUE(process.add_grant(
            name, kernel.tree.grant(std::move(object), rights, {}, kKernelProcess, 0)));
    }
    i64 got(const std::string& key) { return GuestKernel::entry(report, key); }

    GuestKernel kernel;
    Ref<Endpoint> target;
    Ref<Endpoint> secret;
    Ref<Process> abuser;
    Ref<Process> victim;
    std::vector<Ref<Process>> helpers;
    abi::AbiValue report;
};

TEST_F(GuestCapabilities, K10_ForgedValuesAreBadHandles) {
    EXPECT_EQ(got("forged_zero"), kBadHandle);
    EXPECT_EQ(got("forged_negative"), kBadHandle);
    EXPECT_EQ(got("forged_huge"), kBadHandle);
    EXPECT_EQ(got("forged_scanned"), 8 * 64 - 8);  // Every value it was not given.
    EXPECT_EQ(got("forged_not_bad_handle"), 0);
    EXPECT_EQ(abuser->exit_reason()->to_string(), "normal");
}

TEST_F(GuestCapabilities, K10_StaleValuesStayBadAfterTheSlotIsReused) {
    EXPECT_EQ(got("stale_derived"), 1);
    EXPECT_EQ(got("stale_first_drop"), 0);
    EXPECT_EQ(got("stale_send"), kBadHandle);
    EXPECT_EQ(got("stale_info"), kBadHandle);
    EXPECT_EQ(got("stale_second_drop"), kBadHandle);
    EXPECT_EQ(got("stale_value_reused"), 0);
    EXPECT_EQ(got("stale_send_after_reuse"), kBadHandle);
    EXPECT_EQ(got("fresh_send"), 1);
}

TEST_F(GuestCapabilities, K10_AnotherProcesssLiveValueMeansNothingHere) {
    i64 foreign = got("foreign_value");
    ASSERT_GT(foreign, 0);
    EXPECT_EQ(GuestKernel::entry(kernel.report_of(kVictim), "live"), foreign);
    CheckContext as_victim{.caller = ProcessId(kVictim), .now = kernel.clock.now_ns()};
    EXPECT_TRUE(victim->handles().lookup(HandleValue(static_cast<u32>(foreign)), as_victim));
    EXPECT_EQ(got("foreign_send"), kBadHandle);
    EXPECT_EQ(got("foreign_info"), kBadHandle);
    EXPECT_EQ(got("foreign_drop"), kBadHandle);
    EXPECT_EQ(secret->mailbox().size(), 0u);  // Nothing reached the victim's object.
    EXPECT_TRUE(victim->handles().lookup(HandleValue(static_cast<u32>(foreign)), as_victim));
}

TEST_F(GuestCapabilities, K12_DeriveNeverEscalatesNorNarrowsSilently) {
    EXPECT_EQ(got("escalate_read"), kRightsEscalation);
    EXPECT_EQ(got("escalate_revoke"), kRightsEscalation);
    EXPECT_EQ(got("escalate_custom"), kRightsEscalation);
    EXPECT_EQ(got("narrow_rights"), static_cast<i64>(Rights(Right::Write).bits()));
    EXPECT_EQ(got("narrow_derive"), kAccessDenied);  // Deriving needs DELEGATE.
    EXPECT_EQ(got("narrow_escalate"), kAccessDenied);
}

TEST_F(GuestCapabilities, K14_ChecksRunInTheAbisOrderAndDenialsCostNoUse) {
    EXPECT_EQ(got("order_wrong_type"), kWrongType);
    EXPECT_EQ(got("order_process_revoke"), 1);
    EXPECT_EQ(got("order_wrong_type_before_revoked"), kWrongType);
    EXPECT_EQ(got("order_expired_before_denied"), kExpired);
    EXPECT_EQ(got("expires_now_still_valid"), 1);  // Valid until and including the instant.
    EXPECT_EQ(got("order_restricted_before_denied"), kRestricted);
    EXPECT_EQ(got("denied_first"), kAccessDenied);
    EXPECT_EQ(got("denied_second"), kAccessDenied);
    EXPECT_EQ(got("use_after_denials"), 1);  // The one use was still there.
    EXPECT_EQ(got("use_exhausted"), kUsesExhausted);
    EXPECT_EQ(got("order_denied_before_exhausted"), kAccessDenied);
    EXPECT_EQ(got("derive_from_exhausted"), kUsesExhausted);
    EXPECT_EQ(got("order_revoked_before_denied"), kRevoked);
    for (const Ref<Process>& helper : helpers)  // Revoked and exhausted: REVOKED first.
        EXPECT_EQ(GuestKernel::entry(kernel.report_of(helper->pid().value()), "after_revoke"),
                  kRevoked);
}

TEST_F(GuestCapabilities, K15_TransferNeedsTheRightAndDepthIsBounded) {
    EXPECT_EQ(got("transfer_without_right"), kAccessDenied);
    EXPECT_EQ(got("transfer_refused_kept"), 1);
    EXPECT_EQ(got("depth_reached"), 5);
    EXPECT_EQ(got("depth_refused"), kLimit);
    EXPECT_EQ(got("five_moved"), 3);
    EXPECT_EQ(got("five_gone_after_move"), 3);  // Moved, not copied: gone from the sender.
}

TEST_F(GuestCapabilities, K15_FiveUsesCopiedToThreeProcessesGiveFiveInTotal) {
    EXPECT_EQ(got("five_derived"), 1);
    EXPECT_EQ(got("helpers_done"), 3);
    i64 uses = 0;
    for (const Ref<Process>& helper : helpers) {
        abi::AbiValue helped = kernel.report_of(helper->pid().value());
        EXPECT_EQ(GuestKernel::entry(helped, "handles_n"), 1);
        EXPECT_EQ(GuestKernel::entry(helped, "refusal"), kUsesExhausted);
        EXPECT_GE(GuestKernel::entry(helped, "uses"), 1);  // They took turns.
        uses += GuestKernel::entry(helped, "uses");
        EXPECT_EQ(helper->exit_reason()->to_string(), "normal");
    }
    EXPECT_EQ(uses, 5);
    EXPECT_EQ(got("five_parent_exhausted"), kUsesExhausted);
    // What reached the target from the helpers: exactly the five.
    u32 from_helpers = 0;
    while (auto message = target->mailbox().receive(message_types::kAny, Timeout::poll(), 0)) {
        if (!message->has_value()) break;
        from_helpers += (*message)->sender.value() >= kFirstHelper ? 1 : 0;
    }
    EXPECT_EQ(from_helpers, 5u);
}

TEST_F(GuestCapabilities, K16_RevokeReachesEveryDepthAndOtherProcesses) {
    EXPECT_EQ(got("before_revoke"), 1);
    EXPECT_EQ(got("revoke_count"), 3);
    EXPECT_EQ(got("revoked_child"), kRevoked);
    EXPECT_EQ(got("revoked_grandchild"), kRevoked);
    EXPECT_EQ(got("revoked_great"), kRevoked);
    EXPECT_EQ(got("revoked_derive"), kRevoked);
    EXPECT_EQ(got("revoked_info_flag"), 1);
    EXPECT_EQ(got("revoker_itself_usable"), 1);
    EXPECT_EQ(got("second_revoke_count"), 1);
    EXPECT_EQ(got("revoke_moved_copies"), 4);  // The 5-use parent and the helpers' copies.
    EXPECT_EQ(got("revoke_without_right"), kAccessDenied);
    EXPECT_EQ(got("revoke_as_issuer"), 1);
    EXPECT_EQ(got("revoked_by_issuer"), kRevoked);
}

TEST_F(GuestCapabilities, K18_EveryDecisionTheAbuserMetIsAudited) {
    // Each refusal the guest saw is a Denied event with its status, and the other kinds of
    // decision (grants, derivations, revocations, expiry, spent budgets) are recorded too.
    for (Status status : {Status::BadHandle, Status::WrongType, Status::AccessDenied,
                          Status::Revoked, Status::Expired, Status::UsesExhausted,
                          Status::Restricted, Status::Limit, Status::RightsEscalation}) {
        std::size_t seen = 0;
        for (const CapEvent& event : kernel.audit.events)
            seen += event.kind == CapEventKind::Denied && event.status == status ? 1 : 0;
        EXPECT_GE(seen, 1u) << status_name(status);
    }
    for (CapEventKind kind : {CapEventKind::Created, CapEventKind::Delegated, CapEventKind::Revoked,
                              CapEventKind::Expired, CapEventKind::UseLimitReached})
        EXPECT_GE(kernel.audit.count(kind), 1u) << cap_event_kind_name(kind);
    const CapEvent* revoked = kernel.audit.last(CapEventKind::Revoked);
    EXPECT_EQ(revoked->process, ProcessId(kAbuser));
    EXPECT_GE(revoked->count, 1u);
}

}  // namespace
}  // namespace esta::kernel::testing
