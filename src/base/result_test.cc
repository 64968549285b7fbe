#include "base/result.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "base/diagnostic.h"
#include "base/strong_id.h"
#include "base/types.h"

namespace esta {
namespace {

Result<int> parse_digit(char c) {
    if (c < '0' || c > '9') return Err(Status::InvalidArgs, "parse_digit", Detail{.actual = u8(c)});
    return c - '0';
}

Result<int> sum_digits(char a, char b) {
    int x = ESTA_TRY(parse_digit(a));
    int y = ESTA_TRY(parse_digit(b));
    return x + y;
}

TEST(Result, HoldsValueOrError) {
    auto ok = parse_digit('7');
    ASSERT_TRUE(ok);
    EXPECT_EQ(*ok, 7);
    auto bad = parse_digit('x');
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Status::InvalidArgs);
    EXPECT_EQ(bad.value_or(-1), -1);
}

TEST(Result, TryPropagatesTheFirstError) {
    EXPECT_EQ(*sum_digits('2', '3'), 5);
    auto failed = sum_digits('2', '?');
    ASSERT_FALSE(failed);
    EXPECT_EQ(failed.error().detail.actual, u64('?'));
}

TEST(Result, MoveOnlyValues) {
    Result<std::unique_ptr<int>> boxed = std::make_unique<int>(4);
    ASSERT_TRUE(boxed);
    std::unique_ptr<int> taken = std::move(boxed).value();
    EXPECT_EQ(*taken, 4);
}

TEST(Result, VoidResults) {
    Result<void> ok = Ok();
    EXPECT_TRUE(ok);
    Result<void> bad = Err(Status::Timeout, "wait");
    EXPECT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Status::Timeout);
}

TEST(Error, FormatsStatusContextAndNumbers) {
    auto error =
        Err(Status::PayloadTooLarge, "endpoint.send", Detail{.limit = 1048576, .actual = 1048577});
    EXPECT_EQ(error.to_string(), "PayloadTooLarge: endpoint.send (limit 1048576, actual 1048577)");
}

TEST(Diagnostic, FormatsPosition) {
    Diagnostic diagnostic{Status::Invalid, "type mismatch", "code section", 0x1a2, {}, 3};
    EXPECT_EQ(diagnostic.to_string(), "code section, index 3, offset 0x1a2: type mismatch");
}

struct FuncTag;
struct TypeTag;
TEST(StrongId, DistinctTypesCompareByValue) {
    using FuncIndex = StrongId<FuncTag>;
    using TypeIndex = StrongId<TypeTag>;
    static_assert(!std::is_convertible_v<FuncIndex, TypeIndex>);
    static_assert(!std::is_convertible_v<u32, FuncIndex>);
    EXPECT_LT(FuncIndex(1), FuncIndex(2));
    EXPECT_EQ(TypeIndex(5).value(), 5u);
}

TEST(Status, AbiCodesMatchTheTable) {
    EXPECT_EQ(static_cast<int>(Status::RightsEscalation), 21);
    EXPECT_TRUE(is_abi_status(Status::Empty));
    EXPECT_FALSE(is_abi_status(Status::Malformed));
    EXPECT_EQ(status_name(Status::BadHandle), "BadHandle");
}

}  // namespace
}  // namespace esta
