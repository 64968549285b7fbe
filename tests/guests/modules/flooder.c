/* The mailbox flooder (actor): sends numbered messages to "target" as fast as it can and
 * reports every send's result (the sequence number or -status), for the overflow modes of
 * K-3. Entry `_start`: ten messages at priority 0. Entry `flood_priorities`: twelve messages
 * whose priorities cycle 0, 3, 7, for K-4's ordering. Grants: "target", "report". */
#include "guest.h"

static void flood(esta_u32 count, int with_priorities) {
    static const esta_i32 kPriorities[] = {0, 3, 7};
    esta_handle target = guest_lookup("target");
    guest_report_begin();
    for (esta_u32 i = 0; i < count; ++i) {
        esta_i32 priority = with_priorities ? kPriorities[i % 3] : 0;
        guest_report_indexed(
            "send", i, guest_send_i64(target, GUEST_MSG_FLOOD, i, ESTA_SEND_PRIORITY(priority)));
    }
    guest_report_send();
    esta_exit(0);
}

GUEST_EXPORT("_start") void start(void) {
    flood(10, 0);
}

GUEST_EXPORT("flood_priorities") void flood_priorities(void) {
    flood(12, 1);
}
