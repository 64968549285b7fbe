#include "protocol/clock.h"

#include <chrono>

namespace esta::protocol {

Nanos SystemClock::now_ns() const {
    const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    return std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch).count();
}

}  // namespace esta::protocol
