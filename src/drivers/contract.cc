#include "drivers/contract.h"

namespace esta::drivers {

std::string_view driver_kind_name(DriverKind kind) {
    switch (kind) {
        case DriverKind::KeyValue:
            return "kv";
        case DriverKind::Sql:
            return "sql";
        case DriverKind::Topic:
            return "topic";
    }
    return "unknown";
}

std::string_view health_state_name(HealthState state) {
    switch (state) {
        case HealthState::Healthy:
            return "Healthy";
        case HealthState::Connecting:
            return "Connecting";
        case HealthState::Degraded:
            return "Degraded";
        case HealthState::Busy:
            return "Busy";
        case HealthState::Stopping:
            return "Stopping";
        case HealthState::Stopped:
            return "Stopped";
        case HealthState::Unhealthy:
            return "Unhealthy";
    }
    return "Unknown";
}

}  // namespace esta::drivers
