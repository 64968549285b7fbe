#include "base/status.h"

namespace esta {

std::string_view status_name(Status status) {
    switch (status) {
#define ESTA_STATUS_NAME(name, code, text) \
    case Status::name:                     \
        return #name;
        ESTA_STATUS_LIST(ESTA_STATUS_NAME)
#undef ESTA_STATUS_NAME
    }
    return "Unknown";
}

std::string_view status_description(Status status) {
    switch (status) {
#define ESTA_STATUS_TEXT(name, code, text) \
    case Status::name:                     \
        return text;
        ESTA_STATUS_LIST(ESTA_STATUS_TEXT)
#undef ESTA_STATUS_TEXT
    }
    return "unknown status";
}

}  // namespace esta
