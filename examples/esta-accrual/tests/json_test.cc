// V-1: the event and decision JSON-lines formats, version 1 (docs/ESTA.md).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <string_view>

#include "esta_json.h"
#include "harness.h"
#include "tiny_json.h"

namespace esta::test {
namespace {

int32_t parse(std::string_view line, esta_event_record* record) {
    return esta_parse_event_json(line.data(), static_cast<int32_t>(line.size()), record);
}

std::string text(esta_text t) {
    return std::string(t.data, static_cast<size_t>(t.length));
}

TEST(EventJson, V1_ParsesAHireWithItsPolicy) {
    esta_event_record r;
    ASSERT_EQ(parse(R"({"v":1,"id":"e1","type":"hire","employer":"ER1","employee":"ER1-7",)"
                    R"("date":"2025-03-03","processed":"2025-03-04","first_employee":"2010-01-01",)"
                    R"("method":"frontload","waiting_days":90,"use_cap":true,"accrual_cap":false,)"
                    R"("unlimited_carryover":true,"prorate":true,"year_start":"07-01"})",
                    &r),
              ESTA_JSON_OK);
    EXPECT_EQ(r.format_version, 1);
    EXPECT_EQ(text(r.id), "e1");
    EXPECT_EQ(text(r.employer), "ER1");
    EXPECT_EQ(text(r.employee), "ER1-7");
    EXPECT_EQ(r.event.kind, ESTA_EVENT_HIRE);
    EXPECT_EQ(r.event.date, day(2025, 3, 3));
    EXPECT_EQ(r.event.processed_on, day(2025, 3, 4));
    EXPECT_EQ(r.event.employer_first_hire, day(2010, 1, 1));
    EXPECT_EQ(r.event.policy.method, ESTA_METHOD_FRONTLOAD);
    EXPECT_EQ(r.event.policy.waiting_days, 90);
    EXPECT_EQ(r.event.policy.use_cap, 1);
    EXPECT_EQ(r.event.policy.accrual_cap, 0);
    EXPECT_EQ(r.event.policy.unlimited_carryover, 1);
    EXPECT_EQ(r.event.policy.frontload_prorate, 1);
    EXPECT_EQ(r.event.policy.year_start_month, 7);
    EXPECT_EQ(r.event.policy.year_start_day, 1);
}

TEST(EventJson, V1_DefaultsAndWhitespace) {
    esta_event_record r;
    ASSERT_EQ(parse(R"( { "v" : 1 , "type" : "hours_worked" , "date" : "2025-03-03" ,
                        "minutes" : -60 , "future_field" : [1, {"x": 2}] } )",
                    &r),
              ESTA_JSON_SYNTAX)
        << "nested values are not part of v1 events";
    ASSERT_EQ(parse(R"( { "v" : 1 , "type" : "hours_worked" , "date" : "2025-03-03" ,
                        "minutes" : -60 , "note" : "say \"hi\"" } )",
                    &r),
              ESTA_JSON_OK);
    EXPECT_EQ(r.event.minutes, -60);
    EXPECT_EQ(r.event.processed_on, r.event.date) << "processed defaults to the business date";
    EXPECT_EQ(r.event.employer_first_hire, ESTA_NO_DATE);
    EXPECT_EQ(r.event.policy.method, ESTA_METHOD_ACCRUAL);
}

TEST(EventJson, V1_InvalidDatesBecomeRejectionsNotParseErrors) {
    esta_event_record r;
    ASSERT_EQ(parse(R"({"v":1,"type":"hours_worked","date":"2025-02-29","minutes":60})", &r),
              ESTA_JSON_OK);
    EXPECT_EQ(r.event.date, ESTA_NO_DATE);
    esta_employer_state employer;
    esta_employee_state employee;
    esta_employer_init(&employer);
    esta_employee_init(&employee);
    esta_decision d;
    esta_decide(esta_builtin_rulesets(), &employer, &employee, &r.event, &d);
    EXPECT_EQ(d.reason, ESTA_REASON_INVALID_DATE);
    EXPECT_EQ(esta_parse_date("2024-02-29", 10), day(2024, 2, 29));
    EXPECT_EQ(esta_parse_date("2024-2-29", 9), ESTA_NO_DATE);
    EXPECT_EQ(esta_parse_date("1899-12-31", 10), ESTA_NO_DATE);
}

TEST(EventJson, V1_RefusesNewerVersionsAndBadInput) {
    esta_event_record r;
    EXPECT_EQ(parse(R"({"v":2,"type":"hire","date":"2025-03-03"})", &r), ESTA_JSON_NEWER_VERSION);
    EXPECT_EQ(parse(R"({"type":"hire","date":"2025-03-03"})", &r), ESTA_JSON_MISSING_FIELD);
    EXPECT_EQ(parse(R"({"v":1,"date":"2025-03-03"})", &r), ESTA_JSON_MISSING_FIELD);
    EXPECT_EQ(parse(R"({"v":1,"type":"payday","date":"2025-03-03"})", &r), ESTA_JSON_BAD_VALUE);
    EXPECT_EQ(parse(R"({"v":1,"type":"hire","date":"2025-03-03","method":"lump"})", &r),
              ESTA_JSON_BAD_VALUE);
    EXPECT_EQ(parse(R"({"v":1,"type":"hours_worked","date":"2025-03-03","minutes":1.5})", &r),
              ESTA_JSON_SYNTAX)
        << "minutes are integers (A-8)";
    EXPECT_EQ(
        parse(R"({"v":1,"type":"hours_worked","date":"2025-03-03","minutes":3000000000})", &r),
        ESTA_JSON_SYNTAX);
    EXPECT_EQ(parse(R"({"v":1,"type":"hire","date":"2025-03-03")", &r), ESTA_JSON_SYNTAX);
    EXPECT_EQ(parse(R"({"v":1,"type":"hire","date":"2025-03-03"} x)", &r), ESTA_JSON_SYNTAX);
    EXPECT_EQ(parse("", &r), ESTA_JSON_SYNTAX);
}

TEST(DecisionJson, V1_WritesEveryFieldTheDocsName) {
    Employer employer = Employer::large();
    employer.hire("a", day(2025, 3, 3), esta_default_policy());
    esta_event_record record;
    ASSERT_EQ(parse(R"({"v":1,"id":"ev-9","type":"hours_worked","employer":"ER1","employee":"a",)"
                    R"("date":"2025-03-04","minutes":45})",
                    &record),
              ESTA_JSON_OK);
    employer.work("a", day(2025, 3, 3), 20);
    const esta_decision d = employer.decide("a", record.event);
    char buffer[1024];
    const int32_t length = esta_write_decision_json(&record, &d, buffer, sizeof buffer);
    ASSERT_GT(length, 0);
    const std::string line(buffer, static_cast<size_t>(length));
    JsonObject object = parse_flat_json(line);
    EXPECT_EQ(object["v"].text, "1");
    EXPECT_EQ(object["event"].text, "ev-9");
    EXPECT_EQ(object["employer"].text, "ER1");
    EXPECT_EQ(object["employee"].text, "a");
    EXPECT_EQ(object["type"].text, "hours_worked");
    EXPECT_EQ(object["kind"].text, "accrued");
    EXPECT_EQ(object["reason"].text, "none");
    EXPECT_EQ(object["rule"].text, "MI-ESTA-2025.1/accrual");
    EXPECT_EQ(object["requirement"].text, "A-3");
    EXPECT_EQ(object["size"].text, "large");
    EXPECT_EQ(object["accrued"].text, "2");  // (20 + 45) / 30
    EXPECT_EQ(object["balance"].text, "2");
    EXPECT_EQ(object["used_year"].text, "0");
    EXPECT_EQ(object["explain"].text, R"([{"code":"size_large_current_year","value":52},)"
                                      R"({"code":"remainder_carried","value":5}])");
    // A buffer one byte short is refused rather than truncated.
    EXPECT_EQ(esta_write_decision_json(&record, &d, buffer, length - 1), -1);
}

TEST(DecisionJson, V1_ExemptUntilIsWrittenAsADate) {
    Employer employer;
    employer.hire("a", day(2023, 5, 1), esta_default_policy(), day(2023, 5, 1));
    esta_event_record record;
    ASSERT_EQ(
        parse(R"({"v":1,"type":"use_request","employee":"a","date":"2025-11-03","minutes":60})",
              &record),
        ESTA_JSON_OK);
    const esta_decision d = employer.decide("a", record.event);
    char buffer[1024];
    const int32_t length = esta_write_decision_json(&record, &d, buffer, sizeof buffer);
    ASSERT_GT(length, 0);
    const std::string line(buffer, static_cast<size_t>(length));
    EXPECT_NE(line.find(R"({"code":"exempt_until","value":"2026-05-01"})"), std::string::npos)
        << line;
    EXPECT_NE(line.find(R"("kind":"exempt")"), std::string::npos) << line;
}

TEST(Names, A8_EveryCodeHasAStableName) {
    for (int32_t kind = ESTA_DECISION_ACCRUED; kind <= ESTA_DECISION_HEADCOUNT; ++kind) {
        EXPECT_STRNE(esta_decision_kind_name(kind), "unknown") << kind;
    }
    for (int32_t reason = ESTA_REASON_NONE; reason <= ESTA_REASON_INVALID_HEADCOUNT; ++reason) {
        EXPECT_STRNE(esta_reason_name(reason), "unknown") << reason;
    }
    for (int32_t section = ESTA_SECTION_INPUT; section <= ESTA_SECTION_HIRE; ++section) {
        EXPECT_STRNE(esta_section_name(section), "unknown") << section;
        EXPECT_STRNE(esta_section_requirement(section), "unknown") << section;
    }
    for (int32_t code = ESTA_EXPLAIN_SIZE_LARGE_CURRENT_YEAR; code <= ESTA_EXPLAIN_DAY_TOTAL;
         ++code) {
        EXPECT_STRNE(esta_explain_code_name(code), "unknown") << code;
    }
    EXPECT_STREQ(esta_reason_name(99), "unknown");
    EXPECT_STREQ(esta_decision_kind_name(0), "unknown");
    EXPECT_STREQ(esta_reason_name(ESTA_REASON_WAITING_PERIOD), "waiting_period");
}

}  // namespace
}  // namespace esta::test

namespace esta::test {
namespace {

// Mutated and truncated event lines never crash the codec or the rules, a rejection never
// changes a state, and no balance ever goes negative (A-7). Deterministic: a fixed LCG.
TEST(EventJson, A7_MutatedLinesAreRefusedOrDecidedSafely) {
    const std::string seeds[] = {
        R"({"v":1,"id":"e","type":"hours_worked","employer":"E","employee":"a","date":"2025-03-04","processed":"2025-03-05","minutes":480})",
        R"({"v":1,"id":"e","type":"use_request","employer":"E","employee":"a","date":"2025-07-02","minutes":60})",
        R"({"v":1,"id":"e","type":"year_end","employer":"E","employee":"a","date":"2025-12-31"})",
        R"({"v":1,"id":"e","type":"headcount","employer":"E","date":"2025-03-03","headcount":12,"first_employee":"2023-01-01"})",
        R"({"v":1,"id":"e","type":"hire","employer":"E","employee":"b","date":"2025-03-03","method":"frontload","waiting_days":120,"prorate":true,"year_start":"07-01"})",
    };
    Employer employer = Employer::large();
    employer.hire("a", day(2025, 3, 3), esta_default_policy());
    employer.work("a", day(2025, 3, 3), hours(10));
    uint32_t random = 12345;
    auto next = [&random] { return random = random * 1103515245u + 12345u; };
    const char alphabet[] = "0123456789-:,{}\"tfnaeluv .";
    int decided = 0;
    for (int i = 0; i < 20000; ++i) {
        std::string line = seeds[next() % 5];
        const int edits = 1 + static_cast<int>(next() % 3);
        for (int e = 0; e < edits && !line.empty(); ++e) {
            const size_t at = next() % line.size();
            switch (next() % 3) {
                case 0:
                    line[at] = alphabet[next() % (sizeof alphabet - 1)];
                    break;
                case 1:
                    line.erase(at, 1);
                    break;
                default:
                    line.resize(at);
                    break;
            }
        }
        esta_event_record record;
        if (parse(line, &record) != ESTA_JSON_OK) continue;
        ++decided;
        const esta_employee_state before = employer.employee_state("a");
        const esta_employer_state employer_before = employer.employer_state();
        esta_decision d;
        esta_decide(esta_builtin_rulesets(), &employer_before, &before, &record.event, &d);
        if (d.kind == ESTA_DECISION_REJECTED) {
            ASSERT_EQ(std::memcmp(&before, &d.employee, sizeof before), 0) << line;
            ASSERT_EQ(std::memcmp(&employer_before, &d.employer, sizeof employer_before), 0)
                << line;
        }
        ASSERT_GE(d.balance_minutes, 0) << line;
        ASSERT_GE(d.employee.used_minutes, 0) << line;
        char buffer[1024];
        ASSERT_GT(esta_write_decision_json(&record, &d, buffer, sizeof buffer), 0) << line;
    }
    EXPECT_GT(decided, 1000);  // the mutations must leave enough lines to decide
}

}  // namespace
}  // namespace esta::test
