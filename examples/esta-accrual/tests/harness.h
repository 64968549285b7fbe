// Test helpers that drive the C rules for one employer and its employees.
#pragma once

#include <map>
#include <string>

#include "esta_rules.h"

namespace esta::test {

inline int32_t day(int32_t year, int32_t month, int32_t d) {
    return esta_days_from_civil(year, month, d);
}

inline int32_t hours(int32_t h, int32_t minutes = 0) {
    return h * 60 + minutes;
}

// One employer with named employees; every call decides one event with the built-in rulesets
// and keeps the new states, exactly as the reactive module will with its key-value store.
class Employer {
  public:
    Employer() { esta_employer_init(&m_employer); }

    esta_decision decide(const std::string& employee, esta_event event) {
        esta_employee_state& state = employee_state(employee);
        esta_decision decision;
        esta_decide(esta_builtin_rulesets(), &m_employer, &state, &event, &decision);
        m_employer = decision.employer;
        state = decision.employee;
        return decision;
    }

    esta_decision hire(const std::string& employee, int32_t date, esta_policy policy,
                       int32_t first_employee = ESTA_NO_DATE) {
        esta_event event = base(ESTA_EVENT_HIRE, date);
        event.policy = policy;
        event.employer_first_hire = first_employee;
        return decide(employee, event);
    }

    esta_decision work(const std::string& employee, int32_t date, int32_t minutes) {
        esta_event event = base(ESTA_EVENT_HOURS_WORKED, date);
        event.minutes = minutes;
        return decide(employee, event);
    }

    esta_decision use(const std::string& employee, int32_t date, int32_t minutes) {
        esta_event event = base(ESTA_EVENT_USE_REQUEST, date);
        event.minutes = minutes;
        return decide(employee, event);
    }

    esta_decision year_end(const std::string& employee, int32_t date) {
        return decide(employee, base(ESTA_EVENT_YEAR_END, date));
    }

    esta_decision headcount(int32_t week_date, int32_t count,
                            int32_t first_employee = ESTA_NO_DATE) {
        esta_event event = base(ESTA_EVENT_HEADCOUNT, week_date);
        event.headcount = count;
        event.employer_first_hire = first_employee;
        esta_employee_state nobody;
        esta_employee_init(&nobody);
        esta_decision decision;
        esta_decide(esta_builtin_rulesets(), &m_employer, &nobody, &event, &decision);
        m_employer = decision.employer;
        return decision;
    }

    // A weekly headcount for every Monday from `from` to `to` inclusive.
    void weekly_headcounts(int32_t from, int32_t to, int32_t count) {
        for (int32_t date = from; date <= to; date += 7)
            headcount(date, count);
    }

    // `minutes` on each Monday..Friday from `from` to `to` inclusive.
    void work_weekdays(const std::string& employee, int32_t from, int32_t to, int32_t minutes) {
        for (int32_t date = from; date <= to; ++date) {
            const int32_t weekday = ((date % 7) + 7 + 3) % 7;  // 0 = Monday; 1970-01-01 = Thursday
            if (weekday < 5) work(employee, date, minutes);
        }
    }

    esta_employee_state& employee_state(const std::string& employee) {
        auto [it, inserted] = m_employees.try_emplace(employee);
        if (inserted) esta_employee_init(&it->second);
        return it->second;
    }
    const esta_employer_state& employer_state() const { return m_employer; }
    int32_t balance(const std::string& employee) {
        return esta_balance_minutes(&employee_state(employee));
    }

    // An established large employer: 25 employees every week of 2024 and 2025 (A-1 looks at
    // the current and the prior calendar year, so this makes it large through 2026).
    static Employer large() {
        Employer employer;
        employer.weekly_headcounts(day(2024, 1, 1), day(2025, 12, 29), 25);
        employer.headcount(day(2025, 12, 29), 25, day(2001, 1, 1));
        return employer;
    }
    // An established small business: 8 employees every week of 2024 and 2025.
    static Employer small() {
        Employer employer;
        employer.weekly_headcounts(day(2024, 1, 1), day(2025, 12, 29), 8);
        employer.headcount(day(2025, 12, 29), 8, day(2001, 1, 1));
        return employer;
    }

  private:
    static esta_event base(int32_t kind, int32_t date) {
        esta_event event{};
        event.kind = kind;
        event.date = date;
        event.processed_on = date;
        event.employer_first_hire = ESTA_NO_DATE;
        event.policy = esta_default_policy();
        return event;
    }

    esta_employer_state m_employer;
    std::map<std::string, esta_employee_state> m_employees;
};

inline bool has_explanation(const esta_decision& d, int32_t code, int32_t value) {
    for (int32_t i = 0; i < d.explanation_count; ++i) {
        if (d.explanations[i].code == code && d.explanations[i].value == value) return true;
    }
    return false;
}

}  // namespace esta::test
