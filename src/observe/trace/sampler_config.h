// Samplers by the names OpenTelemetry's configuration uses (OTEL_TRACES_SAMPLER and
// OTEL_TRACES_SAMPLER_ARG), so an operator's manifest or environment can say
// "parentbased_traceidratio" and "0.01". observe only interprets the strings; the app
// decides where they come from.
#pragma once

#include <memory>
#include <string_view>

#include "base/result.h"
#include "observe/trace/sampler.h"

namespace esta::observe {

// always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off,
// parentbased_traceidratio. The argument is the ratio for the *traceidratio samplers (a
// decimal in [0, 1]; empty means 1.0, as OpenTelemetry defaults it) and must be empty for
// the others. Invalid for an unknown name or a bad argument.
Result<std::unique_ptr<Sampler>> make_sampler(std::string_view name,
                                              std::string_view argument = {});

}  // namespace esta::observe
