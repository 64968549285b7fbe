#include "observe/trace/sampler.h"

#include <cmath>
#include <cstdio>

namespace esta::observe {

TraceIdRatioBasedSampler::TraceIdRatioBasedSampler(f64 ratio) {
    if (!(ratio > 0)) ratio = 0;  // Also NaN.
    if (ratio > 1) ratio = 1;
    m_ratio = ratio;
    // T = round((1 - ratio) * 2^56). Both factors are exact in binary64 for the ratios that
    // matter (2^56 is a power of two), and the result is at most 2^56, so it fits.
    m_threshold = static_cast<u64>(std::llround((1.0 - ratio) * std::ldexp(1.0, 56)));
    if (m_threshold > kMaxThreshold) m_threshold = kMaxThreshold;
}

u64 TraceIdRatioBasedSampler::randomness(const TraceId& trace_id) {
    return trace_id.low() & (kMaxThreshold - 1);
}

SamplingDecision TraceIdRatioBasedSampler::should_sample(const SamplingInput& input) const {
    return randomness(input.trace_id) >= m_threshold ? SamplingDecision::RecordAndSample
                                                     : SamplingDecision::Drop;
}

std::string TraceIdRatioBasedSampler::description() const {
    char text[64];
    std::snprintf(text, sizeof text, "TraceIdRatioBased{%.6f}", m_ratio);
    return text;
}

ParentBasedSampler::ParentBasedSampler(std::unique_ptr<Sampler> root) : m_root(std::move(root)) {}

SamplingDecision ParentBasedSampler::should_sample(const SamplingInput& input) const {
    if (input.parent != nullptr && input.parent->valid())
        return input.parent->sampled() ? SamplingDecision::RecordAndSample : SamplingDecision::Drop;
    return m_root->should_sample(input);
}

std::string ParentBasedSampler::description() const {
    return "ParentBased{root:" + m_root->description() + "}";
}

}  // namespace esta::observe
