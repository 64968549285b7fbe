#include "observe/trace/sampler_config.h"

#include <cmath>
#include <cstdlib>
#include <string>

namespace esta::observe {

namespace {

Result<f64> parse_ratio(std::string_view text) {
    if (text.empty()) return 1.0;
    // Plain decimals only: strtod would also skip spaces and read "nan", "inf" or hex.
    if (text.size() > 32 || text.find_first_not_of("0123456789.") != std::string_view::npos)
        return Err(Status::Invalid, "sampler.ratio");
    const std::string copy(text);  // strtod needs a terminated string.
    char* end = nullptr;
    const f64 ratio = std::strtod(copy.c_str(), &end);
    if (end != copy.c_str() + copy.size() || !std::isfinite(ratio) || ratio < 0 || ratio > 1)
        return Err(Status::Invalid, "sampler.ratio");
    return ratio;
}

}  // namespace

Result<std::unique_ptr<Sampler>> make_sampler(std::string_view name, std::string_view argument) {
    constexpr std::string_view kParentBased = "parentbased_";
    const bool parent_based = name.starts_with(kParentBased);
    const std::string_view root_name = parent_based ? name.substr(kParentBased.size()) : name;
    std::unique_ptr<Sampler> root;
    if (root_name == "traceidratio") {
        root = std::make_unique<TraceIdRatioBasedSampler>(ESTA_TRY(parse_ratio(argument)));
    } else if (!argument.empty()) {
        return Err(Status::Invalid, "sampler.unexpected_argument");
    } else if (root_name == "always_on") {
        root = std::make_unique<AlwaysOnSampler>();
    } else if (root_name == "always_off") {
        root = std::make_unique<AlwaysOffSampler>();
    } else {
        return Err(Status::Invalid, "sampler.unknown_name");
    }
    if (!parent_based) return root;
    return std::unique_ptr<Sampler>(std::make_unique<ParentBasedSampler>(std::move(root)));
}

}  // namespace esta::observe
