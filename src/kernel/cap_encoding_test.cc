#include "kernel/cap_encoding.h"

#include <gtest/gtest.h>

#include "kernel/cap_tree.h"
#include "kernel/test_support.h"

namespace esta::kernel {
namespace {

using abi::AbiValue;
using abi::Timestamp;
using abi::ValueList;
using abi::ValueMap;

Result<Restrictions> decode(const AbiValue& value) {
    auto bytes = abi::encode_value(value);
    return decode_restrictions(ByteSpan(bytes.data(), bytes.size()));
}

TEST(CapEncoding, K13_DecodesEveryRestrictionKey) {
    AbiValue map(ValueMap{
        {"expires_at", Timestamp{100}},
        {"max_uses", i64{5}},
        {"valid_after", Timestamp{10}},
        {"valid_before", Timestamp{90}},
        {"hours", i64{0x00FF00}},
        {"days", i64{0x3E}},
        {"zone", "+02:00"},
        {"allowed_processes", ValueList{i64{1}, i64{2}}},
        {"denied_processes", ValueList{i64{3}}},
    });
    auto restrictions = decode(map);
    ASSERT_TRUE(restrictions.has_value()) << restrictions.error().to_string();
    EXPECT_EQ(restrictions->expires_at, Nanos{100});
    EXPECT_EQ(restrictions->max_uses, u64{5});
    EXPECT_EQ(restrictions->valid_after, Nanos{10});
    EXPECT_EQ(restrictions->valid_before, Nanos{90});
    EXPECT_EQ(restrictions->hours->mask(), 0x00FF00u);
    EXPECT_EQ(restrictions->days->mask(), 0x3E);
    EXPECT_EQ(restrictions->zone.offset_minutes(), 120);
    EXPECT_EQ(restrictions->allowed_processes->size(), 2u);
    EXPECT_EQ(restrictions->denied_processes, std::vector<ProcessId>{ProcessId(3)});
    // And back: the encoding is the same map.
    EXPECT_EQ(*decode(encode_restrictions(*restrictions)), *restrictions);
}

TEST(CapEncoding, K13_EmptyInputMeansNoRestrictions) {
    auto restrictions = decode_restrictions({});
    ASSERT_TRUE(restrictions.has_value());
    EXPECT_TRUE(restrictions->empty());
}

TEST(CapEncoding, K13_RejectsWhatItDoesNotUnderstand) {
    EXPECT_EQ(decode(AbiValue(i64{1})).error().code, Status::InvalidArgs);
    EXPECT_EQ(decode(AbiValue(ValueMap{{"expiry", Timestamp{1}}})).error().code,
              Status::InvalidArgs);
    EXPECT_EQ(decode(AbiValue(ValueMap{{"expires_at", i64{1}}})).error().code, Status::InvalidArgs);
    EXPECT_EQ(decode(AbiValue(ValueMap{{"max_uses", i64{0}}})).error().code, Status::InvalidArgs);
    EXPECT_EQ(decode(AbiValue(ValueMap{{"hours", i64{1} << 24}})).error().code,
              Status::InvalidArgs);
    EXPECT_EQ(decode(AbiValue(ValueMap{{"denied_processes", ValueList{i64{-1}}}})).error().code,
              Status::InvalidArgs);
    EXPECT_EQ(decode(AbiValue(ValueMap{{"zone", "Europe/Berlin"}})).error().code,
              Status::NotSupported);
}

TEST(CapEncoding, CapInfoDescribesKindRightsAndChain) {
    testing::RecordingAudit audit;
    CapTree tree(audit);
    ObjectIdAllocator ids;
    Restrictions five;
    five.max_uses = 5;
    Handle root = tree.grant(make_ref<testing::FakeTopic>(ids.next(), "decisions"),
                             Right::Read | Right::Write | Right::Delegate, five, ProcessId(1), 0);
    Restrictions expiring;
    expiring.expires_at = 99;
    Handle child = *tree.derive(root, Right::Read, expiring, {ProcessId(1), 0});
    AbiValue info = describe_capability(child);
    EXPECT_EQ(*info.find("kind")->get<i64>(), static_cast<i64>(ObjectType::KafkaTopic));
    EXPECT_EQ(*info.find("kind_name")->get<std::string>(), "topic");
    EXPECT_EQ(*info.find("resource")->get<std::string>(), "decisions");
    EXPECT_EQ(*info.find("rights")->get<i64>(), static_cast<i64>(Rights(Right::Read).bits()));
    EXPECT_EQ(*info.find("depth")->get<i64>(), 1);
    EXPECT_EQ(*info.find("uses_remaining")->get<i64>(), 5);
    EXPECT_FALSE(*info.find("revoked")->get<bool>());
    const ValueList& chain = *info.find("restrictions")->get<ValueList>();
    ASSERT_EQ(chain.size(), 2u);
    EXPECT_EQ(chain[0].find("expires_at")->get<Timestamp>()->ns, 99);
    EXPECT_EQ(*chain[1].find("max_uses")->get<i64>(), 5);
}

}  // namespace
}  // namespace esta::kernel
