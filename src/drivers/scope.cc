#include "drivers/scope.h"

#include <algorithm>

namespace esta::drivers {

bool kv_allows(const KvScope& scope, KvFamily family) {
    return (scope.families & static_cast<u32>(family)) != 0;
}

bool contains_name(const std::vector<std::string>& names, std::string_view name) {
    return std::find(names.begin(), names.end(), name) != names.end();
}

Error DenialRecorder::deny(Status status, const char* context, std::string_view grant,
                           std::string_view process, std::string_view subject) const {
    ++m_denials;
    if (m_sink != nullptr) {
        observe::Value::Map fields;
        fields.emplace("grant", observe::Value::text(std::string(grant)));
        fields.emplace("process", observe::Value::text(std::string(process)));
        fields.emplace("operation", observe::Value::text(context));
        fields.emplace("subject", observe::Value::text(std::string(subject)));
        fields.emplace("status", observe::Value::text(std::string(status_name(status))));
        // An audit failure must not turn a denial into a success; the module still gets the
        // denial, and the audit log's own stop state is visible to the operator.
        (void)m_sink->append("driver.denied", fields);
    }
    return Err(status, context);
}

}  // namespace esta::drivers
