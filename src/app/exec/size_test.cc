#include "app/exec/size.h"

#include <gtest/gtest.h>

namespace esta::app {
namespace {

TEST(ExecSize, ParsesBytesAndBinarySuffixes) {
    EXPECT_EQ(parse_size("65536"), 65536u);
    EXPECT_EQ(parse_size("64KiB"), 64u << 10);
    EXPECT_EQ(parse_size("16MiB"), 16u << 20);
    EXPECT_EQ(parse_size("2G"), u64{2} << 30);
    EXPECT_EQ(parse_size("0"), 0u);
}

TEST(ExecSize, RejectsJunkAndOverflow) {
    EXPECT_FALSE(parse_size(""));
    EXPECT_FALSE(parse_size("MiB"));
    EXPECT_FALSE(parse_size("12 MiB"));
    EXPECT_FALSE(parse_size("12TiB"));
    EXPECT_FALSE(parse_size("-5"));
    EXPECT_FALSE(parse_size("18446744073709551615GiB"));
}

}  // namespace
}  // namespace esta::app
