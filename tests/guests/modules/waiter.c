/* The waiter (actor): blocks until any message arrives, reports its type, exits. */
#include "guest.h"

static esta_u8 buffer[16];
static esta_message message;

GUEST_EXPORT("_start") void start(void) {
    esta_message_init(&message, buffer, sizeof buffer);
    esta_i32 result = esta_message_recv(&message, ESTA_RECV_FOREVER, ESTA_RECV_ANY_TYPE);
    guest_report_begin();
    guest_report("result", result);
    guest_report("type", message.info.type);
    guest_report_send();
    esta_exit(0);
}
