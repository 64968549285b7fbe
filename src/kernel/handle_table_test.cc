#include "kernel/handle_table.h"

#include <gtest/gtest.h>

#include "kernel/templates.h"
#include "kernel/test_support.h"

namespace esta::kernel {
namespace {

using testing::FakeEndpoint;
using testing::FakeTopic;
using testing::RecordingAudit;

constexpr ProcessId kAlice{1};
constexpr ProcessId kBob{2};

class HandleTableTest : public ::testing::Test {
  protected:
    CheckContext as_alice(Nanos now = 0) { return {kAlice, now}; }
    Ref<FakeEndpoint> endpoint(std::string name = "inbox") {
        return make_ref<FakeEndpoint>(m_ids.next(), std::move(name), &m_zero_calls);
    }
    HandleValue grant(HandleTable& table, Ref<KernelObject> object, Rights rights,
                      Restrictions restrictions = {}) {
        return *table.insert(
            tree.grant(std::move(object), rights, std::move(restrictions), table.owner(), 0));
    }

    ObjectIdAllocator m_ids;
    int m_zero_calls = 0;
    RecordingAudit audit;
    CapTree tree{audit};
    HandleTable alice{tree, kAlice};
    HandleTable bob{tree, kBob};
};

TEST_F(HandleTableTest, K10_ValuesAreNeverZeroAndGetReturnsTheObject) {
    auto object = endpoint();
    HandleValue value = grant(alice, object, Right::Write);
    EXPECT_NE(value.value(), 0u);
    EXPECT_GT(static_cast<i32>(value.value()), 0);  // An ABI success value.
    auto got = alice.get<FakeEndpoint>(value, Right::Write, as_alice());
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->get(), object.get());
}

TEST_F(HandleTableTest, K10_StaleValueAfterReuseIsBadHandle) {
    HandleValue first = grant(alice, endpoint("a"), Right::Write);
    ASSERT_TRUE(alice.remove(first).has_value());
    HandleValue second = grant(alice, endpoint("b"), Right::Write);
    EXPECT_EQ(handle_slot(first), handle_slot(second));  // Same slot, new generation.
    EXPECT_NE(first, second);
    EXPECT_EQ(alice.get<FakeEndpoint>(first, {}, as_alice()).error().code, Status::BadHandle);
    EXPECT_TRUE(alice.get<FakeEndpoint>(second, {}, as_alice()).has_value());
}

TEST_F(HandleTableTest, K10_ForgedValuesAreBadHandle) {
    HandleValue real = grant(alice, endpoint(), Right::Write);
    for (u32 forged : {0u, 1u, real.value() + 1, real.value() ^ (1u << 16), 0x7fffffffu}) {
        EXPECT_EQ(alice.get<FakeEndpoint>(HandleValue(forged), {}, as_alice()).error().code,
                  Status::BadHandle)
            << forged;
    }
    EXPECT_EQ(audit.count(CapEventKind::Denied), 5u);
    EXPECT_EQ(audit.last(CapEventKind::Denied)->status, Status::BadHandle);
}

TEST_F(HandleTableTest, K14_HandleValueMeansNothingInAnotherProcess) {
    HandleValue value = grant(alice, endpoint(), Right::Write);
    EXPECT_EQ(bob.get<FakeEndpoint>(value, Right::Write, {kBob, 0}).error().code,
              Status::BadHandle);
}

TEST_F(HandleTableTest, K10_SlotWithSpentGenerationIsRetired) {
    HandleValue value = grant(alice, endpoint(), Right::Write);
    u32 slot = handle_slot(value);
    for (u32 i = 1; i < kMaxHandleGeneration; ++i) {
        ASSERT_TRUE(alice.remove(value).has_value());
        value = grant(alice, endpoint(), Right::Write);
        ASSERT_EQ(handle_slot(value), slot);
    }
    ASSERT_TRUE(alice.remove(value).has_value());
    HandleValue next = grant(alice, endpoint(), Right::Write);
    EXPECT_NE(handle_slot(next), slot);
}

TEST_F(HandleTableTest, K17_PerProcessLimitIsConfigurable) {
    HandleTable small{tree, kAlice, HandleTableConfig{.max_handles = 3}};
    for (int i = 0; i < 3; ++i)
        grant(small, endpoint(), Right::Write);
    auto over = small.insert(tree.grant(endpoint(), Right::Write, {}, kAlice, 0));
    EXPECT_EQ(over.error().code, Status::Limit);
    EXPECT_EQ(small.size(), 3u);
}

TEST_F(HandleTableTest, K17_DefaultLimitIsOneThousand) {
    for (int i = 0; i < 1000; ++i)
        grant(alice, endpoint(), Right::Write);
    EXPECT_EQ(alice.insert(tree.grant(endpoint(), Right::Write, {}, kAlice, 0)).error().code,
              Status::Limit);
}

TEST_F(HandleTableTest, K14_WrongTypeComesBeforeRights) {
    HandleValue value = grant(alice, endpoint(), Rights::none());
    EXPECT_EQ(alice.get<FakeTopic>(value, Right::Write, as_alice()).error().code,
              Status::WrongType);
    EXPECT_EQ(alice.get<FakeEndpoint>(value, Right::Write, as_alice()).error().code,
              Status::AccessDenied);
}

// Every failure present at once; removing them one by one in the ABI's order must reveal
// the next one, so the order is checked pairwise, not just the first.
TEST_F(HandleTableTest, K14_CheckOrderReportsFirstFailure) {
    auto object = endpoint();
    HandleValue root = grant(alice, object, Rights::all_standard());
    Restrictions tight;
    tight.expires_at = 100;
    tight.valid_after = 50;
    tight.valid_before = 150;
    tight.max_uses = 1;
    HandleValue child = *alice.derive(root, Right::Delegate | Right::Read, tight, as_alice(60));
    ASSERT_TRUE(alice.consume_use(child, as_alice(60)).has_value());  // Spent.

    // USES_EXHAUSTED is last: with every other check passing it is what remains.
    EXPECT_EQ(alice.get<FakeEndpoint>(child, Right::Read, as_alice(60)).error().code,
              Status::UsesExhausted);
    // ACCESS_DENIED before USES_EXHAUSTED.
    EXPECT_EQ(alice.get<FakeEndpoint>(child, Right::Write, as_alice(60)).error().code,
              Status::AccessDenied);
    // RESTRICTED before ACCESS_DENIED.
    EXPECT_EQ(alice.get<FakeEndpoint>(child, Right::Write, as_alice(10)).error().code,
              Status::Restricted);
    // EXPIRED before RESTRICTED: at 200 it is past both its expiry and its valid-before.
    EXPECT_EQ(alice.get<FakeEndpoint>(child, Right::Write, as_alice(200)).error().code,
              Status::Expired);
    // REVOKED before EXPIRED.
    ASSERT_TRUE(alice.revoke(root, as_alice(200), 100).has_value());
    EXPECT_EQ(alice.get<FakeEndpoint>(child, Right::Write, as_alice(200)).error().code,
              Status::Revoked);
    // WRONG_TYPE before REVOKED.
    EXPECT_EQ(alice.get<FakeTopic>(child, Right::Write, as_alice(200)).error().code,
              Status::WrongType);
    // BAD_HANDLE before everything.
    HandleValue stale = child;
    ASSERT_TRUE(alice.remove(child).has_value());
    EXPECT_EQ(alice.get<FakeTopic>(stale, Right::Write, as_alice(200)).error().code,
              Status::BadHandle);
}

TEST_F(HandleTableTest, K14_ExpiredBeforeRestrictedWhenBothFail) {
    Restrictions both;
    both.expires_at = 100;
    both.valid_before = 50;
    HandleValue value = grant(alice, endpoint(), Right::Read, both);
    EXPECT_EQ(alice.get<FakeEndpoint>(value, Right::Read, as_alice(75)).error().code,
              Status::Restricted);
    EXPECT_EQ(alice.get<FakeEndpoint>(value, Right::Read, as_alice(101)).error().code,
              Status::Expired);
}

TEST_F(HandleTableTest, K14_DeniedCallConsumesNoUse) {
    HandleValue value =
        grant(alice, endpoint(), Right::Execute, execute_only_template(2).restrictions);
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(alice.get<FakeEndpoint>(value, Right::Write, as_alice()).error().code,
                  Status::AccessDenied);
    }
    const Handle* handle = *alice.lookup(value, as_alice());
    EXPECT_EQ(handle->node().uses_remaining(), u64{2});
}

TEST_F(HandleTableTest, K14_UseIsConsumedOnlyWhenPerformed) {
    HandleValue value =
        grant(alice, endpoint(), Right::Execute, execute_only_template(2).restrictions);
    // Checks alone (operations that then failed) spend nothing.
    for (int i = 0; i < 5; ++i) {
        ASSERT_TRUE(alice.get<FakeEndpoint>(value, Right::Execute, as_alice()).has_value());
    }
    ASSERT_TRUE(alice.consume_use(value, as_alice()).has_value());
    ASSERT_TRUE(alice.consume_use(value, as_alice()).has_value());
    EXPECT_EQ(alice.get<FakeEndpoint>(value, Right::Execute, as_alice()).error().code,
              Status::UsesExhausted);
    EXPECT_EQ(alice.consume_use(value, as_alice()).error().code, Status::UsesExhausted);
    EXPECT_EQ(audit.count(CapEventKind::UseLimitReached), 1u);
}

TEST_F(HandleTableTest, K13_ProcessRestrictionFollowsTheHolder) {
    HandleValue root = grant(alice, endpoint(), Rights::all_standard());
    Restrictions only_alice;
    only_alice.allowed_processes = std::vector<ProcessId>{kAlice};
    HandleValue child = *alice.derive(root, Right::Write | Right::Transfer, only_alice, as_alice());
    EXPECT_TRUE(alice.get<FakeEndpoint>(child, Right::Write, as_alice()).has_value());
    Handle moved = *alice.take_for_transfer(child, as_alice());
    HandleValue at_bob = *bob.insert(std::move(moved));
    EXPECT_EQ(bob.get<FakeEndpoint>(at_bob, Right::Write, {kBob, 0}).error().code,
              Status::Restricted);
}

TEST_F(HandleTableTest, K15_TransferNeedsTheTransferRight) {
    HandleValue value = grant(alice, endpoint(), Right::Write);
    EXPECT_EQ(alice.take_for_transfer(value, as_alice()).error().code, Status::AccessDenied);
    EXPECT_EQ(alice.size(), 1u);  // Unchanged on failure.
    HandleValue movable = grant(alice, endpoint(), Right::Write | Right::Transfer);
    EXPECT_TRUE(alice.take_for_transfer(movable, as_alice()).has_value());
    EXPECT_EQ(alice.size(), 1u);
}

TEST_F(HandleTableTest, K16_RevokeNeedsRightOrIssuer) {
    HandleValue root = grant(alice, endpoint(), Right::Delegate | Right::Transfer);
    // Alice holds no REVOKE but the root was issued by the kernel, not her.
    EXPECT_EQ(alice.revoke(root, as_alice(), 10).error().code, Status::AccessDenied);
    // A handle she derived herself she may revoke below.
    HandleValue mine = *alice.derive(root, Right::Delegate | Right::Transfer, {}, as_alice());
    HandleValue grandchild = *alice.derive(mine, Right::Transfer, {}, as_alice());
    auto progress = alice.revoke(mine, as_alice(), 10);
    ASSERT_TRUE(progress.has_value());
    EXPECT_EQ(progress->revoked, 1u);
    EXPECT_EQ(alice.get_object(grandchild, {}, {}, as_alice()).error().code, Status::Revoked);
    EXPECT_TRUE(alice.get_object(mine, {}, {}, as_alice()).has_value());  // h itself stays.
}

TEST_F(HandleTableTest, K16_RevokeWorksOnACapabilityWhoseUsesAreSpent) {
    Restrictions two_uses;
    two_uses.max_uses = 2;
    Rights rights = Right::Write | Right::Delegate | Right::Revoke;
    HandleValue root = grant(alice, endpoint(), rights, two_uses);
    HandleValue child = *alice.derive(root, Right::Write, {}, as_alice());
    ASSERT_TRUE(alice.consume_use(child, as_alice()).has_value());
    ASSERT_TRUE(alice.consume_use(root, as_alice()).has_value());  // Shared: both spent.
    EXPECT_EQ(alice.get_object(root, {}, Right::Write, as_alice()).error().code,
              Status::UsesExhausted);
    // Revoking spends no use: it still works, and still needs the right.
    auto progress = alice.revoke(root, as_alice(), 10);
    ASSERT_TRUE(progress.has_value()) << progress.error().to_string();
    EXPECT_EQ(progress->revoked, 1u);
    EXPECT_EQ(alice.get_object(child, {}, {}, as_alice()).error().code, Status::Revoked);
    HandleValue spent = grant(alice, endpoint(), Right::Write, two_uses);
    ASSERT_TRUE(alice.consume_use(spent, as_alice()).has_value());
    ASSERT_TRUE(alice.consume_use(spent, as_alice()).has_value());
    EXPECT_EQ(alice.revoke(spent, as_alice(), 10).error().code, Status::AccessDenied);
}

TEST_F(HandleTableTest, ZeroHandlesRunsOnceWhenTheLastHandleGoes) {
    {
        HandleTable carol{tree, ProcessId(3)};
        auto object = endpoint();
        HandleValue root = grant(alice, object, Rights::all_standard());
        HandleValue copy = *alice.derive(root, Right::Write | Right::Transfer, {}, as_alice());
        ASSERT_TRUE(carol.insert(*alice.take_for_transfer(copy, as_alice())).has_value());
        ASSERT_TRUE(alice.remove(root).has_value());
        EXPECT_EQ(m_zero_calls, 0);  // Carol still reaches it.
    }                                // Carol's table goes with its process.
    EXPECT_EQ(m_zero_calls, 1);
}

}  // namespace
}  // namespace esta::kernel
