#include "kernel/cap_tree.h"

#include <gtest/gtest.h>

#include "kernel/handle_table.h"
#include "kernel/test_support.h"

namespace esta::kernel {
namespace {

using testing::FakeEndpoint;
using testing::RecordingAudit;

constexpr ProcessId kAlice{1};
constexpr Rights kDelegateAll =
    Right::Read | Right::Write | Right::Delegate | Right::Revoke | Right::Transfer;

class CapTreeTest : public ::testing::Test {
  protected:
    CheckContext as_alice(Nanos now = 0) { return {kAlice, now}; }
    Handle root(Rights rights = kDelegateAll, Restrictions restrictions = {}) {
        return tree.grant(make_ref<FakeEndpoint>(ids.next(), "inbox", &zero_calls), rights,
                          std::move(restrictions), kAlice, 0);
    }
    Handle derive(const Handle& parent, Rights rights = kDelegateAll, Restrictions added = {}) {
        auto child = tree.derive(parent, rights, std::move(added), as_alice());
        EXPECT_TRUE(child.has_value()) << child.error().to_string();
        return std::move(child).value();
    }
    Status check(const Handle& handle, Rights rights = Right::Read, Nanos now = 0) {
        auto result = tree.check(handle.node(), std::nullopt, rights, as_alice(now));
        return result ? Status::Ok : result.error().code;
    }

    ObjectIdAllocator ids;
    int zero_calls = 0;
    RecordingAudit audit;
    CapTree tree{audit};
};

TEST_F(CapTreeTest, K12_DeriveCannotAddRights) {
    Handle parent = root(Right::Read | Right::Delegate);
    auto escalated = tree.derive(parent, Right::Read | Right::Write, {}, as_alice());
    EXPECT_EQ(escalated.error().code, Status::RightsEscalation);  // Never silently narrowed.
    Handle narrowed = derive(parent, Right::Read);
    EXPECT_EQ(narrowed.rights(), Rights(Right::Read));
    EXPECT_EQ(audit.last(CapEventKind::Denied)->status, Status::RightsEscalation);
}

TEST_F(CapTreeTest, K15_DeriveRequiresDelegate) {
    Handle parent = root(Right::Read | Right::Write);
    EXPECT_EQ(tree.derive(parent, Right::Read, {}, as_alice()).error().code, Status::AccessDenied);
}

TEST_F(CapTreeTest, K15_DepthIsAtMostFive) {
    std::vector<Handle> chain;
    chain.push_back(root());
    for (int depth = 1; depth <= 5; ++depth) {
        chain.push_back(derive(chain.back()));
        EXPECT_EQ(chain.back().node().depth(), static_cast<u32>(depth));
    }
    EXPECT_EQ(tree.derive(chain.back(), Right::Read, {}, as_alice()).error().code, Status::Limit);
}

TEST_F(CapTreeTest, K15_ParentMustBeLiveAndUnexpired) {
    Restrictions expiring;
    expiring.expires_at = 100;
    Handle parent = root(kDelegateAll, expiring);
    EXPECT_EQ(tree.derive(parent, Right::Read, {}, as_alice(101)).error().code, Status::Expired);
    Handle live = root();
    Handle child = derive(live);
    tree.revoke(live.node_ref(), RevokeScope::Descendants, kAlice, 0, 100);
    EXPECT_EQ(tree.derive(child, Right::Read, {}, as_alice()).error().code, Status::Revoked);
}

TEST_F(CapTreeTest, K12_DerivedRestrictionsOnlyAdd) {
    Restrictions parent_expiry;
    parent_expiry.expires_at = 100;
    Handle parent = root(kDelegateAll, parent_expiry);
    Restrictions later;
    later.expires_at = 1000;  // Asking for more time does not outlive the parent.
    Handle child = derive(parent, Right::Read, later);
    EXPECT_EQ(check(child, Right::Read, 100), Status::Ok);
    EXPECT_EQ(check(child, Right::Read, 101), Status::Expired);
}

TEST_F(CapTreeTest, K15_UseCountIsSharedAcrossDerivations) {
    Restrictions five;
    five.max_uses = 5;
    Handle parent = root(kDelegateAll, five);
    std::vector<Handle> copies;
    for (int i = 0; i < 3; ++i)
        copies.push_back(derive(parent, Right::Read | Right::Delegate));
    int granted = 0;
    for (int round = 0; round < 5; ++round) {
        for (Handle& copy : copies) {
            if (check(copy) != Status::Ok) continue;
            ASSERT_TRUE(tree.consume_use(copy.node(), as_alice()).has_value());
            ++granted;
        }
    }
    EXPECT_EQ(granted, 5);  // 5 in total, not 5 per copy.
    for (Handle& copy : copies)
        EXPECT_EQ(check(copy), Status::UsesExhausted);
    EXPECT_EQ(check(parent), Status::UsesExhausted);
    EXPECT_EQ(audit.count(CapEventKind::UseLimitReached), 1u);
}

TEST_F(CapTreeTest, K15_ChildBudgetIsBoundedByTheParents) {
    Restrictions two;
    two.max_uses = 2;
    Restrictions ten;
    ten.max_uses = 10;
    Handle parent = root(kDelegateAll, two);
    Handle child = derive(parent, Right::Read | Right::Delegate, ten);
    EXPECT_EQ(child.node().uses_remaining(), u64{2});
    ASSERT_TRUE(tree.consume_use(child.node(), as_alice()).has_value());
    ASSERT_TRUE(tree.consume_use(child.node(), as_alice()).has_value());
    EXPECT_EQ(tree.consume_use(child.node(), as_alice()).error().code, Status::UsesExhausted);
    EXPECT_EQ(child.node().uses_consumed(), 2u);
}

TEST_F(CapTreeTest, K16_RevokeIsTransitive) {
    Handle top = root();
    Handle child = derive(top);
    Handle grandchild = derive(child);
    Handle great = derive(grandchild);
    auto progress = tree.revoke(top.node_ref(), RevokeScope::Descendants, kAlice, 5, 100);
    EXPECT_EQ(progress.state, RevokeState::Done);
    EXPECT_EQ(progress.revoked, 3u);
    EXPECT_EQ(check(top), Status::Ok);  // h itself stays.
    EXPECT_EQ(check(child), Status::Revoked);
    EXPECT_EQ(check(grandchild), Status::Revoked);
    EXPECT_EQ(check(great), Status::Revoked);
    // Revoked capabilities let go of the object; only `top` still reaches it.
    EXPECT_EQ(top.object()->handle_count(), 1u);
    const CapEvent* event = audit.last(CapEventKind::Revoked);
    ASSERT_NE(event, nullptr);
    EXPECT_EQ(event->count, 3u);
}

TEST_F(CapTreeTest, K16_RevocationIsImmediateEvenWhenPartial) {
    Handle top = root();
    std::vector<Handle> leaves;
    for (int i = 0; i < 10; ++i)
        leaves.push_back(derive(derive(top)));  // Middles dropped.
    auto first = tree.revoke(top.node_ref(), RevokeScope::Descendants, kAlice, 0, 3);
    EXPECT_EQ(first.state, RevokeState::Partial);
    EXPECT_EQ(first.steps, 3u);
    for (Handle& leaf : leaves)
        EXPECT_EQ(check(leaf), Status::Revoked);
    // A child derived after the revocation started is not swept by it.
    Handle fresh = derive(top);
    u32 calls = 1;
    RevokeProgress progress = first;
    while (progress.state == RevokeState::Partial) {
        progress = tree.resume_revoke(top.node_ref(), 0, 3);
        EXPECT_LE(progress.steps, 3u);
        ++calls;
    }
    EXPECT_EQ(progress.revoked, 20u);
    EXPECT_EQ(calls, 7u);  // ceil(20 / 3).
    EXPECT_EQ(check(fresh), Status::Ok);
}

TEST_F(CapTreeTest, K16_RevokeIsIterativeOnADeepWideTree) {
    // Depth is bounded by 5, so "deep" here is wide: 10 000 nodes under one root.
    Handle top = root();
    std::vector<Handle> keep;
    for (int i = 0; i < 2000; ++i) {
        Handle a = derive(top);
        Handle b = derive(a);
        Handle c = derive(b);
        Handle d = derive(c);
        keep.push_back(derive(d));
    }
    EXPECT_EQ(top.object()->handle_count(), 2001u);  // a..d were dropped.
    u32 calls = 0;
    RevokeProgress progress{RevokeState::Partial, 0, 0};
    progress = tree.revoke(top.node_ref(), RevokeScope::Descendants, kAlice, 0, 64);
    for (++calls; progress.state == RevokeState::Partial; ++calls) {
        progress = tree.resume_revoke(top.node_ref(), 0, 64);
        ASSERT_LE(progress.steps, 64u);
    }
    EXPECT_EQ(progress.revoked, 10'000u);
    EXPECT_EQ(calls, 157u);  // ceil(10 000 / 64).
    EXPECT_EQ(top.object()->handle_count(), 1u);
}

TEST_F(CapTreeTest, K16_ApplicationCanRevokeTheRootItself) {
    Handle top = root();
    Handle child = derive(top);
    auto progress =
        tree.revoke(top.node_ref(), RevokeScope::SelfAndDescendants, kKernelProcess, 0, 100);
    EXPECT_EQ(progress.revoked, 2u);
    EXPECT_EQ(check(top), Status::Revoked);
    EXPECT_EQ(check(child), Status::Revoked);
    EXPECT_EQ(zero_calls, 1);  // Nothing reaches the object any more.
}

TEST_F(CapTreeTest, K16_KernelTickDrivesPendingRevocations) {
    Handle a = root();
    Handle b = root();
    std::vector<Handle> keep;
    for (int i = 0; i < 5; ++i) {
        keep.push_back(derive(a));
        keep.push_back(derive(b));
    }
    tree.revoke(a.node_ref(), RevokeScope::Descendants, kAlice, 0, 0);
    tree.revoke(b.node_ref(), RevokeScope::Descendants, kAlice, 0, 0);
    EXPECT_EQ(tree.revocations_in_progress(), 2u);
    EXPECT_EQ(tree.step_revocations(0, 7), 7u);
    EXPECT_EQ(tree.revocations_in_progress(), 1u);
    EXPECT_EQ(tree.step_revocations(0, 7), 3u);
    EXPECT_EQ(tree.revocations_in_progress(), 0u);
    EXPECT_EQ(tree.revocation_records().size(), 2u);
}

TEST_F(CapTreeTest, K17_RevocationRecordsAreKept24Hours) {
    Handle top = root();
    Handle child = derive(top);
    tree.revoke(top.node_ref(), RevokeScope::Descendants, kAlice, 1000, 10);
    ASSERT_EQ(tree.revocation_records().size(), 1u);
    EXPECT_EQ(tree.revocation_records().front().count, 1u);
    EXPECT_EQ(tree.revocation_records().front().revoked_by, kAlice);
    tree.purge_revocation_records(1000 + 24 * kNanosPerHour);
    EXPECT_EQ(tree.revocation_records().size(), 1u);  // Exactly 24 h: still kept.
    tree.purge_revocation_records(1001 + 24 * kNanosPerHour);
    EXPECT_TRUE(tree.revocation_records().empty());
}

TEST_F(CapTreeTest, K18_AuditEventsForEveryDecision) {
    Restrictions expiring;
    expiring.expires_at = 10;
    expiring.max_uses = 1;
    Handle top = root(kDelegateAll, expiring);
    Handle child = derive(top, Right::Read | Right::Delegate);
    ASSERT_TRUE(tree.consume_use(child.node(), as_alice()).has_value());
    EXPECT_EQ(check(child, Right::Write), Status::AccessDenied);
    EXPECT_EQ(check(child, Right::Read, 11), Status::Expired);
    EXPECT_EQ(check(child, Right::Read, 12), Status::Expired);
    tree.revoke(top.node_ref(), RevokeScope::Descendants, kAlice, 12, 10);

    EXPECT_EQ(audit.count(CapEventKind::Created), 1u);
    EXPECT_EQ(audit.count(CapEventKind::Delegated), 1u);
    EXPECT_EQ(audit.count(CapEventKind::UseLimitReached), 1u);
    EXPECT_EQ(audit.count(CapEventKind::Denied), 3u);
    EXPECT_EQ(audit.count(CapEventKind::Expired), 1u);  // Once per capability.
    EXPECT_EQ(audit.count(CapEventKind::Revoked), 1u);
    const CapEvent* delegated = audit.last(CapEventKind::Delegated);
    EXPECT_EQ(delegated->parent, top.node().id());
    EXPECT_EQ(delegated->cap, child.node().id());
    EXPECT_EQ(delegated->rights, Right::Read | Right::Delegate);
    EXPECT_EQ(cap_event_kind_name(CapEventKind::Denied), "validate_denied");
}

TEST_F(CapTreeTest, DroppedSubtreesFreeThemselves) {
    Handle top = root();
    {
        Handle child = derive(top);
        Handle grandchild = derive(child);
        EXPECT_EQ(top.object()->handle_count(), 3u);
    }
    EXPECT_EQ(top.object()->handle_count(), 1u);
    EXPECT_EQ(top.node().ref_count(), 1u);  // No child keeps it referenced.
}

}  // namespace
}  // namespace esta::kernel
