/* Pong (reactive): the kernel calls estalogic_handle once per message; each ping is answered
 * to "peer" with a pong carrying the same payload. A message that is not a ping fails the
 * handler (the supervisor's policy applies), which the test counts. */
#include "guest.h"

static esta_u8 buffer[64];
static esta_message message;

GUEST_EXPORT("estalogic_handle") esta_i32 handle(void) {
    esta_message_init(&message, buffer, sizeof buffer);
    if (esta_message_recv(&message, ESTA_RECV_POLL, ESTA_RECV_ANY_TYPE) < 0) return -1;
    if (message.info.type != GUEST_MSG_PING) return -2;
    esta_i64 sent =
        esta_send(guest_lookup("peer"), GUEST_MSG_PONG, message.data, message.len, 0, 0, 0);
    return sent < 0 ? -3 : 0;
}
