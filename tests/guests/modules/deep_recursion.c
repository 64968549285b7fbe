/* Deep recursion (actor): recurses without end; the engine's call-depth bound traps the
 * process (trap 4006) instead of exhausting the host's stack. */
#include "guest.h"

static volatile esta_u32 sink;

static esta_u32 descend(esta_u32 depth) {
    sink = depth;
    if (sink == 0xFFFFFFFFu) return 0; /* Never: the volatile read hides that from the compiler. */
    return descend(depth + 1) + sink;  /* Not a tail call: every frame stays. */
}

GUEST_EXPORT("_start") void start(void) {
    sink = descend(0);
    esta_exit(0);
}
