/* The infinite loop (actor): wakes "waiter" once (when granted), then spins forever without
 * a single syscall; only preemption at a safepoint can take the CPU back (K-6). */
#include "guest.h"

GUEST_EXPORT("_start") void start(void) {
    esta_handle waiter = guest_lookup("waiter");
    if (waiter > 0) esta_send(waiter, GUEST_MSG_WAKE, "", 0, 0, 0, 0);
    volatile esta_u64 spins = 0;
    for (;;)
        spins = spins + 1;
}
