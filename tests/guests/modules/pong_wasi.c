/* Pong built against wasi-libc (reactive): the same answer as pong.c, but through libc's
 * memcpy and memcmp, to show the SDK headers work beside a C library. Only functions that
 * need no WASI import are used: the kernel offers module `estalogic` alone. */
#include <string.h>

#include "guest.h"

static esta_u8 buffer[64];
static esta_u8 answer[64];
static esta_message message;

GUEST_EXPORT("estalogic_handle") esta_i32 handle(void) {
    esta_message_init(&message, buffer, sizeof buffer);
    if (esta_message_recv(&message, ESTA_RECV_POLL, ESTA_RECV_ANY_TYPE) < 0) return -1;
    if (message.info.type != GUEST_MSG_PING) return -2;
    memcpy(answer, message.data, message.len);
    if (memcmp(answer, buffer, message.len) != 0) return -4;
    esta_i64 sent = esta_send(guest_lookup("peer"), GUEST_MSG_PONG, answer, message.len, 0, 0, 0);
    return sent < 0 ? -3 : 0;
}
