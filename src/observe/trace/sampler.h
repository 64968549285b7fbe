// Head samplers (REQUIREMENTS O-4), as the OpenTelemetry trace SDK defines them:
// AlwaysOn, AlwaysOff, TraceIdRatioBased and ParentBased(root). A sampler is asked once per
// new span, before the span exists; it must be cheap and thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "observe/trace/span_data.h"
#include "observe/trace/trace_context.h"

namespace esta::observe {

enum class SamplingDecision : u8 { Drop, RecordAndSample };

struct SamplingInput {
    const SpanContext* parent = nullptr;  // Null or invalid for a root span.
    const TraceId& trace_id;
    std::string_view name;
    SpanKind kind = SpanKind::Internal;
};

class Sampler {
  public:
    virtual ~Sampler() = default;
    virtual SamplingDecision should_sample(const SamplingInput& input) const = 0;
    virtual std::string description() const = 0;
};

class AlwaysOnSampler final : public Sampler {
  public:
    SamplingDecision should_sample(const SamplingInput&) const override {
        return SamplingDecision::RecordAndSample;
    }
    std::string description() const override { return "AlwaysOnSampler"; }
};

class AlwaysOffSampler final : public Sampler {
  public:
    SamplingDecision should_sample(const SamplingInput&) const override {
        return SamplingDecision::Drop;
    }
    std::string description() const override { return "AlwaysOffSampler"; }
};

// The OpenTelemetry algorithm: the randomness R is the trace id's least-significant 56 bits
// (its rightmost 7 bytes, the part W3C Level 2 makes random), the rejection threshold is
// T = (1 - ratio) * 2^56, and a span is sampled when R >= T. Ratios are clamped to [0, 1];
// a trace sampled at one ratio is sampled at every larger one.
class TraceIdRatioBasedSampler final : public Sampler {
  public:
    explicit TraceIdRatioBasedSampler(f64 ratio);
    SamplingDecision should_sample(const SamplingInput& input) const override;
    std::string description() const override;
    u64 threshold() const { return m_threshold; }

    static u64 randomness(const TraceId& trace_id);
    static constexpr u64 kMaxThreshold = u64{1} << 56;  // Rejects everything.

  private:
    f64 m_ratio;
    u64 m_threshold;
};

// Follows the parent's sampled flag when there is a parent and asks `root` otherwise. The
// four parent cases use the SDK's defaults: a sampled parent (remote or local) means
// RecordAndSample, an unsampled one Drop.
class ParentBasedSampler final : public Sampler {
  public:
    explicit ParentBasedSampler(std::unique_ptr<Sampler> root);
    SamplingDecision should_sample(const SamplingInput& input) const override;
    std::string description() const override;

  private:
    std::unique_ptr<Sampler> m_root;
};

}  // namespace esta::observe
