// A second, deliberately simple implementation of the ESTA rules, written from
// REQUIREMENTS A-1..A-7 and docs/ESTA.md without sharing any code with rules/. It reads the
// event JSON lines itself (tiny_json.h), keeps its state in maps, does date arithmetic with
// std::chrono's calendar, and computes accrual from cumulative worked time instead of a
// carried remainder. The cross-check test runs both on generated workloads and compares
// every decision.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

namespace esta::reference {

struct Decision {
    std::string kind;     // "accrued", "denied", ... (docs/ESTA.md names)
    std::string reason;   // "none", "waiting_period", ...
    std::string section;  // the rule applied: "accrual", "use_cap", ...
    std::string size;     // "large", "small" or "unknown"
    int64_t accrued = 0, frontloaded = 0, approved = 0, carried = 0, forfeited = 0;
    int64_t balance = 0, used_year = 0;
};

class Rules {
  public:
    // Decides one event line; malformed lines are the caller's problem (the generator
    // writes only well-formed JSON).
    Decision decide(std::string_view line);

  private:
    struct Policy {
        bool frontload = false;
        int waiting_days = 0;
        bool use_cap = false, accrual_cap = false, unlimited_carryover = false, prorate = false;
        unsigned start_month = 1, start_day = 1;
    };
    struct Employee {
        int hire = 0;  // days since 1970-01-01
        Policy policy;
        int year_start = 0;
        int64_t carryover = 0, earned = 0, used = 0;
        int64_t worked_total = 0;  // covered worked minutes since hire, for exact accrual
        bool frontloaded_this_year = false;
        int last_day = -1000000;
        int64_t last_day_minutes = 0;
    };
    struct Employer {
        std::map<int, std::set<int>> big_weeks;  // year -> week indexes with 11+ employees
        int newest_year = 0;  // weeks more than two years older than this are forgotten
        bool first_known = false;
        int first_employee = 0;
    };

    std::map<std::string, Employer> m_employers;
    std::map<std::string, Employee> m_employees;  // key: employer + "/" + employee
};

}  // namespace esta::reference
