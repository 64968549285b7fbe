/* The victim (actor): holds a live handle to "secret" and hands its numeric value to
 * "abuser", as a guest might leak it, then stays alive so the value stays live. Deriving
 * and dropping first moves the slot's generation past anything the abuser could hold. */
#include "guest.h"

GUEST_EXPORT("_start") void start(void) {
    esta_handle secret = guest_lookup("secret");
    for (int i = 0; i < 3; ++i)
        esta_cap_drop(esta_cap_derive(secret, ESTA_RIGHT_WRITE, 0, 0));
    esta_i32 live = esta_cap_derive(secret, ESTA_RIGHT_WRITE, 0, 0);
    guest_report_begin();
    guest_report("live", live);
    guest_report_send();
    guest_send_i64(guest_lookup("abuser"), GUEST_MSG_HANDLE_VALUE, live, 0);
    esta_u8 buffer[8];
    esta_info info;
    esta_recv(ESTA_RECV_FOREVER, ESTA_RECV_ANY_TYPE, buffer, sizeof buffer, &info);
    esta_exit(0);
}
