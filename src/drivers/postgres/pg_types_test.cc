#include "drivers/postgres/pg_types.h"

#include <gtest/gtest.h>

#include "drivers/postgres/pg_sql.h"

namespace esta::drivers {
namespace {

std::string bytes(std::initializer_list<int> values) {
    std::string out;
    for (int value : values)
        out.push_back(static_cast<char>(value));
    return out;
}

TEST(PgTypes, D4_NumericBinaryDecodesToDecimalWithItsScale) {
    // -12.50: 2 digits, weight 0, negative, dscale 2, base-10000 digits 12 and 5000.
    std::string numeric = bytes({0, 2, 0, 0, 0x40, 0, 0, 2, 0, 12, 0x13, 0x88});
    auto value = pg::decode_cell(pg::kNumeric, numeric.data(), static_cast<int>(numeric.size()));
    ASSERT_TRUE(value) << value.error().to_string();
    EXPECT_EQ(*value, Value(kernel::abi::Decimal{-1250, 2}));
    // 0.0042: no integer groups (weight -1), dscale 4.
    std::string small = bytes({0, 1, 0xff, 0xff, 0, 0, 0, 4, 0, 42});
    value = pg::decode_cell(pg::kNumeric, small.data(), static_cast<int>(small.size()));
    ASSERT_TRUE(value);
    EXPECT_EQ(*value, Value(kernel::abi::Decimal{42, 4}));
}

TEST(PgTypes, D4_TimestampRoundTripsAtMicrosecondResolution) {
    kernel::abi::Timestamp instant{1'700'000'000'123'456'789};
    pg::EncodedParam param = pg::encode_param(SqlType::Timestamp, Value(instant));
    auto value =
        pg::decode_cell(pg::kTimestampTz, param.bytes.data(), static_cast<int>(param.bytes.size()));
    ASSERT_TRUE(value);
    EXPECT_EQ(*value, Value(kernel::abi::Timestamp{1'700'000'000'123'456'000}));
}

TEST(PgTypes, D4_WrongCellSizeIsDriverError) {
    std::string short_int = bytes({0, 1});
    auto value = pg::decode_cell(pg::kInt8, short_int.data(), 2);
    ASSERT_FALSE(value);
    EXPECT_EQ(value.error().code, Status::DriverError);
}

TEST(PgRetry, D4_RetryRulesFollowTheSqlstate) {
    EXPECT_EQ(pg_retry_rule("40001"), PgRetry::Transaction);
    EXPECT_EQ(pg_retry_rule("40P01"), PgRetry::Transaction);
    EXPECT_EQ(pg_retry_rule("53300"), PgRetry::Backoff);
    EXPECT_EQ(pg_retry_rule("53100"), PgRetry::Backoff);
    EXPECT_EQ(pg_retry_rule("57014"), PgRetry::No);
    EXPECT_EQ(pg_retry_rule("40002"), PgRetry::No);  // Integrity violation at commit.
    EXPECT_EQ(pg_retry_rule("23505"), PgRetry::No);
    EXPECT_EQ(pg_retry_rule(""), PgRetry::No);
}

}  // namespace
}  // namespace esta::drivers
