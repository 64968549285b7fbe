// A-9 end to end through the v1 formats: data/golden-sample.jsonl (written by
// data/make_golden_sample.py) decided line by line must give data/golden-sample.decisions.jsonl,
// and those decisions must show the golden numbers. The decisions file is the sample the
// reactive module's end-to-end test compares against.
#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "decider.h"
#include "tiny_json.h"

namespace esta::test {
namespace {

std::vector<std::string> read_lines(const std::string& name) {
    std::ifstream file(std::string(ESTA_ACCRUAL_DATA_DIR) + "/" + name);
    std::vector<std::string> lines;
    for (std::string line; std::getline(file, line);)
        lines.push_back(line);
    return lines;
}

TEST(SampleData, A9_GoldenSampleDecidesAsRecorded) {
    const std::vector<std::string> events = read_lines("golden-sample.jsonl");
    const std::vector<std::string> expected = read_lines("golden-sample.decisions.jsonl");
    ASSERT_EQ(events.size(), 460u);
    ASSERT_EQ(expected.size(), events.size());
    workload::Decider decider;
    std::vector<JsonObject> decisions;
    for (size_t i = 0; i < events.size(); ++i) {
        const std::string decision = decider.decide(events[i]);
        EXPECT_EQ(decision, expected[i]) << "line " << i + 1;
        decisions.push_back(parse_flat_json(decision));
    }
    // Scenario 2 and 3: Ann's two requests; scenario 5: Cat's year end.
    int requests = 0;
    for (JsonObject& d : decisions) {
        if (d["employee"].text == "ann" && d["type"].text == "use_request") {
            ++requests;
            if (requests == 1) {
                EXPECT_EQ(d["reason"].text, "waiting_period");
                EXPECT_NE(d["explain"].text.find(R"({"code":"waiting_days_remaining","value":61})"),
                          std::string::npos);
            } else {
                EXPECT_EQ(d["kind"].text, "approved");
                EXPECT_EQ(d["balance"].text, "320");  // 13:20 - 8:00 = 5:20
            }
        }
        if (d["employee"].text == "cat" && d["type"].text == "year_end") {
            EXPECT_EQ(d["carried"].text, "4320");    // 72:00
            EXPECT_EQ(d["forfeited"].text, "1080");  // 18:00
        }
    }
    EXPECT_EQ(requests, 2);
}

}  // namespace
}  // namespace esta::test
