#include "observe/trace/sampler_config.h"

#include <gtest/gtest.h>

namespace esta::observe {
namespace {

std::string describe(std::string_view name, std::string_view argument = {}) {
    auto sampler = make_sampler(name, argument);
    return sampler ? (*sampler)->description() : "error";
}

TEST(SamplerConfig, O4_OpenTelemetryNamesMakeTheirSamplers) {
    EXPECT_EQ(describe("always_on"), "AlwaysOnSampler");
    EXPECT_EQ(describe("always_off"), "AlwaysOffSampler");
    EXPECT_EQ(describe("traceidratio", "0.01"), "TraceIdRatioBased{0.010000}");
    EXPECT_EQ(describe("traceidratio"), "TraceIdRatioBased{1.000000}");
    EXPECT_EQ(describe("parentbased_always_on"), "ParentBased{root:AlwaysOnSampler}");
    EXPECT_EQ(describe("parentbased_always_off"), "ParentBased{root:AlwaysOffSampler}");
    EXPECT_EQ(describe("parentbased_traceidratio", "0.25"),
              "ParentBased{root:TraceIdRatioBased{0.250000}}");
}

TEST(SamplerConfig, O4_BadNamesAndArgumentsAreRefused) {
    for (auto [name, argument] :
         std::initializer_list<std::pair<std::string_view, std::string_view>>{
             {"sometimes", ""},
             {"parentbased_", ""},
             {"always_on", "1"},
             {"traceidratio", "1.5"},
             {"traceidratio", "-0.1"},
             {"traceidratio", "nan"},
             {"traceidratio", "0.5x"},
             {"traceidratio", " 0.5"},
             {"traceidratio", "0x0.8"},
             {"traceidratio", "5e-1"},
             {"traceidratio", "."},
         }) {
        auto sampler = make_sampler(name, argument);
        ASSERT_FALSE(sampler) << name << " " << argument;
        EXPECT_EQ(sampler.error().code, Status::Invalid);
    }
}

}  // namespace
}  // namespace esta::observe
