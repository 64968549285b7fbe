// Rights templates (REQUIREMENTS K-19): the usual shapes of a grant, so a manifest says
// "read-only" rather than spelling out bits. Each is rights plus restrictions.
#pragma once

#include <optional>

#include "kernel/restrictions.h"
#include "kernel/rights.h"

namespace esta::kernel {

struct RightsTemplate {
    Rights rights;
    Restrictions restrictions;
};

// read, list; optionally expiring.
inline RightsTemplate read_only_template(std::optional<Nanos> expires_at = std::nullopt) {
    RightsTemplate result{Right::Read | Right::List, {}};
    result.restrictions.expires_at = expires_at;
    return result;
}

// read, write, create, list; optionally expiring.
inline RightsTemplate read_write_template(std::optional<Nanos> expires_at = std::nullopt) {
    RightsTemplate result{Right::Read | Right::Write | Right::Create | Right::List, {}};
    result.restrictions.expires_at = expires_at;
    return result;
}

// Every kernel right (custom rights are always granted by name).
inline RightsTemplate full_template(std::optional<Nanos> expires_at = std::nullopt) {
    RightsTemplate result{Rights::all_standard(), {}};
    result.restrictions.expires_at = expires_at;
    return result;
}

// execute only, good for exactly `max_uses` performed operations in total (K-15).
inline RightsTemplate execute_only_template(u64 max_uses) {
    RightsTemplate result{Right::Execute, {}};
    result.restrictions.max_uses = max_uses;
    return result;
}

}  // namespace esta::kernel
