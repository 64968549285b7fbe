// REQUIREMENTS A-9: the golden scenarios, exactly as listed.
#include <gtest/gtest.h>

#include <cstring>

#include "harness.h"

namespace esta::test {
namespace {

esta_policy accrual_policy(int32_t waiting_days = 0) {
    esta_policy policy = esta_default_policy();
    policy.waiting_days = waiting_days;
    return policy;
}

// Scenarios 1-3 share one employee: large employer, accrual, 120-day waiting period.
class GoldenLargeWaiting : public ::testing::Test {
  protected:
    void SetUp() override {
        employer = Employer::large();
        ASSERT_EQ(employer.hire("ann", day(2025, 3, 3), accrual_policy(120)).kind,
                  ESTA_DECISION_HIRED);
        // 40 h a week for 10 weeks: Monday 2025-03-03 .. Friday 2025-05-09.
        employer.work_weekdays("ann", day(2025, 3, 3), day(2025, 5, 9), hours(8));
    }
    Employer employer;
};

TEST_F(GoldenLargeWaiting, A9_GoldenScenario1_400HoursAccrue13h20) {
    EXPECT_EQ(employer.balance("ann"), hours(13, 20));
    EXPECT_EQ(employer.employee_state("ann").earned_minutes, hours(13, 20));
}

TEST_F(GoldenLargeWaiting, A9_GoldenScenario2_UseInWaitingPeriodDenied61DaysRemaining) {
    const esta_decision d = employer.use("ann", day(2025, 5, 1), hours(8));
    EXPECT_EQ(d.kind, ESTA_DECISION_DENIED);
    EXPECT_EQ(d.reason, ESTA_REASON_WAITING_PERIOD);
    EXPECT_EQ(d.section, ESTA_SECTION_WAITING);
    EXPECT_TRUE(has_explanation(d, ESTA_EXPLAIN_WAITING_DAYS_REMAINING, 61));
    EXPECT_EQ(employer.balance("ann"), hours(13, 20));
}

TEST_F(GoldenLargeWaiting, A9_GoldenScenario3_UseOnDay120ApprovedBalance5h20) {
    employer.use("ann", day(2025, 5, 1), hours(8));
    const esta_decision d = employer.use("ann", day(2025, 7, 1), hours(8));
    EXPECT_EQ(d.kind, ESTA_DECISION_APPROVED);
    EXPECT_EQ(d.approved_minutes, hours(8));
    EXPECT_EQ(d.balance_minutes, hours(5, 20));
    EXPECT_STREQ(d.ruleset_version, "MI-ESTA-2025.1");
    EXPECT_EQ(d.section, ESTA_SECTION_USE);
}

TEST(Golden, A9_GoldenScenario4_SmallBusinessAccruesFrom2025_10_01) {
    Employer employer = Employer::small();
    employer.hire("bob", day(2025, 1, 6), accrual_policy());
    // 40 h a week from hire until the small-business effective date: nothing accrues.
    employer.work_weekdays("bob", day(2025, 1, 6), day(2025, 9, 30), hours(8));
    EXPECT_EQ(employer.balance("bob"), 0);
    const esta_decision before = employer.work("bob", day(2025, 9, 30), 0);
    EXPECT_EQ(before.kind, ESTA_DECISION_NOT_EFFECTIVE);
    EXPECT_TRUE(has_explanation(before, ESTA_EXPLAIN_EFFECTIVE_DAYS_REMAINING, 1));
    // 13 workweeks of 5 x 8 h from Wednesday 2025-10-01 (91 days, 520 h).
    for (int32_t offset = 0; offset < 91; ++offset) {
        if (offset % 7 < 5) employer.work("bob", day(2025, 10, 1) + offset, hours(8));
    }
    EXPECT_EQ(employer.balance("bob"), hours(17, 20));
    EXPECT_EQ(employer.year_end("bob", day(2025, 12, 31)).carried_minutes, hours(17, 20));
}

TEST(Golden, A9_GoldenScenario5_CarryoverCappedAt72) {
    Employer employer = Employer::large();
    employer.hire("cat", day(2025, 3, 1), accrual_policy());
    // 9 h on each of 300 days = 2700 h -> 90:00.
    for (int32_t offset = 0; offset < 300; ++offset) {
        employer.work("cat", day(2025, 3, 1) + offset, hours(9));
    }
    ASSERT_EQ(employer.balance("cat"), hours(90));
    const esta_decision d = employer.year_end("cat", day(2025, 12, 31));
    EXPECT_EQ(d.kind, ESTA_DECISION_ROLLED_OVER);
    EXPECT_EQ(d.carried_minutes, hours(72));
    EXPECT_EQ(d.forfeited_minutes, hours(18));
    EXPECT_EQ(d.balance_minutes, hours(72));
    EXPECT_EQ(d.employee.year_start, day(2026, 1, 1));
}

TEST(Golden, A9_GoldenScenario6_UseCapDeniesAbove72) {
    Employer employer = Employer::large();
    esta_policy policy = accrual_policy();
    policy.use_cap = 1;
    employer.hire("dan", day(2025, 3, 1), policy);
    for (int32_t offset = 0; offset < 300; ++offset) {
        employer.work("dan", day(2025, 3, 1) + offset, hours(9));
    }
    for (int32_t i = 0; i < 7; ++i) {
        ASSERT_EQ(employer.use("dan", day(2025, 12, 26), hours(10)).kind, ESTA_DECISION_APPROVED);
    }
    ASSERT_EQ(employer.employee_state("dan").used_minutes, hours(70));
    ASSERT_EQ(employer.balance("dan"), hours(20));
    const esta_decision denied = employer.use("dan", day(2025, 12, 27), hours(4));
    EXPECT_EQ(denied.kind, ESTA_DECISION_DENIED);
    EXPECT_EQ(denied.reason, ESTA_REASON_USE_CAP);
    EXPECT_TRUE(has_explanation(denied, ESTA_EXPLAIN_USE_CAP_REMAINING, hours(2)));
    const esta_decision approved = employer.use("dan", day(2025, 12, 27), hours(2));
    EXPECT_EQ(approved.kind, ESTA_DECISION_APPROVED);
    EXPECT_EQ(approved.balance_minutes, hours(18));
}

TEST(Golden, A9_GoldenScenario7_Frontload72AtStartOf2026WhateverWasLeft) {
    for (int32_t used : {0, hours(10), hours(72)}) {
        Employer employer = Employer::large();
        esta_policy policy = esta_default_policy();
        policy.method = ESTA_METHOD_FRONTLOAD;
        const esta_decision hired = employer.hire("eve", day(2025, 3, 3), policy);
        EXPECT_EQ(hired.frontloaded_minutes, hours(72));
        if (used > 0) {
            ASSERT_EQ(employer.use("eve", day(2025, 6, 2), used).kind, ESTA_DECISION_APPROVED);
        }
        const esta_decision d = employer.year_end("eve", day(2025, 12, 31));
        EXPECT_EQ(d.kind, ESTA_DECISION_ROLLED_OVER);
        EXPECT_EQ(d.carried_minutes, 0);
        EXPECT_EQ(d.forfeited_minutes, hours(72) - used);
        EXPECT_EQ(d.frontloaded_minutes, hours(72));
        EXPECT_EQ(d.balance_minutes, hours(72)) << "used in 2025: " << used;
    }
}

TEST(Golden, A9_GoldenScenario8_HeadcountDerivesSize) {
    esta_explanation why;
    Employer ten;
    ten.weekly_headcounts(day(2025, 1, 6), day(2025, 12, 29), 10);
    const esta_ruleset* rules = esta_select_ruleset(esta_builtin_rulesets(), day(2025, 6, 1));
    EXPECT_EQ(esta_employer_size(rules, &ten.employer_state(), day(2025, 12, 31), &why),
              ESTA_SIZE_SMALL);
    EXPECT_EQ(why.code, ESTA_EXPLAIN_SIZE_SMALL);

    Employer grew;
    // 11 employees in the 20 workweeks from 2025-01-06, then back to 10.
    grew.weekly_headcounts(day(2025, 1, 6), day(2025, 5, 19), 11);
    grew.weekly_headcounts(day(2025, 5, 26), day(2025, 12, 29), 10);
    EXPECT_EQ(esta_employer_size(rules, &grew.employer_state(), day(2025, 12, 31), &why),
              ESTA_SIZE_LARGE);
    EXPECT_EQ(why.code, ESTA_EXPLAIN_SIZE_LARGE_CURRENT_YEAR);
    EXPECT_EQ(why.value, 20);
    grew.weekly_headcounts(day(2026, 1, 5), day(2026, 12, 28), 10);
    EXPECT_EQ(esta_employer_size(rules, &grew.employer_state(), day(2026, 12, 31), &why),
              ESTA_SIZE_LARGE);
    EXPECT_EQ(why.code, ESTA_EXPLAIN_SIZE_LARGE_PRIOR_YEAR);
    grew.weekly_headcounts(day(2027, 1, 4), day(2027, 3, 1), 10);
    EXPECT_EQ(esta_employer_size(rules, &grew.employer_state(), day(2027, 3, 1), &why),
              ESTA_SIZE_SMALL);
}

TEST(Golden, A9_GoldenScenario9_25HoursOrNegativeRejectedNothingChanges) {
    Employer employer = Employer::large();
    employer.hire("fay", day(2025, 3, 3), accrual_policy());
    employer.work("fay", day(2025, 3, 3), hours(7));
    const esta_employee_state before = employer.employee_state("fay");
    const esta_decision over = employer.work("fay", day(2025, 3, 4), hours(25));
    EXPECT_EQ(over.kind, ESTA_DECISION_REJECTED);
    EXPECT_EQ(over.reason, ESTA_REASON_OVER_24_HOURS);
    const esta_decision negative = employer.work("fay", day(2025, 3, 4), -hours(1));
    EXPECT_EQ(negative.kind, ESTA_DECISION_REJECTED);
    EXPECT_EQ(negative.reason, ESTA_REASON_NEGATIVE_MINUTES);
    EXPECT_EQ(std::memcmp(&before, &employer.employee_state("fay"), sizeof before), 0);
}

TEST(Golden, A9_GoldenScenario10_NewBusinessExemptUntil2026_05_01) {
    Employer employer;
    employer.weekly_headcounts(day(2023, 5, 1), day(2026, 4, 27), 8);
    employer.headcount(day(2026, 4, 27), 8, day(2023, 5, 1));
    employer.hire("gus", day(2023, 5, 1), accrual_policy());
    const esta_decision exempt = employer.work("gus", day(2026, 4, 30), hours(8));
    EXPECT_EQ(exempt.kind, ESTA_DECISION_EXEMPT);
    EXPECT_TRUE(has_explanation(exempt, ESTA_EXPLAIN_EXEMPT_UNTIL, day(2026, 5, 1)));
    EXPECT_EQ(employer.balance("gus"), 0);
    const esta_decision covered = employer.work("gus", day(2026, 5, 1), hours(15));
    EXPECT_EQ(covered.kind, ESTA_DECISION_ACCRUED);
    EXPECT_EQ(covered.accrued_minutes, 30);
}

}  // namespace
}  // namespace esta::test
