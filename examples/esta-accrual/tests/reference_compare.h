// One decision line (docs/ESTA.md) against the independent reference's decision: the
// fields the rules decide, compared as text. Shared by the cross-checks (rules, module,
// `estalogic run`); it reads the line with tiny_json.h, not with the rules' codec.
#pragma once

#include <string>
#include <string_view>

#include "reference.h"
#include "tiny_json.h"

namespace esta::test {

// "" when `decision_line` says what `expected` says; otherwise both, for a failure message.
inline std::string reference_difference(std::string_view decision_line,
                                        const reference::Decision& expected) {
    const JsonObject actual = parse_flat_json(std::string(decision_line));
    auto field = [&actual](const char* key) {
        auto it = actual.find(key);
        return it == actual.end() ? std::string("<missing>") : it->second.text;
    };
    const std::string want_rule = "MI-ESTA-2025.1/" + expected.section;
    const bool same = field("kind") == expected.kind && field("reason") == expected.reason &&
                      field("rule") == want_rule && field("size") == expected.size &&
                      field("accrued") == std::to_string(expected.accrued) &&
                      field("frontloaded") == std::to_string(expected.frontloaded) &&
                      field("approved") == std::to_string(expected.approved) &&
                      field("carried") == std::to_string(expected.carried) &&
                      field("forfeited") == std::to_string(expected.forfeited) &&
                      field("balance") == std::to_string(expected.balance) &&
                      field("used_year") == std::to_string(expected.used_year);
    if (same) return "";
    return "decided:   " + std::string(decision_line) + "\nreference: kind=" + expected.kind +
           " reason=" + expected.reason + " rule=" + want_rule + " size=" + expected.size +
           " accrued=" + std::to_string(expected.accrued) +
           " frontloaded=" + std::to_string(expected.frontloaded) +
           " approved=" + std::to_string(expected.approved) +
           " carried=" + std::to_string(expected.carried) +
           " forfeited=" + std::to_string(expected.forfeited) +
           " balance=" + std::to_string(expected.balance) +
           " used_year=" + std::to_string(expected.used_year);
}

}  // namespace esta::test
