// Process priorities (REQUIREMENTS K-2) and what each implies: its time slice and its
// mailbox capacity (K-3). System is the kernel's own work, never a guest's.
#pragma once

#include <string_view>

#include "base/types.h"
#include "kernel/ids.h"

namespace esta::kernel {

// X(Name, level, slice in ms (0 = runs to completion), mailbox capacity)
#define ESTA_PRIORITY_LIST(X) \
    X(Idle, 0, 100, 1024)     \
    X(Low, 1, 50, 1024)       \
    X(Normal, 2, 25, 1024)    \
    X(High, 3, 15, 4096)      \
    X(Realtime, 4, 10, 4096)  \
    X(System, 5, 0, 16384)

enum class Priority : u8 {
#define ESTA_PRIORITY_ENUM(name, level, slice_ms, capacity) name = level,
    ESTA_PRIORITY_LIST(ESTA_PRIORITY_ENUM)
#undef ESTA_PRIORITY_ENUM
};

inline constexpr u32 kPriorityCount = 6;

constexpr std::string_view priority_name(Priority priority) {
    switch (priority) {
#define ESTA_PRIORITY_NAME(name, level, slice_ms, capacity) \
    case Priority::name:                                    \
        return #name;
        ESTA_PRIORITY_LIST(ESTA_PRIORITY_NAME)
#undef ESTA_PRIORITY_NAME
    }
    return "unknown";
}

// The slice a process of this priority runs before the scheduler may switch; 0 for System,
// which runs to completion.
constexpr Nanos time_slice(Priority priority) {
    switch (priority) {
#define ESTA_PRIORITY_SLICE(name, level, slice_ms, capacity) \
    case Priority::name:                                     \
        return Nanos{slice_ms} * kNanosPerMilli;
        ESTA_PRIORITY_LIST(ESTA_PRIORITY_SLICE)
#undef ESTA_PRIORITY_SLICE
    }
    return 0;
}

// The default capacity of a mailbox owned by a process of this priority (K-3).
constexpr u32 default_mailbox_capacity(Priority priority) {
    switch (priority) {
#define ESTA_PRIORITY_CAPACITY(name, level, slice_ms, capacity) \
    case Priority::name:                                        \
        return capacity;
        ESTA_PRIORITY_LIST(ESTA_PRIORITY_CAPACITY)
#undef ESTA_PRIORITY_CAPACITY
    }
    return 1024;
}

}  // namespace esta::kernel
