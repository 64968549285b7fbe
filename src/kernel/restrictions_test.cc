#include "kernel/restrictions.h"

#include <gtest/gtest.h>

namespace esta::kernel {
namespace {

// 2026-11-27 (a Friday) 00:00:00 UTC.
constexpr Nanos kFridayMidnight = 1'795'737'600 * kNanosPerSecond;

TEST(Restrictions, K13_LocalTimeInUtcAndFixedOffsets) {
    LocalTime utc = to_local_time(kFridayMidnight + 13 * kNanosPerHour, TimeZone::utc());
    EXPECT_EQ(utc.hour, 13u);
    EXPECT_EQ(utc.weekday, 5u);  // Friday.
    auto detroit_winter = *TimeZone::parse("UTC-05:00");
    LocalTime local = to_local_time(kFridayMidnight + 3 * kNanosPerHour, detroit_winter);
    EXPECT_EQ(local.hour, 22u);
    EXPECT_EQ(local.weekday, 4u);                               // Still Thursday there.
    EXPECT_EQ(to_local_time(-1, TimeZone::utc()).weekday, 3u);  // 1969-12-31, a Wednesday.
    EXPECT_EQ(to_local_time(-1, TimeZone::utc()).hour, 23u);
}

TEST(Restrictions, K13_TimeZoneNames) {
    EXPECT_EQ(TimeZone::parse("Z")->offset_minutes(), 0);
    EXPECT_EQ(TimeZone::parse("+05:30")->offset_minutes(), 330);
    EXPECT_EQ(TimeZone::parse("UTC-0400")->offset_minutes(), -240);
    EXPECT_EQ(TimeZone::parse("+05:30")->name(), "UTC+05:30");
    EXPECT_EQ(TimeZone::parse("America/Detroit").error().code, Status::NotSupported);
    EXPECT_EQ(TimeZone::parse("+5").error().code, Status::InvalidArgs);
    EXPECT_EQ(TimeZone::parse("+15:00").error().code, Status::InvalidArgs);
}

TEST(Restrictions, K13_HoursWindowIsEnforcedAndWraps) {
    Restrictions business;
    business.hours = *HoursOfDay::between(9, 17);
    EXPECT_EQ(business.check_window(kFridayMidnight + 8 * kNanosPerHour).error().code,
              Status::Restricted);
    EXPECT_TRUE(business.check_window(kFridayMidnight + 9 * kNanosPerHour).has_value());
    EXPECT_TRUE(business.check_window(kFridayMidnight + 17 * kNanosPerHour - 1).has_value());
    EXPECT_FALSE(business.check_window(kFridayMidnight + 17 * kNanosPerHour).has_value());

    Restrictions night;
    night.hours = *HoursOfDay::between(22, 6);
    EXPECT_TRUE(night.check_window(kFridayMidnight + 23 * kNanosPerHour).has_value());
    EXPECT_TRUE(night.check_window(kFridayMidnight + 5 * kNanosPerHour).has_value());
    EXPECT_FALSE(night.check_window(kFridayMidnight + 12 * kNanosPerHour).has_value());
    EXPECT_EQ(HoursOfDay::between(5, 5).error().code, Status::InvalidArgs);
}

TEST(Restrictions, K13_HoursWindowUsesTheNamedZone) {
    Restrictions business;
    business.hours = *HoursOfDay::between(9, 17);
    business.zone = *TimeZone::parse("UTC-05:00");
    // 15:00 UTC is 10:00 in the zone: allowed; 08:00 UTC is 03:00 there: not.
    EXPECT_TRUE(business.check_window(kFridayMidnight + 15 * kNanosPerHour).has_value());
    EXPECT_FALSE(business.check_window(kFridayMidnight + 8 * kNanosPerHour).has_value());
}

TEST(Restrictions, K13_DaysOfWeekWindow) {
    Restrictions weekdays;
    weekdays.days = *DaysOfWeek::from_mask(DaysOfWeek::kWeekdays);
    EXPECT_TRUE(weekdays.check_window(kFridayMidnight).has_value());
    EXPECT_EQ(weekdays.check_window(kFridayMidnight + kNanosPerDay).error().code,
              Status::Restricted);  // Saturday.
    EXPECT_FALSE(weekdays.check_window(kFridayMidnight + 2 * kNanosPerDay).has_value());
    EXPECT_TRUE(weekdays.check_window(kFridayMidnight + 3 * kNanosPerDay).has_value());
}

TEST(Restrictions, K13_ExpiryIsInclusive) {
    Restrictions expiring;
    expiring.expires_at = 1000;
    EXPECT_FALSE(expiring.is_expired(999));
    EXPECT_FALSE(expiring.is_expired(1000));
    EXPECT_TRUE(expiring.is_expired(1001));
}

TEST(Restrictions, K13_ValidAfterAndBeforeAreInclusive) {
    Restrictions window;
    window.valid_after = 100;
    window.valid_before = 200;
    EXPECT_FALSE(window.check_window(99).has_value());
    EXPECT_TRUE(window.check_window(100).has_value());
    EXPECT_TRUE(window.check_window(200).has_value());
    EXPECT_EQ(window.check_window(201).error().code, Status::Restricted);
}

TEST(Restrictions, K13_DeniedWinsOverAllowed) {
    Restrictions processes;
    processes.allowed_processes = std::vector<ProcessId>{ProcessId(1), ProcessId(2)};
    processes.denied_processes = {ProcessId(2)};
    EXPECT_TRUE(processes.check_process(ProcessId(1)).has_value());
    EXPECT_EQ(processes.check_process(ProcessId(2)).error().code, Status::Restricted);
    EXPECT_EQ(processes.check_process(ProcessId(3)).error().code, Status::Restricted);
    EXPECT_FALSE(processes.empty());
    EXPECT_TRUE(Restrictions{}.empty());
}

}  // namespace
}  // namespace esta::kernel
