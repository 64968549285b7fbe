// Runs the C rules over event JSON lines the way the reactive module will: parse the line,
// load the employer's and the employee's state by id, decide, store the new states, write
// the decision line. The states live in hash maps here; in the kernel they live in the
// key-value driver. Used by `esta-decide` (the native baseline) and by the tests.
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "esta_json.h"

namespace esta::workload {

class Decider {
  public:
    // Decides one line and returns the decision line (without newline), or an error text
    // starting with "error:" when the line is not a v1 event.
    std::string decide(std::string_view line, int32_t* kind = nullptr) {
        esta_event_record record;
        const int32_t status =
            esta_parse_event_json(line.data(), static_cast<int32_t>(line.size()), &record);
        if (status != ESTA_JSON_OK) return "error: event JSON status " + std::to_string(status);
        const std::string employer_id(record.employer.data, record.employer.length);
        esta_employer_state& employer = employer_state(employer_id);
        esta_employee_state employee;
        esta_employee_init(&employee);
        // Headcount reports concern the employer only.
        const bool per_employee = record.event.kind != ESTA_EVENT_HEADCOUNT;
        std::string key;
        if (per_employee) {
            key = employer_id + "/" + std::string(record.employee.data, record.employee.length);
            auto it = m_employees.find(key);
            if (it != m_employees.end()) employee = it->second;
        }
        esta_decision decision;
        esta_decide(esta_builtin_rulesets(), &employer, &employee, &record.event, &decision);
        employer = decision.employer;
        if (per_employee && decision.employee.hired) m_employees[key] = decision.employee;
        if (kind != nullptr) *kind = decision.kind;
        char buffer[1024];
        const int32_t length = esta_write_decision_json(&record, &decision, buffer, sizeof buffer);
        if (length < 0) return "error: decision longer than 1024 bytes";
        return std::string(buffer, static_cast<size_t>(length));
    }

  private:
    esta_employer_state& employer_state(const std::string& id) {
        auto [it, inserted] = m_employers.try_emplace(id);
        if (inserted) esta_employer_init(&it->second);
        return it->second;
    }

    std::unordered_map<std::string, esta_employer_state> m_employers;
    std::unordered_map<std::string, esta_employee_state> m_employees;
};

}  // namespace esta::workload
