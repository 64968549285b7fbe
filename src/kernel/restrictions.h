// Restrictions on a capability (REQUIREMENTS K-13), all evaluated on the kernel's
// deterministic clock: expiry, a use budget, an absolute validity window, hours-of-day and
// days-of-week windows in a named time zone, and allowed/denied processes. Deriving a handle
// can only add restrictions: a derived capability is checked against its own restrictions and
// every ancestor's (cap_tree.h), so nothing here needs "merging".
//
// Time zones: UTC and fixed offsets ("UTC", "Z", "+05:30", "UTC-04:00") are supported.
// Named zones with daylight-saving rules ("America/Detroit") are refused with NOT_SUPPORTED
// for now: their rules change by statute, and a deterministic kernel would have to pin and
// journal a tz database version, which is future work.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "base/types.h"
#include "kernel/ids.h"

namespace esta::kernel {

class TimeZone {
  public:
    static TimeZone utc() { return TimeZone(0, "UTC"); }
    // A fixed offset east of UTC, in minutes (-14:00 .. +14:00).
    static Result<TimeZone> fixed_offset(i32 offset_minutes);
    // "UTC", "Z", "+HH:MM", "-HH:MM", "UTC+HH:MM", "UTC-HH:MM" (minutes optional).
    static Result<TimeZone> parse(std::string_view name);

    i32 offset_minutes() const { return m_offset_minutes; }
    const std::string& name() const { return m_name; }
    bool operator==(const TimeZone&) const = default;

  private:
    TimeZone(i32 offset_minutes, std::string name)
        : m_offset_minutes(offset_minutes), m_name(std::move(name)) {}

    i32 m_offset_minutes;
    std::string m_name;
};

// The calendar fields a window needs, for one instant in one zone.
struct LocalTime {
    i64 day_number;  // Days since 1970-01-01 in the zone.
    u32 hour;        // 0..23
    u32 weekday;     // 0 = Sunday .. 6 = Saturday
};
LocalTime to_local_time(Nanos instant, const TimeZone& zone);

// Hours of the day a capability may be used: bit h set = hour h (h:00 to h:59) allowed.
class HoursOfDay {
  public:
    // [start_hour, end_hour) in the zone, wrapping past midnight when start > end
    // (22..6 = 22:00 to 05:59). start == end or an hour above 24 is INVALID_ARGS.
    static Result<HoursOfDay> between(u32 start_hour, u32 end_hour);
    static Result<HoursOfDay> from_mask(u32 mask);
    bool allows(u32 hour) const { return hour < 24 && ((m_mask >> hour) & 1u) != 0; }
    u32 mask() const { return m_mask; }
    bool operator==(const HoursOfDay&) const = default;

  private:
    explicit HoursOfDay(u32 mask) : m_mask(mask) {}
    u32 m_mask;
};

// Days of the week a capability may be used: bit 0 = Sunday .. bit 6 = Saturday.
class DaysOfWeek {
  public:
    static constexpr u8 kWeekdays = 0b0111110;  // Monday to Friday.
    static Result<DaysOfWeek> from_mask(u8 mask);
    bool allows(u32 weekday) const { return weekday < 7 && ((m_mask >> weekday) & 1u) != 0; }
    u8 mask() const { return m_mask; }
    bool operator==(const DaysOfWeek&) const = default;

  private:
    explicit DaysOfWeek(u8 mask) : m_mask(mask) {}
    u8 m_mask;
};

struct Restrictions {
    // Valid until and including this instant; EXPIRED after it.
    std::optional<Nanos> expires_at;
    // Exactly this many performed operations, shared by everything derived from the
    // capability that carries it (K-15). The count itself lives in the capability node.
    std::optional<u64> max_uses;
    // Absolute window, both ends inclusive; RESTRICTED outside it.
    std::optional<Nanos> valid_after;
    std::optional<Nanos> valid_before;
    // Calendar windows, evaluated in `zone`; RESTRICTED outside them.
    std::optional<HoursOfDay> hours;
    std::optional<DaysOfWeek> days;
    TimeZone zone = TimeZone::utc();
    // When set, only these processes may use the capability; `denied` wins over `allowed`.
    std::optional<std::vector<ProcessId>> allowed_processes;
    std::vector<ProcessId> denied_processes;

    // True when nothing is restricted (the fast path skips all checks).
    bool empty() const;
    // Expired at `now`? (Past the expiry instant, the instant itself still valid.)
    bool is_expired(Nanos now) const { return expires_at && now > *expires_at; }
    // RESTRICTED when `now` is outside the absolute or calendar windows, or `process` is
    // denied or not allowed; Ok otherwise. Expiry and uses are checked elsewhere, in the
    // ABI's order.
    Result<void> check_window(Nanos now) const;
    Result<void> check_process(ProcessId process) const;

    bool operator==(const Restrictions&) const = default;
};

}  // namespace esta::kernel
