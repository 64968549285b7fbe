#include "kernel/restrictions.h"

#include <algorithm>
#include <charconv>
#include <cstdio>

namespace esta::kernel {

namespace {

constexpr i32 kMaxOffsetMinutes = 14 * 60;

// Floor division, so instants before 1970 land on the right day.
i64 floor_div(i64 value, i64 divisor) {
    i64 quotient = value / divisor;
    if ((value % divisor != 0) && ((value < 0) != (divisor < 0))) --quotient;
    return quotient;
}

// Parses "HH" or "HH:MM" (or "HHMM") into minutes; nullopt when malformed.
std::optional<i32> parse_offset_digits(std::string_view text) {
    auto parse_two = [](std::string_view digits) -> std::optional<i32> {
        if (digits.size() != 2) return std::nullopt;
        i32 value = 0;
        auto [end, error] = std::from_chars(digits.data(), digits.data() + 2, value);
        if (error != std::errc{} || end != digits.data() + 2) return std::nullopt;
        return value;
    };
    if (text.size() < 2) return std::nullopt;
    auto hours = parse_two(text.substr(0, 2));
    std::string_view rest = text.substr(2);
    if (!rest.empty() && rest.front() == ':') rest.remove_prefix(1);
    std::optional<i32> minutes = rest.empty() ? std::optional<i32>(0) : parse_two(rest);
    if (!hours || !minutes || *minutes >= 60) return std::nullopt;
    return *hours * 60 + *minutes;
}

std::string format_offset(i32 offset_minutes) {
    if (offset_minutes == 0) return "UTC";
    char sign = offset_minutes < 0 ? '-' : '+';
    i32 magnitude = offset_minutes < 0 ? -offset_minutes : offset_minutes;
    char text[16];
    std::snprintf(text, sizeof text, "UTC%c%02d:%02d", sign, magnitude / 60, magnitude % 60);
    return text;
}

}  // namespace

Result<TimeZone> TimeZone::fixed_offset(i32 offset_minutes) {
    if (offset_minutes < -kMaxOffsetMinutes || offset_minutes > kMaxOffsetMinutes) {
        return Err(Status::InvalidArgs, "time_zone.fixed_offset",
                   Detail{.limit = static_cast<u64>(kMaxOffsetMinutes),
                          .actual = static_cast<u64>(offset_minutes)});
    }
    return TimeZone(offset_minutes, format_offset(offset_minutes));
}

Result<TimeZone> TimeZone::parse(std::string_view name) {
    if (name == "UTC" || name == "Z" || name == "Etc/UTC") return utc();
    std::string_view rest = name;
    if (rest.starts_with("UTC")) rest.remove_prefix(3);
    if (rest.empty() || (rest.front() != '+' && rest.front() != '-')) {
        // A region name: needs a tz database (see the header).
        return Err(Status::NotSupported, "time_zone.parse: only UTC and fixed offsets");
    }
    i32 sign = rest.front() == '-' ? -1 : 1;
    auto minutes = parse_offset_digits(rest.substr(1));
    if (!minutes) return Err(Status::InvalidArgs, "time_zone.parse: malformed offset");
    return fixed_offset(sign * *minutes);
}

LocalTime to_local_time(Nanos instant, const TimeZone& zone) {
    i64 seconds = floor_div(instant, kNanosPerSecond) + i64{zone.offset_minutes()} * 60;
    i64 day = floor_div(seconds, 86'400);
    i64 second_of_day = seconds - day * 86'400;
    // 1970-01-01 was a Thursday (weekday 4 with Sunday = 0).
    i64 weekday = (day % 7 + 7 + 4) % 7;
    return LocalTime{day, static_cast<u32>(second_of_day / 3600), static_cast<u32>(weekday)};
}

Result<HoursOfDay> HoursOfDay::between(u32 start_hour, u32 end_hour) {
    if (start_hour >= 24 || end_hour > 24 || start_hour == end_hour % 24) {
        return Err(Status::InvalidArgs, "hours_of_day.between",
                   Detail{.index = start_hour, .actual = end_hour});
    }
    u32 mask = 0;
    for (u32 hour = start_hour; hour != end_hour % 24; hour = (hour + 1) % 24)
        mask |= 1u << hour;
    return HoursOfDay(mask);
}

Result<HoursOfDay> HoursOfDay::from_mask(u32 mask) {
    if (mask == 0 || mask >= (1u << 24)) {
        return Err(Status::InvalidArgs, "hours_of_day.from_mask", Detail{.actual = mask});
    }
    return HoursOfDay(mask);
}

Result<DaysOfWeek> DaysOfWeek::from_mask(u8 mask) {
    if (mask == 0 || mask >= (1u << 7)) {
        return Err(Status::InvalidArgs, "days_of_week.from_mask", Detail{.actual = mask});
    }
    return DaysOfWeek(mask);
}

bool Restrictions::empty() const {
    return !expires_at && !max_uses && !valid_after && !valid_before && !hours && !days &&
           !allowed_processes && denied_processes.empty();
}

Result<void> Restrictions::check_window(Nanos now) const {
    if (valid_after && now < *valid_after) {
        return Err(Status::Restricted, "capability: before its valid-after instant");
    }
    if (valid_before && now > *valid_before) {
        return Err(Status::Restricted, "capability: after its valid-before instant");
    }
    if (hours || days) {
        LocalTime local = to_local_time(now, zone);
        if (hours && !hours->allows(local.hour)) {
            return Err(Status::Restricted, "capability: outside its hours of day",
                       Detail{.actual = local.hour});
        }
        if (days && !days->allows(local.weekday)) {
            return Err(Status::Restricted, "capability: outside its days of week",
                       Detail{.actual = local.weekday});
        }
    }
    return Ok();
}

Result<void> Restrictions::check_process(ProcessId process) const {
    auto contains = [process](const std::vector<ProcessId>& list) {
        return std::find(list.begin(), list.end(), process) != list.end();
    };
    if (contains(denied_processes)) {
        return Err(Status::Restricted, "capability: process denied",
                   Detail{.actual = process.value()});
    }
    if (allowed_processes && !contains(*allowed_processes)) {
        return Err(Status::Restricted, "capability: process not allowed",
                   Detail{.actual = process.value()});
    }
    return Ok();
}

}  // namespace esta::kernel
