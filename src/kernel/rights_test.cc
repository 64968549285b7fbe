#include "kernel/rights.h"

#include <gtest/gtest.h>

#include "kernel/object_type.h"
#include "kernel/templates.h"

namespace esta::kernel {
namespace {

TEST(Rights, K12_ContainsAndSubset) {
    Rights read_write = Right::Read | Right::Write;
    EXPECT_TRUE(read_write.contains(Right::Read));
    EXPECT_FALSE(read_write.contains(Right::Read | Right::Delete));
    EXPECT_TRUE(Rights(Right::Write).is_subset_of(read_write));
    EXPECT_FALSE(read_write.is_subset_of(Right::Write));
    EXPECT_TRUE(Rights::none().is_subset_of(Right::Read));
    EXPECT_EQ(read_write.missing(Right::Read | Right::Transfer), Rights(Right::Transfer));
}

TEST(Rights, K12_AllNineKernelRightsAreDistinctBits) {
    Rights all = Rights::all_standard();
    EXPECT_EQ(__builtin_popcountll(all.bits()), 9);
    EXPECT_EQ(rights_to_string(all),
              "read|write|delete|execute|create|list|delegate|revoke|transfer");
}

TEST(Rights, K12_CustomRightsAreNamedBitsInRegistrationOrder) {
    CustomRights custom;
    Rights approve = *custom.define("approve");
    Rights publish = *custom.define("publish");
    EXPECT_EQ(approve.bits(), u64{1} << kFirstCustomRightBit);
    EXPECT_EQ(publish.bits(), u64{1} << (kFirstCustomRightBit + 1));
    EXPECT_EQ(*custom.define("approve"), approve);  // Idempotent.
    EXPECT_EQ(*custom.find("publish"), publish);
    EXPECT_EQ(custom.find("nope").error().code, Status::NotFound);
    EXPECT_EQ(custom.define("read").error().code, Status::InvalidArgs);
    EXPECT_EQ(rights_to_string(Right::Read | approve, &custom), "read|custom:approve");
    EXPECT_FALSE((approve | Right::Read).is_subset_of(Right::Read));
}

TEST(Rights, K12_CustomRightsAreBounded) {
    CustomRights custom;
    for (unsigned i = 0; i < kMaxCustomRights; ++i) {
        ASSERT_TRUE(custom.define("r" + std::to_string(i)).has_value());
    }
    EXPECT_EQ(custom.define("one-too-many").error().code, Status::Limit);
}

TEST(Rights, K11_DefaultRightsTable) {
    EXPECT_FALSE(default_rights(ObjectType::AuditLog).contains(Right::Delete));
    EXPECT_TRUE(default_rights(ObjectType::Endpoint).contains(Right::Write | Right::Transfer));
    EXPECT_FALSE(default_rights(ObjectType::Module).contains(Right::Write));
    EXPECT_EQ(object_type_name(ObjectType::KafkaTopic), "topic");
    for (int code = 1; code <= 14; ++code) {
        EXPECT_FALSE(default_rights(static_cast<ObjectType>(code)).empty()) << code;
    }
}

TEST(Rights, K19_Templates) {
    EXPECT_EQ(read_only_template().rights, Right::Read | Right::List);
    EXPECT_EQ(read_write_template(100).rights,
              Right::Read | Right::Write | Right::Create | Right::List);
    EXPECT_EQ(read_write_template(100).restrictions.expires_at, Nanos{100});
    EXPECT_EQ(full_template().rights, Rights::all_standard());
    auto execute = execute_only_template(5);
    EXPECT_EQ(execute.rights, Rights(Right::Execute));
    EXPECT_EQ(execute.restrictions.max_uses, u64{5});
    EXPECT_TRUE(read_only_template().restrictions.empty());
}

}  // namespace
}  // namespace esta::kernel
