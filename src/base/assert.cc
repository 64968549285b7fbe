#include "base/assert.h"

#include <cstdio>
#include <cstdlib>

namespace esta::detail {

void assertion_failed(const char* expression, const char* file, int line, const char* function) {
    std::fprintf(stderr, "estalogic: internal assertion failed: %s\n  at %s:%d in %s\n", expression,
                 file, line, function);
    std::fflush(stderr);
    std::abort();
}

}  // namespace esta::detail
