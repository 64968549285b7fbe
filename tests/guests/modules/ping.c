/* Ping (actor): sends ten pings numbered 0..9 to "peer" and waits for each pong, checking it
 * carries the same number, the pong type, the peer's badge and a version 1 info record. */
#include "guest.h"

static esta_u8 buffer[64];
static esta_message message;

GUEST_EXPORT("_start") void start(void) {
    esta_handle peer = guest_lookup("peer");
    esta_i64 rounds = 0;
    esta_i64 mismatches = 0;
    esta_i64 badge = -1;
    esta_message_init(&message, buffer, sizeof buffer);
    for (esta_i64 i = 0; i < 10; ++i) {
        if (guest_send_i64(peer, GUEST_MSG_PING, i, 0) < 0) break;
        if (esta_message_recv(&message, ESTA_RECV_FOREVER, GUEST_MSG_PONG) < 0) break;
        esta_reader payload = esta_message_reader(&message);
        esta_i64 number = esta_get_i64(&payload);
        if (esta_reader_finish(&payload) != 0 || number != i ||
            message.info.type != GUEST_MSG_PONG || !esta_info_valid(&message.info)) {
            ++mismatches;
        }
        badge = message.info.sender_badge;
        ++rounds;
    }
    guest_report_begin();
    guest_report("rounds", rounds);
    guest_report("mismatches", mismatches);
    guest_report("badge", badge);
    guest_report("info_size", message.info.size);
    guest_report_send();
    esta_exit(0);
}
