/* A link of the forwarding chain (reactive): each message goes on to "next" with the same
 * type, its payload list extended by the badge it arrived with, so the end of the chain can
 * check every hop. */
#include "guest.h"

static esta_u8 in[256];
static esta_u8 out[256];
static esta_message message;

GUEST_EXPORT("estalogic_handle") esta_i32 handle(void) {
    esta_message_init(&message, in, sizeof in);
    if (esta_message_recv(&message, ESTA_RECV_POLL, ESTA_RECV_ANY_TYPE) < 0) return -1;
    esta_reader r = esta_message_reader(&message);
    esta_u32 count = esta_get_list(&r);
    esta_writer w;
    esta_writer_init(&w, out, sizeof out);
    esta_put_list(&w, count + 1);
    for (esta_u32 i = 0; i < count; ++i)
        esta_put_i64(&w, esta_get_i64(&r));
    esta_put_i64(&w, message.info.sender_badge);
    if (esta_reader_finish(&r) != 0) return -2;
    esta_i64 sent = esta_send_value(guest_lookup("next"), (esta_i32)message.info.type, &w, 0,
                                    ESTA_SEND_PRIORITY(esta_info_priority(&message.info)));
    return sent < 0 ? -3 : 0;
}
