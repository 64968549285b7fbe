// Every boundary of A-1..A-8 and every denial and rejection reason.
#include <gtest/gtest.h>

#include <cstring>

#include "esta_employer.h"
#include "harness.h"

namespace esta::test {
namespace {

esta_policy policy_with(int32_t waiting_days = 0) {
    esta_policy policy = esta_default_policy();
    policy.waiting_days = waiting_days;
    return policy;
}

esta_policy frontload_policy(bool prorate = false) {
    esta_policy policy = esta_default_policy();
    policy.method = ESTA_METHOD_FRONTLOAD;
    policy.frontload_prorate = prorate ? 1 : 0;
    return policy;
}

// ---- A-3 exact accrual. ----------------------------------------------------------------

TEST(Accrual, A3_45HoursAccrue1h30Exactly) {
    Employer employer = Employer::large();
    employer.hire("a", day(2025, 3, 3), policy_with());
    employer.work("a", day(2025, 3, 3), hours(15));
    employer.work("a", day(2025, 3, 4), hours(15));
    const esta_decision d = employer.work("a", day(2025, 3, 5), hours(15));
    EXPECT_EQ(d.accrued_minutes, 30);
    EXPECT_EQ(employer.balance("a"), hours(1, 30));
}

TEST(Accrual, A3_RemaindersAreCarriedNotLost) {
    Employer employer = Employer::large();
    employer.hire("a", day(2025, 3, 3), policy_with());
    const esta_decision first = employer.work("a", day(2025, 3, 3), 29);
    EXPECT_EQ(first.kind, ESTA_DECISION_ACCRUED);
    EXPECT_EQ(first.accrued_minutes, 0);
    EXPECT_TRUE(has_explanation(first, ESTA_EXPLAIN_REMAINDER_CARRIED, 29));
    EXPECT_EQ(employer.work("a", day(2025, 3, 4), 1).accrued_minutes, 1);
    EXPECT_EQ(employer.employee_state("a").worked_remainder, 0);
    // 100 entries of 7 minutes = 700 minutes -> floor(700 / 30) = 23.
    for (int32_t i = 0; i < 100; ++i)
        employer.work("a", day(2025, 3, 5) + i, 7);
    EXPECT_EQ(employer.balance("a"), 1 + 23);
}

TEST(Accrual, A3_RemainderSurvivesTheBenefitYearEnd) {
    Employer employer = Employer::large();
    employer.hire("a", day(2025, 3, 3), policy_with());
    employer.work("a", day(2025, 12, 31), 20);
    employer.year_end("a", day(2025, 12, 31));
    EXPECT_EQ(employer.work("a", day(2026, 1, 2), 10).accrued_minutes, 1);
}

TEST(Accrual, A3_AnnualAccrualCapIsAPolicyDefaultOff) {
    Employer employer = Employer::large();
    esta_policy capped = policy_with();
    capped.accrual_cap = 1;
    employer.hire("capped", day(2025, 3, 1), capped);
    employer.hire("free", day(2025, 3, 1), policy_with());
    for (int32_t i = 0; i < 300; ++i) {
        employer.work("capped", day(2025, 3, 1) + i, hours(9));
        employer.work("free", day(2025, 3, 1) + i, hours(9));
    }
    EXPECT_EQ(employer.balance("capped"), hours(72));
    EXPECT_EQ(employer.balance("free"), hours(90));
    const esta_decision d = employer.work("capped", day(2025, 12, 27), hours(3));
    EXPECT_EQ(d.accrued_minutes, 0);
    EXPECT_EQ(d.section, ESTA_SECTION_ACCRUAL_CAP);
    EXPECT_TRUE(has_explanation(d, ESTA_EXPLAIN_ACCRUAL_CAPPED, 6));
}

TEST(Accrual, A3_SmallBusinessAnnualCapIs40Hours) {
    Employer employer = Employer::small();
    esta_policy capped = policy_with();
    capped.accrual_cap = 1;
    employer.hire("a", day(2025, 1, 6), capped);
    for (int32_t i = 0; i < 90; ++i)
        employer.work("a", day(2025, 10, 1) + i, hours(16));
    EXPECT_EQ(employer.balance("a"), hours(40));
}

// ---- A-2 effective dates and the new-business exemption. -------------------------------

TEST(Effective, A2_LargeEmployerFrom2025_02_21) {
    Employer employer = Employer::large();
    employer.hire("a", day(2024, 6, 3), policy_with());
    const esta_decision before = employer.work("a", day(2025, 2, 20), hours(3));
    EXPECT_EQ(before.kind, ESTA_DECISION_NOT_EFFECTIVE);
    EXPECT_EQ(before.section, ESTA_SECTION_EFFECTIVE);
    EXPECT_TRUE(has_explanation(before, ESTA_EXPLAIN_EFFECTIVE_DAYS_REMAINING, 1));
    const esta_decision on = employer.work("a", day(2025, 2, 21), hours(3));
    EXPECT_EQ(on.kind, ESTA_DECISION_ACCRUED);
    EXPECT_EQ(on.accrued_minutes, 6);
}

TEST(Effective, A2_SmallBusinessFrom2025_10_01) {
    Employer employer = Employer::small();
    employer.hire("a", day(2025, 1, 6), policy_with());
    EXPECT_EQ(employer.work("a", day(2025, 9, 30), hours(3)).kind, ESTA_DECISION_NOT_EFFECTIVE);
    EXPECT_EQ(employer.use("a", day(2025, 9, 30), hours(1)).kind, ESTA_DECISION_NOT_EFFECTIVE);
    EXPECT_EQ(employer.work("a", day(2025, 10, 1), hours(3)).accrued_minutes, 6);
}

TEST(Effective, A2_AccrualFromHireWhenHiredLater) {
    Employer employer = Employer::large();
    employer.hire("a", day(2025, 6, 2), policy_with());
    const esta_decision before = employer.work("a", day(2025, 6, 1), hours(3));
    EXPECT_EQ(before.kind, ESTA_DECISION_REJECTED);
    EXPECT_EQ(before.reason, ESTA_REASON_BEFORE_HIRE);
    EXPECT_EQ(employer.work("a", day(2025, 6, 2), hours(3)).accrued_minutes, 6);
}

TEST(Effective, A2_BusinessWithEmployeeBefore2022_02_21IsNotExempt) {
    Employer employer;
    employer.weekly_headcounts(day(2024, 1, 1), day(2025, 12, 29), 5);
    employer.headcount(day(2025, 12, 29), 5, day(2022, 2, 20));
    employer.hire("a", day(2025, 1, 6), policy_with());
    EXPECT_EQ(employer.work("a", day(2025, 10, 1), hours(3)).kind, ESTA_DECISION_ACCRUED);
}

TEST(Effective, A2_FirstHireOnCutoffIsExemptThreeYears) {
    Employer employer;
    employer.weekly_headcounts(day(2024, 1, 1), day(2025, 12, 29), 30);
    employer.hire("a", day(2022, 2, 21), policy_with(), day(2022, 2, 21));
    const esta_decision exempt = employer.work("a", day(2025, 2, 20), hours(3));
    EXPECT_EQ(exempt.kind, ESTA_DECISION_EXEMPT);
    EXPECT_TRUE(has_explanation(exempt, ESTA_EXPLAIN_EXEMPT_UNTIL, day(2025, 2, 21)));
    EXPECT_EQ(employer.work("a", day(2025, 2, 21), hours(3)).kind, ESTA_DECISION_ACCRUED);
}

TEST(Effective, A2_ExemptionFromLeapDayEndsOn28February) {
    Employer employer;
    employer.weekly_headcounts(day(2026, 1, 5), day(2027, 12, 27), 30);
    employer.hire("a", day(2024, 2, 29), policy_with(), day(2024, 2, 29));
    EXPECT_EQ(employer.work("a", day(2027, 2, 27), hours(3)).kind, ESTA_DECISION_EXEMPT);
    EXPECT_EQ(employer.work("a", day(2027, 2, 28), hours(3)).kind, ESTA_DECISION_ACCRUED);
}

TEST(Effective, A2_AnEarlierHireRevealsAnOlderBusiness) {
    Employer employer;
    employer.weekly_headcounts(day(2024, 1, 1), day(2025, 12, 29), 30);
    employer.hire("late", day(2023, 5, 1), policy_with(), day(2023, 5, 1));
    employer.hire("early", day(2020, 1, 6), policy_with());
    EXPECT_EQ(employer.employer_state().first_employee_date, day(2020, 1, 6));
    EXPECT_EQ(employer.work("late", day(2025, 3, 3), hours(3)).kind, ESTA_DECISION_ACCRUED);
}

// ---- A-1 employer size. -----------------------------------------------------------------

TEST(Size, A1_NineteenQualifyingWeeksIsStillSmall) {
    Employer employer;
    employer.weekly_headcounts(day(2025, 1, 6), day(2025, 5, 12), 11);  // 19 Mondays
    esta_explanation why;
    const esta_ruleset* rules = esta_select_ruleset(esta_builtin_rulesets(), day(2025, 6, 1));
    EXPECT_EQ(esta_employer_size(rules, &employer.employer_state(), day(2025, 6, 1), &why),
              ESTA_SIZE_SMALL);
    EXPECT_EQ(why.value, 19);
    employer.headcount(day(2025, 5, 19), 11);
    EXPECT_EQ(esta_employer_size(rules, &employer.employer_state(), day(2025, 6, 1), &why),
              ESTA_SIZE_LARGE);
}

TEST(Size, A1_ACorrectedWeekIsCountedOnce) {
    Employer employer;
    employer.weekly_headcounts(day(2025, 1, 6), day(2025, 5, 19), 11);  // 20 Mondays
    employer.headcount(day(2025, 5, 19), 10);                           // corrected down
    employer.headcount(day(2025, 1, 6), 12);                            // re-reported
    esta_explanation why;
    const esta_ruleset* rules = esta_select_ruleset(esta_builtin_rulesets(), day(2025, 6, 1));
    EXPECT_EQ(esta_employer_size(rules, &employer.employer_state(), day(2025, 6, 1), &why),
              ESTA_SIZE_SMALL);
    EXPECT_EQ(why.value, 19);
}

TEST(Size, A3_SmallBusinessCarryoverCapIs40Hours) {
    Employer employer = Employer::small();
    esta_policy policy = policy_with();
    employer.hire("a", day(2025, 1, 6), policy);
    for (int32_t i = 0; i < 90; ++i)
        employer.work("a", day(2025, 10, 1) + i, hours(20));
    ASSERT_EQ(employer.balance("a"), hours(60));
    const esta_decision d = employer.year_end("a", day(2025, 12, 31));
    EXPECT_EQ(d.carried_minutes, hours(40));  // small business carryover cap
    EXPECT_EQ(d.forfeited_minutes, hours(20));
    EXPECT_EQ(d.size, ESTA_SIZE_SMALL);
}

TEST(Size, A1_LateEntryAfterANewYearsFirstReportKeepsThePriorYearSize) {
    Employer employer;
    employer.weekly_headcounts(day(2024, 1, 1), day(2024, 12, 30), 25);
    employer.weekly_headcounts(day(2025, 1, 6), day(2025, 12, 29), 10);
    employer.hire("a", day(2025, 3, 3), policy_with());
    employer.headcount(day(2026, 1, 5), 10);  // the first report of 2026 arrives first
    const esta_decision d = employer.work("a", day(2025, 12, 31), hours(3));
    EXPECT_EQ(d.size, ESTA_SIZE_LARGE);  // 2025 is large through 2024's 53 weeks
    EXPECT_TRUE(has_explanation(d, ESTA_EXPLAIN_SIZE_LARGE_PRIOR_YEAR, 53));
    EXPECT_EQ(d.accrued_minutes, 6);
}

TEST(Size, A1_HeadcountsOlderThanThreeYearsAreForgotten) {
    Employer employer;
    employer.weekly_headcounts(day(2024, 1, 1), day(2024, 12, 30), 25);
    EXPECT_EQ(esta_qualifying_weeks(&employer.employer_state(), 2024), 53);
    employer.headcount(day(2026, 1, 5), 10);
    EXPECT_EQ(esta_qualifying_weeks(&employer.employer_state(), 2024), 53);
    employer.headcount(day(2027, 1, 4), 10);
    EXPECT_EQ(esta_qualifying_weeks(&employer.employer_state(), 2024), 0);
    // A report for a year no longer kept is acknowledged and changes nothing.
    const esta_employer_state before = employer.employer_state();
    EXPECT_EQ(employer.headcount(day(2024, 6, 3), 30).kind, ESTA_DECISION_HEADCOUNT);
    EXPECT_EQ(std::memcmp(&before.large_weeks, &employer.employer_state().large_weeks,
                          sizeof before.large_weeks),
              0);
}

// ---- A-4 frontload. ---------------------------------------------------------------------

TEST(Frontload, A4_HoursAreRecordedNotAccrued) {
    Employer employer = Employer::large();
    employer.hire("a", day(2025, 3, 3), frontload_policy());
    const esta_decision d = employer.work("a", day(2025, 3, 3), hours(8));
    EXPECT_EQ(d.kind, ESTA_DECISION_RECORDED);
    EXPECT_EQ(d.accrued_minutes, 0);
    EXPECT_EQ(employer.balance("a"), hours(72));
}

TEST(Frontload, A4_NoWaitingPeriodAndUseCappedAtTheFrontload) {
    Employer employer = Employer::large();
    esta_policy policy = frontload_policy();
    policy.waiting_days = 120;
    employer.hire("a", day(2025, 3, 3), policy);
    EXPECT_EQ(employer.use("a", day(2025, 3, 4), hours(72)).kind, ESTA_DECISION_APPROVED);
    const esta_decision d = employer.use("a", day(2025, 3, 5), 1);
    EXPECT_EQ(d.kind, ESTA_DECISION_DENIED);
    EXPECT_EQ(d.reason, ESTA_REASON_INSUFFICIENT_BALANCE);
}

TEST(Frontload, A4_SmallBusinessGets40HoursWhenTheActStarts) {
    Employer employer = Employer::small();
    const esta_decision hired = employer.hire("a", day(2025, 1, 6), frontload_policy());
    EXPECT_EQ(hired.frontloaded_minutes, 0);
    EXPECT_TRUE(has_explanation(hired, ESTA_EXPLAIN_EFFECTIVE_DAYS_REMAINING,
                                day(2025, 10, 1) - day(2025, 1, 6)));
    const esta_decision d = employer.work("a", day(2025, 10, 1), hours(8));
    EXPECT_EQ(d.frontloaded_minutes, hours(40));
    EXPECT_EQ(employer.balance("a"), hours(40));
}

TEST(Frontload, A4_ProratingIsAPolicyAndRoundsUp) {
    Employer employer = Employer::large();
    const esta_decision full = employer.hire("full", day(2025, 7, 2), frontload_policy(false));
    EXPECT_EQ(full.frontloaded_minutes, hours(72));
    // 2025-07-02 .. 2025-12-31 is 183 of 365 days: 4320 * 183 / 365 = 2165.9 -> 2166.
    const esta_decision part = employer.hire("part", day(2025, 7, 2), frontload_policy(true));
    EXPECT_EQ(part.frontloaded_minutes, 2166);
    EXPECT_TRUE(has_explanation(part, ESTA_EXPLAIN_PRORATED, 183));
    // The next benefit year is whole again.
    EXPECT_EQ(employer.year_end("part", day(2025, 12, 31)).frontloaded_minutes, hours(72));
}

// ---- A-5 waiting period. ----------------------------------------------------------------

TEST(Waiting, A5_WaitingPeriod120DaysEndsOnDay120) {
    Employer employer = Employer::large();
    employer.hire("a", day(2025, 3, 3), policy_with(120));
    employer.work_weekdays("a", day(2025, 3, 3), day(2025, 5, 9), hours(8));
    const esta_decision last_day = employer.use("a", day(2025, 6, 30), hours(1));
    EXPECT_EQ(last_day.reason, ESTA_REASON_WAITING_PERIOD);
    EXPECT_TRUE(has_explanation(last_day, ESTA_EXPLAIN_WAITING_DAYS_REMAINING, 1));
    EXPECT_EQ(employer.use("a", day(2025, 7, 1), hours(1)).kind, ESTA_DECISION_APPROVED);
}

TEST(Waiting, A5_AccrualRunsDuringTheWaitingPeriod) {
    Employer employer = Employer::large();
    employer.hire("a", day(2025, 3, 3), policy_with(120));
    EXPECT_EQ(employer.work("a", day(2025, 3, 3), hours(6)).accrued_minutes, 12);
}

TEST(Waiting, A5_PolicyAbove120OrBelow0IsInvalid) {
    Employer employer = Employer::large();
    for (int32_t waiting : {121, -1}) {
        const esta_decision d = employer.hire("a", day(2025, 3, 3), policy_with(waiting));
        EXPECT_EQ(d.kind, ESTA_DECISION_REJECTED);
        EXPECT_EQ(d.reason, ESTA_REASON_INVALID_POLICY);
        EXPECT_FALSE(d.employee.hired);
    }
    EXPECT_EQ(employer.hire("a", day(2025, 3, 3), policy_with(0)).kind, ESTA_DECISION_HIRED);
}

TEST(Waiting, A5_NoWaitingForHiresBefore2025_02_21) {
    Employer employer = Employer::large();
    employer.hire("old", day(2025, 2, 20), policy_with(120));
    employer.hire("new", day(2025, 2, 21), policy_with(120));
    employer.work("old", day(2025, 3, 3), hours(6));
    employer.work("new", day(2025, 3, 3), hours(6));
    EXPECT_EQ(employer.use("old", day(2025, 3, 4), 12).kind, ESTA_DECISION_APPROVED);
    EXPECT_EQ(employer.use("new", day(2025, 3, 4), 12).reason, ESTA_REASON_WAITING_PERIOD);
}

// ---- A-6 benefit years and carryover. ---------------------------------------------------

TEST(BenefitYear, A6_StartingJuly1ClosesOnJune30) {
    Employer employer = Employer::large();
    esta_policy policy = policy_with();
    policy.year_start_month = 7;
    policy.year_start_day = 1;
    employer.hire("a", day(2025, 3, 3), policy);
    EXPECT_EQ(employer.employee_state("a").year_start, day(2024, 7, 1));
    employer.work("a", day(2025, 3, 3), hours(15));
    const esta_decision early = employer.year_end("a", day(2025, 6, 29));
    EXPECT_EQ(early.kind, ESTA_DECISION_REJECTED);
    EXPECT_EQ(early.reason, ESTA_REASON_YEAR_NOT_ENDED);
    const esta_decision d = employer.year_end("a", day(2025, 6, 30));
    EXPECT_EQ(d.kind, ESTA_DECISION_ROLLED_OVER);
    EXPECT_EQ(d.carried_minutes, 30);
    EXPECT_EQ(d.employee.year_start, day(2025, 7, 1));
    const esta_decision again = employer.year_end("a", day(2025, 6, 30));
    EXPECT_EQ(again.reason, ESTA_REASON_CLOSED_YEAR);
}

TEST(BenefitYear, A6_AnEventInANewYearClosesTheOldOneImplicitly) {
    Employer employer = Employer::large();
    esta_policy policy = policy_with();
    policy.year_start_month = 3;
    policy.year_start_day = 1;
    policy.use_cap = 1;
    employer.hire("a", day(2025, 3, 3), policy);
    for (int32_t i = 0; i < 300; ++i)
        employer.work("a", day(2025, 3, 3) + i, hours(9));
    employer.use("a", day(2026, 2, 27), hours(72));
    // 2028 is a leap year: the benefit year 2027-03-01 .. 2028-02-29 has 366 days.
    const esta_decision d = employer.use("a", day(2028, 2, 29), hours(1));
    EXPECT_EQ(d.kind, ESTA_DECISION_APPROVED);
    EXPECT_TRUE(has_explanation(d, ESTA_EXPLAIN_YEARS_ROLLED, 2));
    EXPECT_EQ(d.employee.year_start, day(2027, 3, 1));
    EXPECT_EQ(d.used_this_year_minutes, hours(1));  // the use cap starts again each year
    // Worked after the implicit close, the old year is closed for good.
    EXPECT_EQ(employer.work("a", day(2027, 2, 28), hours(1)).reason, ESTA_REASON_CLOSED_YEAR);
    EXPECT_EQ(employer.year_end("a", day(2028, 2, 28)).reason, ESTA_REASON_YEAR_NOT_ENDED);
    EXPECT_EQ(employer.year_end("a", day(2028, 2, 29)).kind, ESTA_DECISION_ROLLED_OVER);
}

TEST(BenefitYear, A6_LeapDayIsNotAValidBenefitYearStart) {
    Employer employer = Employer::large();
    esta_policy policy = policy_with();
    policy.year_start_month = 2;
    policy.year_start_day = 29;
    EXPECT_EQ(employer.hire("a", day(2025, 3, 3), policy).reason, ESTA_REASON_INVALID_POLICY);
    policy.year_start_day = 28;
    EXPECT_EQ(employer.hire("a", day(2025, 3, 3), policy).kind, ESTA_DECISION_HIRED);
}

TEST(BenefitYear, A3_UnlimitedCarryoverPolicyCarriesEverything) {
    Employer employer = Employer::large();
    esta_policy policy = policy_with();
    policy.unlimited_carryover = 1;
    employer.hire("a", day(2025, 3, 1), policy);
    for (int32_t i = 0; i < 300; ++i)
        employer.work("a", day(2025, 3, 1) + i, hours(9));
    const esta_decision d = employer.year_end("a", day(2025, 12, 31));
    EXPECT_EQ(d.carried_minutes, hours(90));
    EXPECT_EQ(d.forfeited_minutes, 0);
}

TEST(BenefitYear, A3_CarryoverExactlyAtTheCapLosesNothing) {
    Employer employer = Employer::large();
    employer.hire("a", day(2025, 3, 1), policy_with());
    for (int32_t i = 0; i < 240; ++i)
        employer.work("a", day(2025, 3, 1) + i, hours(9));
    ASSERT_EQ(employer.balance("a"), hours(72));
    const esta_decision d = employer.year_end("a", day(2025, 12, 31));
    EXPECT_EQ(d.carried_minutes, hours(72));
    EXPECT_EQ(d.forfeited_minutes, 0);
}

// ---- A-7 use requests and input validation. ---------------------------------------------

TEST(Use, A7_BalanceExactlyEnoughIsApprovedOneMinuteMoreIsDenied) {
    Employer employer = Employer::large();
    employer.hire("a", day(2025, 3, 3), policy_with());
    employer.work("a", day(2025, 3, 3), hours(6));  // 12 minutes
    const esta_decision over = employer.use("a", day(2025, 3, 4), 13);
    EXPECT_EQ(over.kind, ESTA_DECISION_DENIED);
    EXPECT_EQ(over.reason, ESTA_REASON_INSUFFICIENT_BALANCE);
    EXPECT_EQ(over.section, ESTA_SECTION_USE);
    EXPECT_EQ(employer.use("a", day(2025, 3, 4), 12).kind, ESTA_DECISION_APPROVED);
    EXPECT_EQ(employer.balance("a"), 0);
}

TEST(Use, A7_UseCapExactly72IsApproved) {
    Employer employer = Employer::large();
    esta_policy policy = policy_with();
    policy.use_cap = 1;
    employer.hire("a", day(2025, 3, 1), policy);
    for (int32_t i = 0; i < 300; ++i)
        employer.work("a", day(2025, 3, 1) + i, hours(9));
    EXPECT_EQ(employer.use("a", day(2025, 12, 27), hours(72)).kind, ESTA_DECISION_APPROVED);
    EXPECT_EQ(employer.use("a", day(2025, 12, 27), 1).reason, ESTA_REASON_USE_CAP);
}

TEST(Use, A7_WaitingIsCheckedBeforeBalanceAndBalanceBeforeCap) {
    Employer employer = Employer::large();
    esta_policy policy = policy_with(120);
    policy.use_cap = 1;
    employer.hire("a", day(2025, 3, 3), policy);
    EXPECT_EQ(employer.use("a", day(2025, 3, 3), hours(100)).reason, ESTA_REASON_WAITING_PERIOD);
    EXPECT_EQ(employer.use("a", day(2025, 7, 1), hours(100)).reason,
              ESTA_REASON_INSUFFICIENT_BALANCE);
}

TEST(Input, A7_ZeroAnd24HoursAreAcceptedAbove24Rejected) {
    Employer employer = Employer::large();
    employer.hire("a", day(2025, 3, 3), policy_with());
    EXPECT_EQ(employer.work("a", day(2025, 3, 3), 0).kind, ESTA_DECISION_ACCRUED);
    EXPECT_EQ(employer.work("a", day(2025, 3, 4), hours(24)).accrued_minutes, 48);
    EXPECT_EQ(employer.work("a", day(2025, 3, 5), hours(24) + 1).reason, ESTA_REASON_OVER_24_HOURS);
}

TEST(Input, A7_EntriesForOneDayMayNotExceed24HoursTogether) {
    Employer employer = Employer::large();
    employer.hire("a", day(2025, 3, 3), policy_with());
    EXPECT_EQ(employer.work("a", day(2025, 3, 3), hours(20)).kind, ESTA_DECISION_ACCRUED);
    EXPECT_EQ(employer.work("a", day(2025, 3, 3), hours(4)).kind, ESTA_DECISION_ACCRUED);
    const esta_decision d = employer.work("a", day(2025, 3, 3), 1);
    EXPECT_EQ(d.reason, ESTA_REASON_OVER_24_HOURS);
    EXPECT_TRUE(has_explanation(d, ESTA_EXPLAIN_DAY_TOTAL, hours(24)));
    EXPECT_EQ(employer.work("a", day(2025, 3, 4), hours(24)).kind, ESTA_DECISION_ACCRUED);
}

TEST(Input, A7_FutureDatesAreRelativeToTheEventsProcessingDate) {
    Employer employer = Employer::large();
    employer.hire("a", day(2025, 3, 3), policy_with());
    esta_event event{};
    event.kind = ESTA_EVENT_HOURS_WORKED;
    event.date = day(2025, 3, 10);
    event.processed_on = day(2025, 3, 9);
    event.minutes = hours(8);
    event.employer_first_hire = ESTA_NO_DATE;
    EXPECT_EQ(employer.decide("a", event).reason, ESTA_REASON_FUTURE_DATE);
    event.processed_on = day(2025, 3, 10);
    EXPECT_EQ(employer.decide("a", event).kind, ESTA_DECISION_ACCRUED);
    event.kind = ESTA_EVENT_USE_REQUEST;
    event.date = day(2025, 3, 11);
    EXPECT_EQ(employer.decide("a", event).reason, ESTA_REASON_FUTURE_DATE);
}

TEST(Input, A7_EveryRejectionLeavesTheStatesUnchanged) {
    Employer employer = Employer::large();
    employer.hire("a", day(2025, 3, 3), policy_with());
    employer.work("a", day(2025, 3, 3), hours(8));
    struct Case {
        int32_t kind, date, minutes, reason;
    };
    const Case cases[] = {
        {ESTA_EVENT_HOURS_WORKED, day(2025, 3, 4), -1, ESTA_REASON_NEGATIVE_MINUTES},
        {ESTA_EVENT_HOURS_WORKED, day(2025, 3, 4), hours(25), ESTA_REASON_OVER_24_HOURS},
        {ESTA_EVENT_HOURS_WORKED, day(2025, 3, 2), hours(1), ESTA_REASON_BEFORE_HIRE},
        {ESTA_EVENT_HOURS_WORKED, ESTA_NO_DATE, hours(1), ESTA_REASON_INVALID_DATE},
        {ESTA_EVENT_USE_REQUEST, day(2025, 3, 4), 0, ESTA_REASON_NOT_POSITIVE},
        {ESTA_EVENT_USE_REQUEST, day(2025, 3, 4), -5, ESTA_REASON_NOT_POSITIVE},
        {ESTA_EVENT_YEAR_END, day(2025, 12, 30), 0, ESTA_REASON_YEAR_NOT_ENDED},
        {ESTA_EVENT_HIRE, day(2025, 3, 4), 0, ESTA_REASON_ALREADY_HIRED},
        {99, day(2025, 3, 4), 0, ESTA_REASON_UNKNOWN_EVENT},
    };
    for (const Case& c : cases) {
        const esta_employee_state before = employer.employee_state("a");
        const esta_employer_state employer_before = employer.employer_state();
        esta_event event{};
        event.kind = c.kind;
        event.date = c.date;
        event.processed_on = c.date == ESTA_NO_DATE ? day(2025, 3, 4) : c.date;
        event.minutes = c.minutes;
        event.employer_first_hire = ESTA_NO_DATE;
        event.policy = policy_with();
        const esta_decision d = employer.decide("a", event);
        EXPECT_EQ(d.kind, ESTA_DECISION_REJECTED) << "case reason " << c.reason;
        EXPECT_EQ(d.reason, c.reason);
        EXPECT_EQ(d.section, ESTA_SECTION_INPUT);
        EXPECT_EQ(std::memcmp(&before, &employer.employee_state("a"), sizeof before), 0);
        EXPECT_EQ(std::memcmp(&employer_before, &employer.employer_state(), sizeof employer_before),
                  0);
    }
}

TEST(Input, A7_EventsForAnUnknownEmployeeAreRejected) {
    Employer employer = Employer::large();
    EXPECT_EQ(employer.work("nobody", day(2025, 3, 3), hours(1)).reason, ESTA_REASON_NOT_HIRED);
    EXPECT_EQ(employer.use("nobody", day(2025, 3, 3), hours(1)).reason, ESTA_REASON_NOT_HIRED);
    EXPECT_EQ(employer.year_end("nobody", day(2025, 12, 31)).reason, ESTA_REASON_NOT_HIRED);
}

TEST(Input, A1_NegativeHeadcountIsRejected) {
    Employer employer;
    const esta_decision d = employer.headcount(day(2025, 1, 6), -1);
    EXPECT_EQ(d.kind, ESTA_DECISION_REJECTED);
    EXPECT_EQ(d.reason, ESTA_REASON_INVALID_HEADCOUNT);
    EXPECT_EQ(employer.employer_state().headcount_year, 0);
}

// ---- A-8 and V-1: rules name themselves; rulesets are data chosen by date. ----------------

TEST(Ruleset, A8_DecisionsNameRulesetVersionAndSection) {
    Employer employer = Employer::large();
    employer.hire("a", day(2025, 3, 3), policy_with());
    const esta_decision d = employer.work("a", day(2025, 3, 3), hours(3));
    EXPECT_STREQ(d.ruleset_version, "MI-ESTA-2025.1");
    EXPECT_STREQ(esta_section_name(d.section), "accrual");
    EXPECT_STREQ(esta_section_requirement(d.section), "A-3");
    EXPECT_EQ(d.explanations[0].code, ESTA_EXPLAIN_SIZE_LARGE_CURRENT_YEAR);
}

TEST(Ruleset, A8_TheRulesetIsSelectedByTheEventsBusinessDate) {
    // A hypothetical amendment from 2027-01-01 that accrues 1 hour per 20 hours worked.
    esta_ruleset rulesets[2] = {esta_builtin_rulesets().entries[0],
                                esta_builtin_rulesets().entries[0]};
    rulesets[1].version = "MI-ESTA-2027.1";
    rulesets[1].effective_from = day(2027, 1, 1);
    rulesets[1].accrual_worked_minutes = 20;
    const esta_ruleset_table table = {rulesets, 2};
    EXPECT_EQ(esta_select_ruleset(table, day(2026, 12, 31)), &rulesets[0]);
    EXPECT_EQ(esta_select_ruleset(table, day(2027, 1, 1)), &rulesets[1]);

    Employer employer;
    employer.weekly_headcounts(day(2026, 1, 5), day(2027, 1, 4), 30);
    employer.hire("a", day(2026, 1, 5), policy_with());
    esta_event event{};
    event.kind = ESTA_EVENT_HOURS_WORKED;
    event.date = event.processed_on = day(2026, 12, 31);
    event.minutes = hours(6);
    esta_decision d;
    esta_decide(table, &employer.employer_state(), &employer.employee_state("a"), &event, &d);
    EXPECT_EQ(d.accrued_minutes, 12);
    EXPECT_STREQ(d.ruleset_version, "MI-ESTA-2025.1");
    event.date = event.processed_on = day(2027, 1, 4);
    esta_decide(table, &employer.employer_state(), &employer.employee_state("a"), &event, &d);
    EXPECT_EQ(d.accrued_minutes, 18);
    EXPECT_STREQ(d.ruleset_version, "MI-ESTA-2027.1");

    const esta_ruleset_table late = {&rulesets[1], 1};
    event.date = event.processed_on = day(2026, 6, 1);
    esta_decide(late, &employer.employer_state(), &employer.employee_state("a"), &event, &d);
    EXPECT_EQ(d.reason, ESTA_REASON_NO_RULESET);
    EXPECT_EQ(d.ruleset_version, nullptr);
}

TEST(Ruleset, V1_StateFromANewerVersionIsRefused) {
    Employer employer = Employer::large();
    employer.hire("a", day(2025, 3, 3), policy_with());
    employer.employee_state("a").version = ESTA_STATE_VERSION + 1;
    EXPECT_EQ(employer.work("a", day(2025, 3, 3), hours(1)).reason, ESTA_REASON_STATE_VERSION);
}

TEST(Ruleset, A1_BuiltinValuesFollowTheAmendedAct) {
    const esta_ruleset& r = esta_builtin_rulesets().entries[0];
    EXPECT_EQ(r.large_effective, day(2025, 2, 21));
    EXPECT_EQ(r.small_effective, day(2025, 10, 1));
    EXPECT_EQ(r.small_max_employees, 10);
    EXPECT_EQ(r.large_min_workweeks, 20);
    EXPECT_EQ(r.new_business_cutoff, day(2022, 2, 21));
    EXPECT_EQ(r.large_cap_minutes, hours(72));
    EXPECT_EQ(r.small_cap_minutes, hours(40));
    EXPECT_EQ(r.max_waiting_days, 120);
    EXPECT_EQ(r.accrual_earned_minutes * 30, r.accrual_worked_minutes);
}

}  // namespace
}  // namespace esta::test
