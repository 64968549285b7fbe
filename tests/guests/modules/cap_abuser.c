/* The capability abuser (actor): tries everything a guest should not be able to do with
 * handles and reports each result (a value >= 0 or -status) under a name the test checks:
 * forged, stale and foreign handle values (K-10), rights escalation (K-12), the check order
 * (K-14), transfer without the right and a 5-use capability shared by three processes
 * (K-15), use after revoke (K-16).
 *
 * Grants: "target" (endpoint, WRITE DELEGATE TRANSFER), "revocable" (endpoint, WRITE DELEGATE
 * REVOKE), "norevoke" (endpoint, WRITE DELEGATE), "process" (a process, READ DELEGATE
 * REVOKE), "helper1".."helper3" (cap_helper endpoints), "report". The victim sends one of
 * its own handle values; the helpers say when they are done. */
#include "guest.h"

#define MSG_ANY_OF_OURS 0x31

static esta_u8 scratch[512];
static esta_u8 restrict_buffer[64];
static esta_message message;

static esta_i64 send_to(esta_handle h) {
    return esta_send(h, MSG_ANY_OF_OURS, "x", 1, 0, 0, 0);
}

static esta_i32 derive(esta_handle h, esta_i64 rights) {
    return esta_cap_derive(h, rights, 0, 0);
}

/* Derive with one restriction: a map of one key to an i64, a timestamp or a list of one i64. */
static esta_i32 derive_restricted(esta_handle h, esta_i64 rights, const char* key, int tag,
                                  esta_i64 value) {
    esta_writer w;
    esta_writer_init(&w, restrict_buffer, sizeof restrict_buffer);
    esta_put_map(&w, 1);
    esta_put_key(&w, key, guest_strlen(key));
    if (tag == ESTA_VALUE_TIMESTAMP) {
        esta_put_timestamp(&w, value);
    } else if (tag == ESTA_VALUE_LIST) {
        esta_put_list(&w, 1);
        esta_put_i64(&w, value);
    } else {
        esta_put_i64(&w, value);
    }
    esta_i32 len = esta_writer_finish(&w);
    if (len < 0) return len;
    return esta_cap_derive(h, rights, restrict_buffer, (esta_u32)len);
}

/* An i64 entry of the cap_info record of h, or -status. */
static esta_i64 info_entry(esta_handle h, const char* key) {
    esta_i32 len = esta_cap_info(h, scratch, sizeof scratch);
    if (len < 0) return len;
    esta_reader r, value;
    esta_reader_init(&r, scratch, (esta_u32)len);
    if (esta_map_find(&r, key, guest_strlen(key), &value) != 1) return -ESTA_NOT_FOUND;
    if (esta_peek_tag(&value) == ESTA_VALUE_TRUE || esta_peek_tag(&value) == ESTA_VALUE_FALSE) {
        return esta_get_bool(&value);
    }
    esta_i64 number = esta_get_i64(&value);
    return value.error ? -value.error : number;
}

static void foreign_and_forged(esta_handle* owned, esta_u32 owned_n) {
    /* K-10: a value that is live in the victim's table means nothing here. */
    esta_message_init(&message, scratch, sizeof scratch);
    esta_i64 foreign = -1;
    if (esta_message_recv(&message, ESTA_RECV_FOREVER, GUEST_MSG_HANDLE_VALUE) >= 0) {
        esta_reader r = esta_message_reader(&message);
        foreign = esta_get_i64(&r);
    }
    guest_report("foreign_value", foreign);
    guest_report("foreign_send", send_to((esta_handle)foreign));
    guest_report("foreign_info", esta_cap_info((esta_handle)foreign, scratch, sizeof scratch));
    guest_report("foreign_drop", esta_cap_drop((esta_handle)foreign));

    guest_report("forged_zero", esta_cap_info(0, scratch, sizeof scratch));
    guest_report("forged_negative", send_to(-1));
    guest_report("forged_huge", send_to(0x7FFFFFFF));
    /* Every (generation 1..8, slot 0..63) value this process was not given. */
    esta_i64 scanned = 0, not_bad_handle = 0;
    for (esta_u32 generation = 1; generation <= 8; ++generation) {
        for (esta_u32 slot = 0; slot < 64; ++slot) {
            esta_handle value = (esta_handle)((generation << 16) | slot);
            int mine = 0;
            for (esta_u32 i = 0; i < owned_n; ++i)
                mine |= owned[i] == value;
            if (mine) continue;
            ++scanned;
            if (esta_cap_info(value, scratch, sizeof scratch) != -ESTA_BAD_HANDLE) {
                ++not_bad_handle;
            }
        }
    }
    guest_report("forged_scanned", scanned);
    guest_report("forged_not_bad_handle", not_bad_handle);
}

static void stale(esta_handle target) {
    esta_i32 d = derive(target, ESTA_RIGHT_WRITE);
    guest_report("stale_derived", d > 0);
    guest_report("stale_first_drop", esta_cap_drop(d));
    guest_report("stale_send", send_to(d));
    guest_report("stale_info", esta_cap_info(d, scratch, sizeof scratch));
    guest_report("stale_second_drop", esta_cap_drop(d));
    esta_i32 again = derive(target, ESTA_RIGHT_WRITE); /* Reuses the slot, not the value. */
    guest_report("stale_value_reused", again == d);
    guest_report("stale_send_after_reuse", send_to(d));
    guest_report("fresh_send", send_to(again) >= 0);
}

static void escalation(esta_handle target) {
    guest_report("escalate_read", derive(target, ESTA_RIGHT_WRITE | ESTA_RIGHT_READ));
    guest_report("escalate_revoke", derive(target, ESTA_RIGHT_REVOKE));
    guest_report("escalate_custom",
                 derive(target, (esta_i64)1 << ESTA_LIMIT_CUSTOM_RIGHT_FIRST_BIT));
    esta_i32 narrow = derive(target, ESTA_RIGHT_WRITE);
    guest_report("narrow_rights", info_entry(narrow, "rights"));
    guest_report("narrow_derive", derive(narrow, ESTA_RIGHT_WRITE)); /* No DELEGATE. */
    guest_report("narrow_escalate", derive(narrow, ESTA_RIGHT_WRITE | ESTA_RIGHT_DELEGATE));
}

static void check_order(esta_handle target, esta_handle process) {
    /* WRONG_TYPE before ACCESS_DENIED: a process handle is no endpoint (nor has it WRITE). */
    guest_report("order_wrong_type", send_to(process));
    /* WRONG_TYPE before REVOKED. */
    esta_i32 w = derive(process, ESTA_RIGHT_READ | ESTA_RIGHT_DELEGATE);
    guest_report("order_process_revoke", esta_cap_revoke(process));
    guest_report("order_wrong_type_before_revoked", send_to(w));
    /* EXPIRED before ACCESS_DENIED (no WRITE): valid until and including the instant. */
    esta_i64 now = esta_now();
    esta_i32 expired =
        derive_restricted(target, ESTA_RIGHT_DELEGATE, "expires_at", ESTA_VALUE_TIMESTAMP, now - 1);
    guest_report("order_expired_before_denied", send_to(expired));
    esta_i32 until_now =
        derive_restricted(target, ESTA_RIGHT_WRITE, "expires_at", ESTA_VALUE_TIMESTAMP, now);
    guest_report("expires_now_still_valid", send_to(until_now) >= 0);
    /* RESTRICTED before ACCESS_DENIED: only process 9999 may use it. */
    esta_i32 restricted =
        derive_restricted(target, ESTA_RIGHT_DELEGATE, "allowed_processes", ESTA_VALUE_LIST, 9999);
    guest_report("order_restricted_before_denied", send_to(restricted));
    /* ACCESS_DENIED before USES_EXHAUSTED, and a denied call consumes no use. */
    esta_i32 once = derive_restricted(target, ESTA_RIGHT_WRITE | ESTA_RIGHT_DELEGATE, "max_uses",
                                      ESTA_VALUE_I64, 1);
    esta_i32 no_write = derive(once, ESTA_RIGHT_DELEGATE);
    guest_report("denied_first", send_to(no_write));
    guest_report("denied_second", send_to(no_write));
    guest_report("use_after_denials", send_to(once) >= 0);
    guest_report("use_exhausted", send_to(once));
    guest_report("order_denied_before_exhausted", send_to(no_write));
    guest_report("derive_from_exhausted", derive(once, ESTA_RIGHT_WRITE));
}

static void transfer(esta_handle target, esta_handle helper1) {
    /* K-15: moving a handle needs TRANSFER; a refused send leaves the handle in place. */
    esta_i32 no_transfer = derive(target, ESTA_RIGHT_WRITE);
    esta_handle moved[1] = {no_transfer};
    guest_report("transfer_without_right", esta_send(helper1, 0x32, "h", 1, moved, 1, 0));
    guest_report("transfer_refused_kept", send_to(no_transfer) >= 0);
    /* Depth: at most 5 derivations below the granted root. */
    esta_handle h = target;
    esta_i64 depth = 0;
    esta_i32 result;
    while ((result = derive(h, ESTA_RIGHT_WRITE | ESTA_RIGHT_DELEGATE)) > 0 && depth < 10) {
        h = result;
        ++depth;
    }
    guest_report("depth_reached", depth);
    guest_report("depth_refused", result);
}

/* A 5-use capability (*five) below an unlimited one (returned, for revoking them all later),
 * derived once per helper and moved to it; each helper sends until refused. */
static esta_handle share_five_uses(esta_handle target, const esta_handle* helpers,
                                   esta_handle* five_out) {
    esta_i32 holder = derive(target, ESTA_RIGHT_WRITE | ESTA_RIGHT_DELEGATE | ESTA_RIGHT_TRANSFER);
    esta_i32 five =
        derive_restricted(holder, ESTA_RIGHT_WRITE | ESTA_RIGHT_DELEGATE | ESTA_RIGHT_TRANSFER,
                          "max_uses", ESTA_VALUE_I64, 5);
    *five_out = five;
    guest_report("five_derived", five > 0);
    esta_i64 moved_ok = 0, gone_after_move = 0;
    for (int i = 0; i < 3; ++i) {
        esta_handle copy[1] = {derive(five, ESTA_RIGHT_WRITE | ESTA_RIGHT_TRANSFER)};
        if (esta_send(helpers[i], GUEST_MSG_CARRY_HANDLE, "", 0, copy, 1, 0) >= 0) ++moved_ok;
        if (send_to(copy[0]) == -ESTA_BAD_HANDLE) ++gone_after_move;
    }
    guest_report("five_moved", moved_ok);
    guest_report("five_gone_after_move", gone_after_move);
    return holder;
}

static void revocation(esta_handle revocable, esta_handle norevoke) {
    /* K-16: every descendant at every depth; the handle itself stays. */
    esta_i32 child = derive(revocable, ESTA_RIGHT_WRITE | ESTA_RIGHT_DELEGATE);
    esta_i32 grandchild = derive(child, ESTA_RIGHT_WRITE | ESTA_RIGHT_DELEGATE);
    esta_i32 great = derive(grandchild, ESTA_RIGHT_WRITE);
    guest_report("before_revoke", send_to(great) >= 0);
    guest_report("revoke_count", esta_cap_revoke(revocable));
    guest_report("revoked_child", send_to(child));
    guest_report("revoked_grandchild", send_to(grandchild));
    guest_report("revoked_great", send_to(great));
    guest_report("revoked_derive", derive(child, ESTA_RIGHT_WRITE));
    guest_report("revoked_info_flag", info_entry(great, "revoked"));
    guest_report("revoker_itself_usable", send_to(revocable) >= 0);
    /* REVOKED before ACCESS_DENIED (no WRITE). */
    esta_i32 no_write = derive(revocable, ESTA_RIGHT_DELEGATE);
    guest_report("second_revoke_count", esta_cap_revoke(revocable));
    guest_report("order_revoked_before_denied", send_to(no_write));
    /* Revoking needs REVOKE, or being in the issuer chain. */
    guest_report("revoke_without_right", esta_cap_revoke(norevoke));
    esta_i32 issued = derive(norevoke, ESTA_RIGHT_WRITE | ESTA_RIGHT_DELEGATE);
    esta_i32 below = derive(issued, ESTA_RIGHT_WRITE);
    guest_report("revoke_as_issuer", esta_cap_revoke(issued));
    guest_report("revoked_by_issuer", send_to(below));
}

GUEST_EXPORT("_start") void start(void) {
    esta_handle owned[8] = {
        guest_lookup("target"),  guest_lookup("revocable"), guest_lookup("norevoke"),
        guest_lookup("process"), guest_lookup("helper1"),   guest_lookup("helper2"),
        guest_lookup("helper3"), guest_lookup("report"),
    };
    guest_report_begin();
    foreign_and_forged(owned, 8);
    stale(owned[0]);
    escalation(owned[0]);
    check_order(owned[0], owned[3]);
    transfer(owned[0], owned[4]);
    esta_handle five;
    esta_handle holder = share_five_uses(owned[0], owned + 4, &five);
    /* Wait until every helper has spent what it could, then revoke their copies. */
    esta_message_init(&message, scratch, sizeof scratch);
    esta_i64 done = 0;
    while (done < 3 && esta_message_recv(&message, ESTA_RECV_FOREVER, GUEST_MSG_HELPER_DONE) >= 0)
        ++done;
    guest_report("helpers_done", done);
    guest_report("five_parent_exhausted", send_to(five));
    /* The 5-use capability and its three copies, held by the three helpers. */
    guest_report("revoke_moved_copies", esta_cap_revoke(holder));
    for (int i = 0; i < 3; ++i)
        esta_send(owned[4 + i], GUEST_MSG_REVOKED, "", 0, 0, 0, 0);
    revocation(owned[1], owned[2]);
    guest_report_send();
    esta_exit(0);
}
