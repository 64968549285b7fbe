/* The abuser's helper (actor): receives one handle moved in a message, sends through it
 * until refused, tells "abuser" it is done, waits for the abuser to revoke the handle's
 * parent, tries once more, and reports all of it. */
#include "guest.h"

static esta_u8 buffer[64];
static esta_message message;

GUEST_EXPORT("_start") void start(void) {
    esta_message_init(&message, buffer, sizeof buffer);
    esta_i32 received = esta_message_recv(&message, ESTA_RECV_FOREVER, GUEST_MSG_CARRY_HANDLE);
    esta_handle carried = esta_info_handle(&message.info, 0);
    esta_i64 handles_n = message.info.handles_n;
    esta_i64 uses = 0, refusal = 0;
    while (uses < 100) {
        refusal = esta_send(carried, 0x31, "u", 1, 0, 0, 0);
        if (refusal < 0) break;
        ++uses;
        esta_yield(); /* Let the other holders spend from the same budget in between. */
    }
    esta_handle abuser = guest_lookup("abuser");
    esta_send(abuser, GUEST_MSG_HELPER_DONE, "", 0, 0, 0, 0);
    esta_i32 told = esta_message_recv(&message, ESTA_RECV_FOREVER, GUEST_MSG_REVOKED);
    esta_i64 after_revoke = esta_send(carried, 0x31, "u", 1, 0, 0, 0);
    guest_report_begin();
    guest_report("received", received);
    guest_report("handles_n", handles_n);
    guest_report("uses", uses);
    guest_report("refusal", refusal);
    guest_report("told", told);
    guest_report("after_revoke", after_revoke);
    guest_report_send();
    esta_exit(0);
}
