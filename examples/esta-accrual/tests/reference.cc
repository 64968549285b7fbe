// The reference rules; see reference.h. Written top-down from the requirements, one event
// type per block, favouring obviousness over speed.
#include "reference.h"

#include <algorithm>
#include <chrono>

#include "tiny_json.h"

namespace esta::reference {
namespace {

using namespace std::chrono;

constexpr int kInvalid = -999999;

// The statutory values, straight from REQUIREMENTS A-1..A-7.
int date_of(int y, unsigned m, unsigned d) {
    return static_cast<int>(sys_days{year{y} / month{m} / day{d}}.time_since_epoch().count());
}
const int kLargeEffective = date_of(2025, 2, 21);
const int kSmallEffective = date_of(2025, 10, 1);
const int kNewBusinessCutoff = date_of(2022, 2, 21);
const int kWaitingFrom = date_of(2025, 2, 21);
constexpr int64_t kLargeCap = 72 * 60, kSmallCap = 40 * 60;
constexpr int kDayMinutes = 24 * 60;

year_month_day civil(int days) {
    return year_month_day{sys_days{std::chrono::days{days}}};
}
int days_of(year_month_day ymd) {
    return static_cast<int>(sys_days{ymd}.time_since_epoch().count());
}

int parse_date(const test::JsonScalar& value) {
    const std::string& t = value.text;
    if (!value.is_string || t.size() != 10 || t[4] != '-' || t[7] != '-') return kInvalid;
    const year_month_day ymd{year{std::stoi(t.substr(0, 4))},
                             month{static_cast<unsigned>(std::stoi(t.substr(5, 2)))},
                             day{static_cast<unsigned>(std::stoi(t.substr(8, 2)))}};
    if (!ymd.ok() || ymd.year() < year{1900} || ymd.year() > year{2199}) return kInvalid;
    return days_of(ymd);
}

// Same month and day `n` years on; a 29 February lands on 28 February.
int plus_years(int date, int n) {
    year_month_day ymd = civil(date) + years{n};
    if (!ymd.ok())
        ymd = year_month_day{year_month_day_last{ymd.year(), month_day_last{ymd.month()}}};
    return days_of(ymd);
}

int benefit_year_start(int date, unsigned m, unsigned d) {
    const year y = civil(date).year();
    const int this_year = days_of(year_month_day{y / month{m} / day{d}});
    return this_year <= date ? this_year
                             : days_of(year_month_day{(y - years{1}) / month{m} / day{d}});
}
int next_year_start(int start) {
    return plus_years(start, 1);
}

}  // namespace

Decision Rules::decide(std::string_view line) {
    test::JsonObject f = test::parse_flat_json(line);
    const std::string type = f["type"].text;
    const std::string key = f["employer"].text + "/" + f["employee"].text;
    Employer& employer = m_employers[f["employer"].text];
    const bool known = m_employees.count(key) != 0;
    Employee scratch;
    Employee& e = known ? m_employees[key] : scratch;
    const int date = parse_date(f["date"]);
    const int processed = f.count("processed") ? parse_date(f["processed"]) : date;
    const int64_t minutes = f.count("minutes") ? std::stoll(f["minutes"].text) : 0;

    Decision d;
    d.kind = "rejected";
    d.reason = "none";
    d.section = "input";
    d.size = "unknown";
    auto finish = [&]() -> Decision {
        d.balance = known || d.kind == "hired" ? e.carryover + e.earned - e.used : 0;
        d.used_year = known || d.kind == "hired" ? e.used : 0;
        return d;
    };
    auto reject = [&](const char* reason) {
        d.kind = "rejected";
        d.section = "input";
        d.reason = reason;
        return finish();
    };

    // --- A-1 size and A-2 coverage, as functions of the employer's facts. ---
    auto weeks = [&](int y) -> int {
        if (y < employer.newest_year - 2) return 0;  // the state keeps three years
        auto it = employer.big_weeks.find(y);
        return it == employer.big_weeks.end() ? 0 : static_cast<int>(it->second.size());
    };
    auto is_large = [&](int on) {
        const int y = static_cast<int>(civil(on).year());
        return weeks(y) >= 20 || weeks(y - 1) >= 20;
    };
    auto cap = [&](int on) { return is_large(on) ? kLargeCap : kSmallCap; };
    auto exempt_end = [&]() -> int {
        if (!employer.first_known || employer.first_employee < kNewBusinessCutoff) return kInvalid;
        return plus_years(employer.first_employee, 3);
    };
    auto coverage_start = [&](int on) {
        int start = is_large(on) ? kLargeEffective : kSmallEffective;
        start = std::max(start, exempt_end());
        return std::max(start, e.hire);
    };
    auto grant = [&](int on) {
        if (!e.policy.frontload || e.frontloaded_this_year) return;
        const int start = coverage_start(on);
        if (on < start) return;
        int64_t amount = cap(on);
        if (e.policy.prorate && start > e.year_start) {
            const int64_t next = next_year_start(e.year_start);
            const int64_t whole = next - e.year_start, part = next - start;
            amount = (amount * part + whole - 1) / whole;  // rounded up
        }
        e.earned += amount;
        e.frontloaded_this_year = true;
        d.frontloaded += amount;
    };
    auto roll_to = [&](int target) {
        bool closed = false;
        while (next_year_start(e.year_start) <= target) {
            const int next = next_year_start(e.year_start);
            const int64_t balance = e.carryover + e.earned - e.used;
            int64_t carried = balance;
            if (e.policy.frontload)
                carried = 0;
            else if (!e.policy.unlimited_carryover)
                carried = std::min(balance, cap(next - 1));
            d.carried = carried;
            d.forfeited += balance - carried;
            e = Employee{e.hire, e.policy,       next,  carried,    0,
                         0,      e.worked_total, false, e.last_day, e.last_day_minutes};
            closed = true;
        }
        if (closed) grant(e.year_start);
    };
    // Returns false (and sets the decision) when the act does not cover `on`.
    auto covered = [&](int on) {
        const int until = exempt_end();
        if (until != kInvalid && on < until) {
            d.kind = "exempt", d.section = "exempt";
            return false;
        }
        if (on < (is_large(on) ? kLargeEffective : kSmallEffective)) {
            d.kind = "not_effective", d.section = "effective";
            return false;
        }
        return true;
    };
    auto note_first = [&](int on) {
        if (on == kInvalid) return;
        if (!employer.first_known || on < employer.first_employee) employer.first_employee = on;
        employer.first_known = true;
    };
    auto employee_date_problem = [&]() -> const char* {
        if (!known) return "not_hired";
        if (processed == kInvalid) return "invalid_date";
        if (date > processed) return "future_date";
        if (date < e.hire) return "before_hire";
        if (date < e.year_start) return "closed_year";
        return nullptr;
    };

    if (date == kInvalid) return reject("invalid_date");

    if (type == "headcount") {
        const int64_t count = std::stoll(f["headcount"].text);
        if (count < 0 || count > 10000000) return reject("invalid_headcount");
        if (processed == kInvalid) return reject("invalid_date");
        if (date > processed) return reject("future_date");
        if (f.count("first_employee") && f["first_employee"].is_string) {
            note_first(parse_date(f["first_employee"]));
        }
        const year_month_day ymd = civil(date);
        const int week = (date - days_of(ymd.year() / January / 1)) / 7;
        employer.newest_year = std::max(employer.newest_year, static_cast<int>(ymd.year()));
        if (count > 10)
            employer.big_weeks[static_cast<int>(ymd.year())].insert(week);
        else
            employer.big_weeks[static_cast<int>(ymd.year())].erase(week);
        d.kind = "headcount", d.section = "size";
        d.size = is_large(date) ? "large" : "small";
        return finish();
    }

    if (type == "hire") {
        if (known) return reject("already_hired");
        Policy p;
        p.frontload = f["method"].text == "frontload";
        p.waiting_days = f.count("waiting_days") ? std::stoi(f["waiting_days"].text) : 0;
        p.use_cap = f["use_cap"].text == "true";
        p.accrual_cap = f["accrual_cap"].text == "true";
        p.unlimited_carryover = f["unlimited_carryover"].text == "true";
        p.prorate = f["prorate"].text == "true";
        const std::string start = f.count("year_start") ? f["year_start"].text : "01-01";
        p.start_month = static_cast<unsigned>(std::stoi(start.substr(0, 2)));
        p.start_day = static_cast<unsigned>(std::stoi(start.substr(3, 2)));
        const bool start_ok =
            year_month_day{year{2001} / month{p.start_month} / day{p.start_day}}.ok();
        if (p.waiting_days < 0 || p.waiting_days > 120 || !start_ok)
            return reject("invalid_policy");
        if (f.count("first_employee") && f["first_employee"].is_string) {
            note_first(parse_date(f["first_employee"]));
        }
        if (employer.first_known) note_first(date);
        e = Employee{};  // e is the scratch record here: this employee is not known yet
        e.hire = date;
        e.policy = p;
        e.year_start = benefit_year_start(date, p.start_month, p.start_day);
        d.kind = "hired", d.section = "hire";
        d.size = is_large(date) ? "large" : "small";
        grant(date);
        m_employees[key] = e;
        return finish();
    }

    if (type != "hours_worked" && type != "use_request" && type != "year_end") {
        return reject("unknown_event");
    }
    d.size = is_large(date) ? "large" : "small";

    if (type == "year_end") {
        if (!known) return reject("not_hired");
        if (processed == kInvalid) return reject("invalid_date");
        if (date > processed) return reject("future_date");
        if (date < e.year_start) return reject("closed_year");
        if (date + 1 < next_year_start(e.year_start)) return reject("year_not_ended");
        roll_to(date + 1);
        d.kind = "rolled_over", d.section = "benefit_year";
        return finish();
    }

    if (const char* problem = employee_date_problem()) return reject(problem);

    if (type == "hours_worked") {
        if (minutes < 0) return reject("negative_minutes");
        if (minutes > kDayMinutes) return reject("over_24_hours");
        const int64_t already = date == e.last_day ? e.last_day_minutes : 0;
        if (already + minutes > kDayMinutes) return reject("over_24_hours");
        e.last_day = date;
        e.last_day_minutes = already + minutes;
        roll_to(date);
        if (!covered(date)) return finish();
        if (e.policy.frontload) {
            grant(date);
            d.kind = "recorded", d.section = "frontload";
            return finish();
        }
        // Exact accrual: everything worked so far earns floor(total / 30).
        const int64_t before = e.worked_total / 30;
        e.worked_total += minutes;
        int64_t accrued = e.worked_total / 30 - before;
        d.section = "accrual";
        if (e.policy.accrual_cap) {
            const int64_t room = std::max<int64_t>(0, cap(date) - e.earned);
            if (accrued > room) accrued = room, d.section = "accrual_cap";
        }
        e.earned += accrued;
        d.accrued = accrued;
        d.kind = "accrued";
        return finish();
    }

    // use_request
    if (minutes <= 0) return reject("not_positive");
    roll_to(date);
    if (!covered(date)) return finish();
    grant(date);
    d.kind = "denied";
    const bool waits = !e.policy.frontload && e.policy.waiting_days > 0 && e.hire >= kWaitingFrom;
    if (waits && date < e.hire + e.policy.waiting_days) {
        d.reason = "waiting_period", d.section = "waiting_period";
    } else if (minutes > e.carryover + e.earned - e.used) {
        d.reason = "insufficient_balance", d.section = "use";
    } else if (e.policy.use_cap && e.used + minutes > cap(date)) {
        d.reason = "use_cap", d.section = "use_cap";
    } else {
        e.used += minutes;
        d.kind = "approved", d.section = "use", d.approved = minutes;
    }
    return finish();
}

}  // namespace esta::reference
