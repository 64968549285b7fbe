// civil-date arithmetic, leap years and benefit years that do not start on 1 January.
#include <gtest/gtest.h>

#include <chrono>

#include "esta_date.h"

namespace {

TEST(EstaDate, A6_DayNumbersMatchStdChronoOverTheWholeRange) {
    using namespace std::chrono;
    for (int32_t y = ESTA_MIN_YEAR; y <= ESTA_MAX_YEAR; ++y) {
        for (int32_t m = 1; m <= 12; ++m) {
            for (int32_t d = 1; d <= esta_days_in_month(y, m); ++d) {
                const auto expected = sys_days{year{y} / month{static_cast<unsigned>(m)} /
                                               day{static_cast<unsigned>(d)}}
                                          .time_since_epoch()
                                          .count();
                const int32_t days = esta_days_from_civil(y, m, d);
                ASSERT_EQ(days, expected) << y << "-" << m << "-" << d;
                const esta_civil back = esta_civil_from_days(days);
                ASSERT_EQ(back.year, y);
                ASSERT_EQ(back.month, m);
                ASSERT_EQ(back.day, d);
            }
        }
    }
}

TEST(EstaDate, A6_ConstantExpressionMatchesFunction) {
    static_assert(ESTA_CIVIL_DAY(1970, 1, 1) == 0, "epoch");
    EXPECT_EQ(ESTA_CIVIL_DAY(2025, 2, 21), esta_days_from_civil(2025, 2, 21));
    EXPECT_EQ(ESTA_CIVIL_DAY(2024, 2, 29), esta_days_from_civil(2024, 2, 29));
    EXPECT_EQ(ESTA_CIVIL_DAY(2199, 12, 31), esta_days_from_civil(2199, 12, 31));
    EXPECT_EQ(ESTA_CIVIL_DAY(1900, 3, 1), esta_days_from_civil(1900, 3, 1));
}

TEST(EstaDate, A6_LeapYears) {
    EXPECT_TRUE(esta_is_leap_year(2024));
    EXPECT_TRUE(esta_is_leap_year(2000));
    EXPECT_FALSE(esta_is_leap_year(1900));
    EXPECT_FALSE(esta_is_leap_year(2100));
    EXPECT_FALSE(esta_is_leap_year(2025));
    EXPECT_TRUE(esta_civil_valid(2028, 2, 29));
    EXPECT_FALSE(esta_civil_valid(2027, 2, 29));
    EXPECT_FALSE(esta_civil_valid(2025, 4, 31));
    EXPECT_FALSE(esta_civil_valid(1899, 12, 31));
    EXPECT_FALSE(esta_civil_valid(2200, 1, 1));
}

TEST(EstaDate, A6_AddYearsMovesLeapDayTo28February) {
    EXPECT_EQ(esta_add_years(esta_days_from_civil(2024, 2, 29), 1),
              esta_days_from_civil(2025, 2, 28));
    EXPECT_EQ(esta_add_years(esta_days_from_civil(2024, 2, 29), 4),
              esta_days_from_civil(2028, 2, 29));
    EXPECT_EQ(esta_add_years(esta_days_from_civil(2023, 5, 1), 3),
              esta_days_from_civil(2026, 5, 1));
}

TEST(EstaDate, A6_BenefitYearStartingOnAnyDay) {
    const int32_t july_first = esta_days_from_civil(2025, 7, 1);
    EXPECT_EQ(esta_benefit_year_start(july_first, 7, 1), july_first);
    EXPECT_EQ(esta_benefit_year_start(july_first - 1, 7, 1), esta_days_from_civil(2024, 7, 1));
    EXPECT_EQ(esta_benefit_year_start(esta_days_from_civil(2026, 1, 15), 7, 1), july_first);
    EXPECT_EQ(esta_next_benefit_year_start(july_first), esta_days_from_civil(2026, 7, 1));
    // A benefit year from 1 March contains 29 February of the following leap year.
    EXPECT_EQ(esta_benefit_year_start(esta_days_from_civil(2028, 2, 29), 3, 1),
              esta_days_from_civil(2027, 3, 1));
    EXPECT_EQ(esta_next_benefit_year_start(esta_days_from_civil(2027, 3, 1)) -
                  esta_days_from_civil(2027, 3, 1),
              366);
    // Calendar-year default.
    EXPECT_EQ(esta_benefit_year_start(esta_days_from_civil(2025, 12, 31), 1, 1),
              esta_days_from_civil(2025, 1, 1));
}

TEST(EstaDate, A5_HirePlus120Days) {
    EXPECT_EQ(esta_days_from_civil(2025, 3, 3) + 120, esta_days_from_civil(2025, 7, 1));
    EXPECT_EQ(esta_days_from_civil(2024, 1, 1) + 120, esta_days_from_civil(2024, 4, 30));
    EXPECT_EQ(esta_days_from_civil(2025, 1, 1) + 120, esta_days_from_civil(2025, 5, 1));
}

}  // namespace
