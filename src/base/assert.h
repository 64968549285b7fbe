// ESTA_ASSERT: for conditions only a bug can break. Stays on in release builds (cheap);
// anything a guest, a peer or the network can cause returns a Result instead.
#pragma once

namespace esta::detail {
[[noreturn]] void assertion_failed(const char* expression, const char* file, int line,
                                   const char* function);
}  // namespace esta::detail

#define ESTA_ASSERT(expression)                         \
    (__builtin_expect(static_cast<bool>(expression), 1) \
         ? static_cast<void>(0)                         \
         : ::esta::detail::assertion_failed(#expression, __FILE__, __LINE__, __func__))

#define ESTA_UNREACHABLE() \
    ::esta::detail::assertion_failed("unreachable", __FILE__, __LINE__, __func__)
