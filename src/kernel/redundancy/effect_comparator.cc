#include "kernel/redundancy/effect_comparator.h"

#include <algorithm>

namespace esta::kernel {

std::string_view divergence_field_name(DivergenceField field) {
    switch (field) {
        case DivergenceField::Sequence:
            return "sequence";
        case DivergenceField::Count:
            return "count";
        case DivergenceField::Kind:
            return "kind";
        case DivergenceField::Target:
            return "target";
        case DivergenceField::Size:
            return "size";
        case DivergenceField::Digest:
            return "digest";
    }
    return "unknown";
}

std::optional<Divergence> first_divergence(const EffectLog& left, const EffectLog& right) {
    if (left.message_sequence() != right.message_sequence()) {
        return Divergence{0, DivergenceField::Sequence, std::nullopt, std::nullopt};
    }
    const auto& a = left.effects();
    const auto& b = right.effects();
    std::size_t common = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < common; ++i) {
        if (a[i] == b[i]) continue;
        DivergenceField field = a[i].kind != b[i].kind       ? DivergenceField::Kind
                                : a[i].target != b[i].target ? DivergenceField::Target
                                : a[i].size != b[i].size     ? DivergenceField::Size
                                                             : DivergenceField::Digest;
        return Divergence{i, field, a[i], b[i]};
    }
    if (a.size() == b.size()) return std::nullopt;
    Divergence divergence{common, DivergenceField::Count, std::nullopt, std::nullopt};
    if (a.size() > common) divergence.left = a[common];
    if (b.size() > common) divergence.right = b[common];
    return divergence;
}

}  // namespace esta::kernel
