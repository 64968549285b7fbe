/* The flooder's target (actor): takes messages until none arrives for 10 ms and reports the
 * numbers it got, in the order it got them ("got0", "got1", ...), their priorities
 * ("priority0", ...) and how many ("count"). Grants: "report". */
#include "guest.h"

static esta_u8 buffer[32];
static esta_message message;

GUEST_EXPORT("_start") void start(void) {
    guest_report_begin();
    esta_message_init(&message, buffer, sizeof buffer);
    esta_u32 count = 0;
    esta_i32 result;
    while (count < 64 && (result = esta_message_recv(&message, 10, GUEST_MSG_FLOOD)) >= 0) {
        esta_reader r = esta_message_reader(&message);
        guest_report_indexed("got", count, esta_get_i64(&r));
        guest_report_indexed("priority", count, esta_info_priority(&message.info));
        ++count;
    }
    guest_report("count", count);
    guest_report("end", result);
    guest_report_send();
    esta_exit(0);
}
