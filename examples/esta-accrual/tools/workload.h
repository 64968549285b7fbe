// Deterministic generator of ESTA workloads as event JSON lines (docs/ESTA.md, format v1).
//
// The same options always give the same lines, byte for byte, on any machine: the generator
// uses its own integer PRNG (splitmix64) and never reads a clock.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

namespace esta::workload {

struct Options {
    uint64_t seed = 1;
    int64_t events = 10000;  // exactly this many lines are produced
    int32_t employers = 10;
    // A small fraction of invalid inputs (over 24 h, negative, future, duplicate hires, use
    // requests for unknown employees), so that rejections are exercised too.
    bool invalid_inputs = true;
};

// Calls `sink` once per event line (without newline), in processing order.
void generate(const Options& options, const std::function<void(std::string_view)>& sink);

}  // namespace esta::workload
