// libFuzzer target (preset `fuzz`): any bytes as an event line. The codec must refuse or
// parse them without reading out of bounds, and whatever parses must decide with the
// invariants of A-7: a rejection changes no state, no balance goes negative, the decision
// always fits its line buffer.
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "esta_json.h"

namespace {

// A hired employee with a balance, at a large employer, as the states to decide against.
struct States {
    esta_employer_state employer;
    esta_employee_state employee;
    States() {
        esta_employer_init(&employer);
        esta_employee_init(&employee);
        employee.hired = 1;
        employee.hire_date = esta_days_from_civil(2025, 3, 3);
        employee.year_start = esta_days_from_civil(2025, 1, 1);
        employee.earned_minutes = 600;
        employer.headcount_year = 2025;
        employer.large_weeks[0] = ~uint64_t{0};
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > 4096) return 0;
    static const States states;
    esta_event_record record;
    const char* text = reinterpret_cast<const char*>(data);
    if (esta_parse_event_json(text, static_cast<int32_t>(size), &record) != ESTA_JSON_OK) return 0;
    esta_decision decision;
    esta_decide(esta_builtin_rulesets(), &states.employer, &states.employee, &record.event,
                &decision);
    if (decision.kind == ESTA_DECISION_REJECTED &&
        (std::memcmp(&decision.employee, &states.employee, sizeof states.employee) != 0 ||
         std::memcmp(&decision.employer, &states.employer, sizeof states.employer) != 0)) {
        std::abort();
    }
    if (decision.balance_minutes < 0) std::abort();
    char line[1024];
    if (esta_write_decision_json(&record, &decision, line, sizeof line) < 0) std::abort();
    return 0;
}
