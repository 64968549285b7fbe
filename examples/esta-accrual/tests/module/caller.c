/* A caller for the module tests: the way the HTTP ingress reaches the accrual process. For
 * each message it receives (an event line) it `call`s the endpoint granted as "accrual" with
 * an AccrualRequest (0x0010) and sends what came back, the module's `reply`, to "answers" as
 * type 0x0011; a failed call sends its status as the text "status:<n>" instead. */
#include "estalogic.h"

#define LINE_CAPACITY 16384
#define ANSWER_CAPACITY 4096

static esta_i32 send_answer(const void* bytes, esta_u32 length) {
    esta_handle answers = esta_cap_lookup("answers", 7);
    if (answers < 0) return answers;
    esta_i64 sent = esta_send(answers, 0x0011, bytes, length, 0, 0, 0);
    return sent < 0 ? (esta_i32)sent : 0;
}

__attribute__((export_name("estalogic_handle"))) esta_i32 estalogic_handle(void) {
    char line[LINE_CAPACITY];
    char answer[ANSWER_CAPACITY];
    esta_info info;
    esta_i32 n = esta_recv(ESTA_RECV_POLL, 0, line, sizeof line, &info);
    if (n < 0) return n;
    esta_handle accrual = esta_cap_lookup("accrual", 7);
    if (accrual < 0) return accrual;
    esta_i32 got = esta_call(accrual, 0x0010, line, (esta_u32)n, answer, sizeof answer, 5000);
    if (got >= 0) return send_answer(answer, (esta_u32)got);
    char status[16] = "status:";
    esta_u32 length = 7;
    esta_u32 code = (esta_u32)-got;
    if (code >= 10) status[length++] = (char)('0' + code / 10);
    status[length++] = (char)('0' + code % 10);
    return send_answer(status, length);
}
