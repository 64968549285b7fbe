#include "app/exec/size.h"

#include <charconv>

namespace esta::app {

std::optional<u64> parse_size(std::string_view text) {
    u64 number = 0;
    auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), number);
    if (error != std::errc() || end == text.data()) return std::nullopt;
    std::string_view suffix(end, std::size_t(text.data() + text.size() - end));

    struct Unit {
        std::string_view suffix;
        unsigned shift;
    };
    constexpr Unit kUnits[] = {{"", 0},   {"B", 0},    {"K", 10}, {"KiB", 10},
                               {"M", 20}, {"MiB", 20}, {"G", 30}, {"GiB", 30}};
    for (const auto& unit : kUnits) {
        if (suffix != unit.suffix) continue;
        if (unit.shift != 0 && number > (~u64{0} >> unit.shift)) return std::nullopt;
        return number << unit.shift;
    }
    return std::nullopt;
}

}  // namespace esta::app
