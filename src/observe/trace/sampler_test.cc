#include "observe/trace/sampler.h"

#include <gtest/gtest.h>

#include "observe/trace/id_source.h"

namespace esta::observe {
namespace {

SamplingDecision decide(const Sampler& sampler, const TraceId& trace_id,
                        const SpanContext* parent = nullptr) {
    return sampler.should_sample({parent, trace_id, "span", SpanKind::Internal});
}

TEST(Sampler, O4_AlwaysOnAndAlwaysOff) {
    const TraceId id = TraceId::from_halves(1, 2);
    EXPECT_EQ(decide(AlwaysOnSampler{}, id), SamplingDecision::RecordAndSample);
    EXPECT_EQ(decide(AlwaysOffSampler{}, id), SamplingDecision::Drop);
}

TEST(Sampler, O4_RatioComparesTheLeast56BitsWithTheThreshold) {
    const TraceIdRatioBasedSampler half(0.5);
    EXPECT_EQ(half.threshold(), u64{1} << 55);
    // The top byte of the low half and the whole high half do not take part.
    const TraceId just_below = TraceId::from_halves(~u64{0}, 0xFF7FFFFFFFFFFFFFull);
    const TraceId at = TraceId::from_halves(0, 0x0080000000000000ull);
    EXPECT_EQ(TraceIdRatioBasedSampler::randomness(just_below), (u64{1} << 55) - 1);
    EXPECT_EQ(decide(half, just_below), SamplingDecision::Drop);
    EXPECT_EQ(decide(half, at), SamplingDecision::RecordAndSample);

    EXPECT_EQ(TraceIdRatioBasedSampler(0).threshold(), TraceIdRatioBasedSampler::kMaxThreshold);
    EXPECT_EQ(TraceIdRatioBasedSampler(1).threshold(), 0u);
    EXPECT_EQ(TraceIdRatioBasedSampler(-3).threshold(), TraceIdRatioBasedSampler::kMaxThreshold);
    EXPECT_EQ(TraceIdRatioBasedSampler(7).threshold(), 0u);
    const TraceId all_ones = TraceId::from_halves(~u64{0}, ~u64{0});
    EXPECT_EQ(decide(TraceIdRatioBasedSampler(0), all_ones), SamplingDecision::Drop);
    EXPECT_EQ(decide(TraceIdRatioBasedSampler(1), TraceId::from_halves(0, 1)),
              SamplingDecision::RecordAndSample);
}

TEST(Sampler, O4_RatioSamplesAboutTheRatioAndIsMonotonic) {
    SeededIdSource ids(42);
    const TraceIdRatioBasedSampler one_percent(0.01);
    const TraceIdRatioBasedSampler ten_percent(0.1);
    int sampled_one = 0;
    int sampled_ten = 0;
    constexpr int kTraces = 100'000;
    for (int i = 0; i < kTraces; ++i) {
        const TraceId id = ids.new_trace_id();
        const bool one = decide(one_percent, id) == SamplingDecision::RecordAndSample;
        const bool ten = decide(ten_percent, id) == SamplingDecision::RecordAndSample;
        if (one) {
            EXPECT_TRUE(ten) << "sampled at 1% but not at 10%";
        }
        sampled_one += one;
        sampled_ten += ten;
    }
    // Deterministic for seed 42; the bounds are ±5 standard deviations of a binomial.
    EXPECT_NEAR(sampled_one, 1000, 160);
    EXPECT_NEAR(sampled_ten, 10'000, 480);
}

TEST(Sampler, O4_ParentBasedFollowsTheParentAndAsksRootOtherwise) {
    const ParentBasedSampler sampler(std::make_unique<AlwaysOffSampler>());
    const TraceId id = TraceId::from_halves(1, 2);
    SpanContext parent{id, SpanId::from_u64(3), kTraceFlagSampled, {}, true};
    EXPECT_EQ(decide(sampler, id, &parent), SamplingDecision::RecordAndSample);
    parent.remote = false;
    EXPECT_EQ(decide(sampler, id, &parent), SamplingDecision::RecordAndSample);
    parent.trace_flags = 0;
    EXPECT_EQ(decide(sampler, id, &parent), SamplingDecision::Drop);
    EXPECT_EQ(decide(sampler, id), SamplingDecision::Drop);  // Root: AlwaysOff.
    const ParentBasedSampler on(std::make_unique<AlwaysOnSampler>());
    EXPECT_EQ(decide(on, id), SamplingDecision::RecordAndSample);
    const SpanContext invalid{};
    EXPECT_EQ(decide(on, id, &invalid), SamplingDecision::RecordAndSample);  // Treated as root.
    EXPECT_EQ(on.description(), "ParentBased{root:AlwaysOnSampler}");
}

}  // namespace
}  // namespace esta::observe
