// What becomes of a message whose deadline passed before it was handled (REQUIREMENTS
// K-53): never silently ignored, always counted and reported, then one of these.
#pragma once

#include <string_view>

#include "base/types.h"

namespace esta::kernel {

enum class MissPolicy : u8 {
    DeliverLate,  // Still delivered, marked late, so the handler and the trace know.
    Drop,         // Not delivered: it goes to the dead-letter queue as expired.
    Escalate,     // Not delivered: dead-lettered, and raised as an alarm for the region.
};

constexpr std::string_view miss_policy_name(MissPolicy policy) {
    switch (policy) {
        case MissPolicy::DeliverLate:
            return "deliver_late";
        case MissPolicy::Drop:
            return "drop";
        case MissPolicy::Escalate:
            return "escalate";
    }
    return "unknown";
}

}  // namespace esta::kernel
