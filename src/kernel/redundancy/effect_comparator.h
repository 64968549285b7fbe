// Comparing two replicas' effects for one message (REQUIREMENTS K-60). The first difference
// is reported — which effect, which field — because the first is the one that matters: every
// later effect may follow from it.
#pragma once

#include <optional>
#include <string_view>

#include "kernel/redundancy/effect_log.h"

namespace esta::kernel {

enum class DivergenceField : u8 { Sequence, Count, Kind, Target, Size, Digest };
std::string_view divergence_field_name(DivergenceField field);

struct Divergence {
    std::size_t index = 0;  // Of the first differing effect (or the shorter log's length).
    DivergenceField field = DivergenceField::Digest;
    std::optional<Effect> left;  // Missing when that replica produced fewer effects.
    std::optional<Effect> right;
};

// Nothing when the logs are identical; otherwise the first divergence. Logs for different
// message sequences diverge on Sequence (the kernel paired the wrong logs: never release).
std::optional<Divergence> first_divergence(const EffectLog& left, const EffectLog& right);

}  // namespace esta::kernel
