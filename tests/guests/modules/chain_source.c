/* The head of a forwarding chain (actor): twenty messages numbered 0..19 to "next", their
 * types alternating, each payload a list holding the number. */
#include "guest.h"

GUEST_EXPORT("_start") void start(void) {
    esta_handle next = guest_lookup("next");
    esta_u8 buffer[32];
    for (esta_i64 i = 0; i < 20; ++i) {
        esta_writer w;
        esta_writer_init(&w, buffer, sizeof buffer);
        esta_put_list(&w, 1);
        esta_put_i64(&w, i);
        esta_i32 type = (i & 1) ? GUEST_MSG_CHAIN_B : GUEST_MSG_CHAIN_A;
        if (esta_send_value(next, type, &w, 0, 0) < 0) esta_exit(1);
    }
    esta_exit(0);
}
