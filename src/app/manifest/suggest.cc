#include "app/manifest/suggest.h"

#include <algorithm>

namespace esta::app::manifest {

namespace {
// Keys longer than this are not compared: nobody mistypes a 200-character key, and the
// quadratic cost stays small on hostile input.
constexpr std::size_t kMaxComparedLength = 64;
}  // namespace

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j)
        row[j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diagonal = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t above = row[j];
            std::size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
            row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::optional<std::string> closest_name(std::string_view name,
                                        const std::vector<std::string>& candidates) {
    if (name.size() > kMaxComparedLength) return std::nullopt;
    std::optional<std::string> best;
    std::size_t best_distance = 0;
    for (const auto& candidate : candidates) {
        if (candidate.size() > kMaxComparedLength) continue;
        std::size_t distance = edit_distance(name, candidate);
        std::size_t allowed = std::max<std::size_t>(1, std::max(name.size(), candidate.size()) / 3);
        if (distance > allowed) continue;
        if (!best || distance < best_distance) {
            best = candidate;
            best_distance = distance;
        }
    }
    return best;
}

std::string join_names(const std::vector<std::string>& names) {
    if (names.empty()) return "(none)";
    std::string text;
    for (const auto& name : names) {
        if (!text.empty()) text += ", ";
        text += name;
    }
    return text;
}

}  // namespace esta::app::manifest
