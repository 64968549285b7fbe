/* The end of the forwarding chain (actor): takes twenty messages and checks that they come
 * in order, with their original types, and that the badges recorded hop by hop are 1, 2, 3
 * (source, first and second link) with the last link's badge 4 on the message itself. */
#include "guest.h"

static esta_u8 buffer[256];
static esta_message message;

GUEST_EXPORT("_start") void start(void) {
    esta_i64 received = 0, out_of_order = 0, wrong_type = 0, wrong_badges = 0;
    esta_message_init(&message, buffer, sizeof buffer);
    for (esta_i64 i = 0; i < 20; ++i) {
        if (esta_message_recv(&message, ESTA_RECV_FOREVER, ESTA_RECV_ANY_TYPE) < 0) break;
        ++received;
        esta_reader r = esta_message_reader(&message);
        esta_u32 count = esta_get_list(&r);
        if (esta_get_i64(&r) != i) ++out_of_order;
        esta_u32 expected_type = (i & 1) ? GUEST_MSG_CHAIN_B : GUEST_MSG_CHAIN_A;
        if (message.info.type != expected_type) ++wrong_type;
        int badges_ok = count == 4 && message.info.sender_badge == 4;
        for (esta_i64 hop = 1; hop < count; ++hop)
            badges_ok &= esta_get_i64(&r) == hop;
        if (!badges_ok || esta_reader_finish(&r) != 0) ++wrong_badges;
    }
    guest_report_begin();
    guest_report("received", received);
    guest_report("out_of_order", out_of_order);
    guest_report("wrong_type", wrong_type);
    guest_report("wrong_badges", wrong_badges);
    guest_report_send();
    esta_exit(0);
}
