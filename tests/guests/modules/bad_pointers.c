/* Bad pointers (actor): every pointer and length a syscall takes, pointed past the end of
 * this module's memory or wrapping around it, must be refused with OUT_OF_BOUNDS (K-21)
 * and change nothing; then the module makes a wasm out-of-bounds access of its own, which
 * traps this process only. Grants: "target" (endpoint, WRITE TRANSFER), "report". */
#include "guest.h"

static esta_u8 buffer[64];
static esta_info info;

GUEST_EXPORT("_start") void start(void) {
    esta_handle target = guest_lookup("target");
    esta_u32 end = (esta_u32)__builtin_wasm_memory_size(0) * 65536u;
    guest_report_begin();
    guest_report("lookup_past_end", esta_cap_lookup((const char*)end - 2, 4));
    guest_report("lookup_wraps", esta_cap_lookup((const char*)0xFFFFFFFFu, 2));
    guest_report("send_payload_past_end", esta_send(target, 0x31, (void*)(end - 1), 2, 0, 0, 0));
    guest_report("send_payload_huge", esta_send(target, 0x31, buffer, 0xFFFFFFF0u, 0, 0, 0));
    guest_report("send_handles_past_end",
                 esta_send(target, 0x31, buffer, 1, (const esta_handle*)(end - 4), 2, 0));
    guest_report("send_five_handles",
                 esta_send(target, 0x31, buffer, 1, (esta_handle*)buffer, 5, 0));
    guest_report("recv_buffer_past_end", esta_recv(ESTA_RECV_POLL, 0, (void*)(end - 4), 16, &info));
    guest_report("recv_info_past_end",
                 esta_recv(ESTA_RECV_POLL, 0, buffer, sizeof buffer, (esta_info*)(end - 8)));
    guest_report("info_out_past_end", esta_cap_info(target, (void*)(end - 4), 64));
    guest_report("derive_restrictions_past_end",
                 esta_cap_derive(target, ESTA_RIGHT_WRITE, (const void*)(end - 1), 8));
    static const esta_u8 kGarbage[] = {0xEE, 1, 2, 3};
    guest_report("derive_restrictions_malformed",
                 esta_cap_derive(target, ESTA_RIGHT_WRITE, kGarbage, sizeof kGarbage));
    guest_report("random_past_end", esta_random((void*)(end - 4), 8));
    guest_report("log_past_end", esta_log(ESTA_LOG_INFO, (const char*)end, 1));
    guest_report("still_works", esta_send(target, 0x31, "ok", 2, 0, 0, 0) >= 0);
    guest_report_send();
    /* A wasm trap, this process's alone. */
    volatile esta_u8* beyond = (volatile esta_u8*)end;
    *beyond = 1;
    esta_exit(0);
}
