// The metric families REQUIREMENTS O-5 names, as they appear at /metrics, and a check of a
// scraped exposition against them. The list is the contract between the rooms that count
// (kernel, drivers, protocol) and whoever scrapes: a family is "present" when the text has
// its `# TYPE` line with the right type.
#pragma once

#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "observe/metrics.h"

namespace esta::observe {

struct O5Family {
    std::string_view item;  // The words of O-5 ("messages dropped").
    std::string_view exposition_name;
    MetricType type;
};

std::span<const O5Family> o5_families();

// The families of o5_families() that `exposition` (Prometheus text format) does not
// declare with their type, in catalogue order.
std::vector<const O5Family*> missing_o5_families(std::string_view exposition);

// HELP and TYPE lines for the missing families, to append to `exposition`: a scrape then
// names every family even before its first series (no trap, drop or replica so far).
std::string o5_declarations(std::string_view exposition);

}  // namespace esta::observe
