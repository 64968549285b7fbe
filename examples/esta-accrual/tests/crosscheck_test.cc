// A-1..A-8 as a whole: the C rules (through the v1 JSON codec) against the independent
// reference implementation, decision by decision, on seeded generated workloads.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "decider.h"
#include "esta_json.h"
#include "reference.h"
#include "reference_compare.h"
#include "tiny_json.h"
#include "workload.h"

namespace esta::test {
namespace {

std::string field(const JsonObject& object, const char* key) {
    auto it = object.find(key);
    return it == object.end() ? "<missing>" : it->second.text;
}

// Compares every decision of one workload; returns the decision kinds seen.
std::map<std::string, int> cross_check(const workload::Options& options) {
    workload::Decider rules;
    reference::Rules expected_rules;
    std::map<std::string, int> kinds;
    int failures = 0;
    workload::generate(options, [&](std::string_view line) {
        if (failures > 5) return;  // the first differences are enough to debug
        const std::string actual_line = rules.decide(line);
        const JsonObject actual = parse_flat_json(actual_line);
        const std::string difference =
            reference_difference(actual_line, expected_rules.decide(line));
        if (!difference.empty()) {
            ++failures;
            ADD_FAILURE() << "event:     " << line << "\n" << difference;
        }
        ++kinds[field(actual, "kind") + "/" + field(actual, "reason")];
    });
    return kinds;
}

TEST(CrossCheck, A8_RulesMatchReferenceOnGeneratedWorkloads) {
    std::set<std::string> seen;
    for (uint64_t seed : {1u, 2u, 3u, 20250221u}) {
        workload::Options options;
        options.seed = seed;
        options.events = 30000;
        options.employers = 12;
        for (const auto& [kind, count] : cross_check(options))
            seen.insert(kind);
        if (HasFailure()) return;
    }
    // The workloads must reach every outcome, or the comparison proves less than it seems.
    for (const char* wanted : {"accrued/none",
                               "recorded/none",
                               "approved/none",
                               "denied/waiting_period",
                               "denied/insufficient_balance",
                               "denied/use_cap",
                               "rejected/negative_minutes",
                               "rejected/over_24_hours",
                               "rejected/future_date",
                               "rejected/not_hired",
                               "rejected/already_hired",
                               "rejected/not_positive",
                               "rejected/before_hire",
                               "rejected/closed_year",
                               "rejected/year_not_ended",
                               "not_effective/none",
                               "exempt/none",
                               "hired/none",
                               "rolled_over/none",
                               "headcount/none"}) {
        EXPECT_TRUE(seen.count(wanted)) << "no decision " << wanted << " in the workloads";
    }
}

TEST(Workload, SameSeedSameBytesDifferentSeedDifferentBytes) {
    auto collect = [](uint64_t seed) {
        std::string all;
        workload::Options options;
        options.seed = seed;
        options.events = 5000;
        workload::generate(options, [&](std::string_view line) {
            all.append(line);
            all.push_back('\n');
        });
        return all;
    };
    const std::string first = collect(42);
    EXPECT_EQ(first, collect(42));
    EXPECT_NE(first, collect(43));
}

TEST(Workload, ProducesExactlyTheRequestedNumberOfWellFormedV1Lines) {
    workload::Options options;
    options.events = 3333;
    options.employers = 4;
    int64_t lines = 0;
    workload::generate(options, [&](std::string_view line) {
        ++lines;
        esta_event_record record;
        EXPECT_EQ(esta_parse_event_json(line.data(), static_cast<int32_t>(line.size()), &record),
                  ESTA_JSON_OK)
            << line;
        EXPECT_EQ(record.format_version, 1);
    });
    EXPECT_EQ(lines, 3333);
}

}  // namespace
}  // namespace esta::test
