// Workload generator; see workload.h.
//
// A day-by-day simulation from 2025-01-06, after a year of headcount history and the hires
// of existing staff: every Monday each employer reports its headcount, new staff are hired
// on staggered dates, hired staff work on weekdays (and some Saturdays), now and then ask
// to use sick time, and each benefit year is closed on its last day.
#include "workload.h"

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

namespace esta::workload {
namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

// splitmix64: tiny, fast, and specified bit for bit (std distributions are not portable).
class Random {
  public:
    explicit Random(uint64_t seed) : m_state(seed) {}
    uint64_t next() {
        uint64_t z = (m_state += 0x9E3779B97F4A7C15ULL);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
        return z ^ (z >> 31);
    }
    // Uniform in [low, high]; the modulo bias is irrelevant for a workload.
    int32_t between(int32_t low, int32_t high) {
        return low + static_cast<int32_t>(next() % static_cast<uint64_t>(high - low + 1));
    }
    bool chance(int32_t per_thousand) { return between(0, 999) < per_thousand; }

  private:
    uint64_t m_state;
};

struct Employee {
    std::string id;
    sys_days hire;
    bool hired = false;
};

struct Employer {
    std::string id;
    int32_t headcount = 0;
    int32_t low = 0, high = 0;  // the headcount's random walk stays within these bounds
    sys_days first_employee;
    std::string method;
    int32_t waiting_days = 0;
    bool use_cap = false, accrual_cap = false, unlimited_carryover = false, prorate = false;
    unsigned year_start_month = 1, year_start_day = 1;
    std::vector<Employee> staff;
};

std::string date_text(sys_days day) {
    const year_month_day ymd{day};
    char text[16];
    std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
    return text;
}

sys_days make_date(int y, unsigned m, unsigned d) {
    return sys_days{std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d}};
}

// The size mix: big employers, small businesses, and ones hovering at the 10/11 line.
void choose_size(Random& random, Employer& employer) {
    const int32_t roll = random.between(0, 9);
    if (roll < 5) {
        employer.low = 11, employer.high = random.between(15, 400);
    } else if (roll < 8) {
        employer.low = 1, employer.high = random.between(2, 10);
    } else {
        employer.low = 8, employer.high = 13;
    }
    employer.headcount = random.between(employer.low, employer.high);
}

void choose_policy(Random& random, Employer& employer) {
    static const unsigned kYearStarts[][2] = {{1, 1},  {1, 1},  {1, 1}, {7, 1},
                                              {4, 15}, {10, 1}, {3, 1}};
    static const int32_t kWaiting[] = {0, 0, 30, 90, 120};
    employer.method = random.chance(200) ? "frontload" : "accrual";
    employer.waiting_days = kWaiting[random.between(0, 4)];
    employer.use_cap = random.chance(500);
    employer.accrual_cap = random.chance(200);
    employer.unlimited_carryover = random.chance(100);
    employer.prorate = random.chance(500);
    const auto& start = kYearStarts[random.between(0, 6)];
    employer.year_start_month = start[0];
    employer.year_start_day = start[1];
}

Employer make_employer(Random& random, int32_t index, sys_days start) {
    Employer employer;
    char id[32];
    std::snprintf(id, sizeof id, "ER%05d", index);
    employer.id = id;
    choose_size(random, employer);
    choose_policy(random, employer);
    // Mostly established businesses; some started after 2022-02-21 (A-2 exemption).
    employer.first_employee = random.chance(150)
                                  ? make_date(2022, 3, 1) + days{random.between(0, 900)}
                                  : make_date(1995, 1, 1) + days{random.between(0, 9000)};
    const int32_t staff = random.between(1, 6);
    for (int32_t i = 0; i < staff; ++i) {
        Employee employee;
        std::snprintf(id, sizeof id, "%s-%03d", employer.id.c_str(), i);
        employee.id = id;
        // Most staff were hired before the simulation starts; the rest join during it.
        if (random.chance(600)) {
            const int32_t tenure = static_cast<int32_t>((start - employer.first_employee).count());
            employee.hire = employer.first_employee + days{random.between(0, tenure - 1)};
        } else {
            employee.hire = start + days{random.between(0, 500)};
        }
        employer.staff.push_back(employee);
    }
    return employer;
}

bool is_last_day_of_benefit_year(const Employer& employer, sys_days day) {
    const year_month_day next{day + days{1}};
    return static_cast<unsigned>(next.month()) == employer.year_start_month &&
           static_cast<unsigned>(next.day()) == employer.year_start_day;
}

class Generator {
  public:
    Generator(const Options& options, const std::function<void(std::string_view)>& sink)
        : m_options(options), m_sink(sink), m_random(options.seed) {}

    // (1) a year of weekly headcounts per employer, so that A-1 has a prior calendar year;
    // (2) the hires of staff already employed when the simulation starts; (3) day by day
    // from Monday 2025-01-06, a few weeks before the act takes effect for large employers.
    void run() {
        const sys_days history = make_date(2024, 1, 1);
        const sys_days start = make_date(2025, 1, 6);
        for (int32_t i = 0; i < m_options.employers; ++i) {
            m_employers.push_back(make_employer(m_random, i, start));
        }
        for (Employer& employer : m_employers) {
            for (sys_days monday = history; monday < start; monday += days{7}) {
                report_headcount(employer, monday);
            }
            for (Employee& employee : employer.staff) {
                if (employee.hire < start) hire(employer, employee, employee.hire);
            }
        }
        for (sys_days day = start; !done(); day += days{1})
            simulate_day(day);
    }

  private:
    bool done() const { return m_emitted >= m_options.events; }

    void simulate_day(sys_days day) {
        const bool monday = std::chrono::weekday{day} == std::chrono::Monday;
        for (Employer& employer : m_employers) {
            if (monday) report_headcount(employer, day);
            for (Employee& employee : employer.staff)
                simulate_employee(employer, employee, day);
        }
    }

    void report_headcount(Employer& employer, sys_days day) {
        employer.headcount += m_random.between(-2, 2);
        if (employer.headcount < employer.low) employer.headcount = employer.low;
        if (employer.headcount > employer.high) employer.headcount = employer.high;
        std::string line = begin("headcount", employer.id, "", day, day);
        line += ",\"headcount\":" + std::to_string(employer.headcount);
        line += ",\"first_employee\":\"" + date_text(employer.first_employee) + "\"}";
        emit(line);
    }

    void simulate_employee(const Employer& employer, Employee& employee, sys_days day) {
        if (day == employee.hire) hire(employer, employee, day);
        if (!employee.hired) {
            if (m_options.invalid_inputs && m_random.chance(1)) {
                emit(begin("use_request", employer.id, employee.id, day, day) + ",\"minutes\":60}");
            }
            return;
        }
        const std::chrono::weekday weekday{day};
        const bool workday = weekday != std::chrono::Sunday &&
                             (weekday != std::chrono::Saturday || m_random.chance(100));
        if (workday) {
            if (m_random.chance(25)) {
                use_request(employer, employee, day);
            } else {
                hours_worked(employer, employee, day);
            }
        }
        if (is_last_day_of_benefit_year(employer, day)) {
            emit(begin("year_end", employer.id, employee.id, day, day) + "}");
        }
    }

    void hire(const Employer& employer, Employee& employee, sys_days day) {
        std::string line = begin("hire", employer.id, employee.id, day, day);
        line += ",\"first_employee\":\"" + date_text(employer.first_employee) + "\"";
        line += ",\"method\":\"" + employer.method + "\"";
        line += ",\"waiting_days\":" + std::to_string(employer.waiting_days);
        line += std::string(",\"use_cap\":") + (employer.use_cap ? "true" : "false");
        line += std::string(",\"accrual_cap\":") + (employer.accrual_cap ? "true" : "false");
        line += std::string(",\"unlimited_carryover\":") +
                (employer.unlimited_carryover ? "true" : "false");
        line += std::string(",\"prorate\":") + (employer.prorate ? "true" : "false");
        char start[8];
        std::snprintf(start, sizeof start, "%02u-%02u", employer.year_start_month,
                      employer.year_start_day);
        line += std::string(",\"year_start\":\"") + start + "\"}";
        emit(line);
        // A duplicate hire now and then must be rejected (already_hired).
        if (m_options.invalid_inputs && m_random.chance(50)) emit(line);
        employee.hired = true;
    }

    // Mostly valid entries; with invalid inputs on, about 1.8 % are over 24 h, negative,
    // dated after their processing date, late corrections, early year ends, or a second
    // entry that takes the day past 24 h.
    void hours_worked(const Employer& employer, const Employee& employee, sys_days day) {
        const int32_t minutes = m_random.between(16, 40) * 15;  // 4 h .. 10 h in quarter hours
        const int32_t roll = m_options.invalid_inputs ? m_random.between(0, 999) : 999;
        if (roll < 3) {
            emit_hours(employer, employee, day, day, 1500);
        } else if (roll < 6) {
            emit_hours(employer, employee, day, day, -60);
        } else if (roll < 9) {
            emit_hours(employer, employee, day, day - days{1}, minutes);
        } else if (roll < 11) {
            // A late correction for a day 400 days back: before hire or in a closed year.
            emit_hours(employer, employee, day - days{400}, day, minutes);
        } else if (roll < 12) {
            // A year end sent on an ordinary day: the benefit year has not ended.
            emit(begin("year_end", employer.id, employee.id, day, day) + "}");
        } else {
            emit_hours(employer, employee, day, day, minutes);
            if (roll < 18) emit_hours(employer, employee, day, day, 1440 - minutes + 1);
        }
    }

    void emit_hours(const Employer& employer, const Employee& employee, sys_days day,
                    sys_days processed, int32_t minutes) {
        emit(begin("hours_worked", employer.id, employee.id, day, processed) +
             ",\"minutes\":" + std::to_string(minutes) + "}");
    }

    void use_request(const Employer& employer, const Employee& employee, sys_days day) {
        int32_t minutes = m_random.between(1, 16) * 30;  // 30 min .. 8 h
        if (m_options.invalid_inputs && m_random.chance(20)) minutes = 0;
        emit(begin("use_request", employer.id, employee.id, day, day) +
             ",\"minutes\":" + std::to_string(minutes) + "}");
    }

    std::string begin(const char* type, const std::string& employer, const std::string& employee,
                      sys_days date, sys_days processed) {
        char id[32];
        std::snprintf(id, sizeof id, "ev-%09lld", static_cast<long long>(m_emitted + 1));
        std::string line = std::string("{\"v\":1,\"id\":\"") + id + "\",\"type\":\"" + type + "\"";
        line += ",\"employer\":\"" + employer + "\"";
        if (!employee.empty()) line += ",\"employee\":\"" + employee + "\"";
        line +=
            ",\"date\":\"" + date_text(date) + "\",\"processed\":\"" + date_text(processed) + "\"";
        return line;
    }

    void emit(const std::string& line) {
        if (done()) return;
        m_sink(line);
        ++m_emitted;
    }

    const Options& m_options;
    const std::function<void(std::string_view)>& m_sink;
    Random m_random;
    std::vector<Employer> m_employers;
    int64_t m_emitted = 0;
};

}  // namespace

void generate(const Options& options, const std::function<void(std::string_view)>& sink) {
    Generator generator(options, sink);
    generator.run();
}

}  // namespace esta::workload
