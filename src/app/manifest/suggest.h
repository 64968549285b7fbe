// Did-you-mean for unknown names: the closest candidate by edit distance, when it is close
// enough to be a likely typo.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace esta::app::manifest {

// Levenshtein distance (insert, delete, substitute), O(|a|·|b|) time, O(|b|) memory.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate nearest to `name`, if its distance is at most a third of the longer name
// (and at least 1 edit is allowed); ties go to the earlier candidate.
std::optional<std::string> closest_name(std::string_view name,
                                        const std::vector<std::string>& candidates);

// "a, b, c" (or "(none)" when empty).
std::string join_names(const std::vector<std::string>& names);

}  // namespace esta::app::manifest
