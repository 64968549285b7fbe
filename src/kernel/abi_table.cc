// The data of ABI v1. Where a fact already has a home in the code (status codes, rights,
// object kinds, priorities, message types, send flags), the table reads it from there.
#include "kernel/abi_table.h"

#include <array>
#include <cctype>
#include <string>

#include "kernel/handle_table.h"
#include "kernel/mailbox.h"
#include "kernel/message.h"
#include "kernel/object_type.h"
#include "kernel/priority.h"
#include "kernel/rights.h"

namespace esta::kernel::abi {

namespace {

using enum ValType;

constexpr Param kCapLookup[] = {{"name_ptr", I32, CType::InText}, {"name_len", I32, CType::Length}};
constexpr Param kCapDerive[] = {{"h", I32, CType::Handle},
                                {"rights_lo", I64, CType::Int},
                                {"restrict_ptr", I32, CType::InBytes},
                                {"restrict_len", I32, CType::Length}};
constexpr Param kHandleOnly[] = {{"h", I32, CType::Handle}};
constexpr Param kCapInfo[] = {
    {"h", I32, CType::Handle}, {"out_ptr", I32, CType::OutBytes}, {"out_len", I32, CType::Length}};
constexpr Param kSend[] = {{"h", I32, CType::Handle},
                           {"type", I32, CType::Int},
                           {"ptr", I32, CType::InBytes},
                           {"len", I32, CType::Length},
                           {"handles_ptr", I32, CType::InHandles},
                           {"handles_n", I32, CType::Length},
                           {"flags", I32, CType::Int}};
constexpr Param kRecv[] = {{"timeout_ms", I64, CType::Int},
                           {"type_filter", I32, CType::Int},
                           {"buf", I32, CType::OutBytes},
                           {"buf_cap", I32, CType::Length},
                           {"info_ptr", I32, CType::OutInfo}};
constexpr Param kReply[] = {{"type", I32, CType::Int},
                            {"ptr", I32, CType::InBytes},
                            {"len", I32, CType::Length},
                            {"handles_ptr", I32, CType::InHandles},
                            {"handles_n", I32, CType::Length}};
constexpr Param kCall[] = {{"h", I32, CType::Handle},          {"op", I32, CType::Int},
                           {"req_ptr", I32, CType::InBytes},   {"req_len", I32, CType::Length},
                           {"resp_ptr", I32, CType::OutBytes}, {"resp_cap", I32, CType::Length},
                           {"timeout_ms", I64, CType::Int}};
constexpr Param kSpawn[] = {{"module_h", I32, CType::Handle},   {"entry_ptr", I32, CType::InText},
                            {"entry_len", I32, CType::Length},  {"grants_ptr", I32, CType::InBytes},
                            {"grants_len", I32, CType::Length}, {"priority", I32, CType::Int}};
constexpr Param kExit[] = {{"code", I32, CType::Int}};
constexpr Param kRandom[] = {{"ptr", I32, CType::OutBytes}, {"len", I32, CType::Length}};
constexpr Param kLog[] = {
    {"level", I32, CType::Int}, {"ptr", I32, CType::InText}, {"len", I32, CType::Length}};
constexpr Param kSpanBegin[] = {{"name_ptr", I32, CType::InText}, {"name_len", I32, CType::Length}};
constexpr Param kSpanEnd[] = {{"span_id", I64, CType::Int}, {"status", I32, CType::Int}};
constexpr Param kMetric[] = {
    {"name_ptr", I32, CType::InText}, {"name_len", I32, CType::Length}, {"value", F64, CType::Int}};
constexpr Param kAudit[] = {{"kind_ptr", I32, CType::InText},
                            {"kind_len", I32, CType::Length},
                            {"ptr", I32, CType::InBytes},
                            {"len", I32, CType::Length}};

constexpr ResultKind kValue = ResultKind::Value;

constexpr Function kFunctions[] = {
    {"cap_lookup", kCapLookup, I32, kValue, "a handle",
     "The handle the application granted this process under a name (\"kv\", \"decisions\"). "
     "NOT_FOUND when nothing is granted under that name.",
     "", "esta_i32 kv = esta_cap_lookup(\"kv\", 2);"},
    {"cap_derive", kCapDerive, I32, kValue, "the new handle",
     "A new handle to the same object with rights a subset of the held ones (asking for more "
     "is RIGHTS_ESCALATION, never a silent narrowing) plus added restrictions, a value-encoded "
     "map (see Restrictions). The new capability is a child of h: revoking h's descendants "
     "revokes it. LIMIT beyond depth 5 or the per-process handle limit.",
     "DELEGATE on h", "esta_i32 ro = esta_cap_derive(kv, ESTA_RIGHT_READ, 0, 0);"},
    {"cap_revoke", kHandleOnly, I32, kValue, "how many capabilities were revoked",
     "Revokes everything derived from h, at any depth; h itself stays. The kernel works in "
     "bounded steps and the call returns when done.",
     "REVOKE on h, or having issued h or one of its ancestors",
     "esta_i32 revoked = esta_cap_revoke(kv);"},
    {"cap_drop", kHandleOnly, I32, kValue, "0",
     "Removes the handle from this process; the value becomes invalid (BAD_HANDLE).", "",
     "esta_cap_drop(ro);"},
    {"cap_info", kCapInfo, I32, kValue, "the record's length",
     "Writes a value-encoded map describing the handle: kind, resource name, rights, "
     "restrictions and badge. BUFFER_TOO_SMALL (nothing written) when out_len is short.",
     "", "esta_i32 n = esta_cap_info(kv, buf, sizeof buf);"},
    {"send", kSend, I64, kValue, "the message's sequence number in the target mailbox",
     "Sends a message of `type` to the endpoint h, moving up to 4 handles out of this "
     "process. MAILBOX_FULL in the target's NotifySender mode; PAYLOAD_TOO_LARGE over the "
     "payload limit; INVALID_ARGS for unknown flags or a kernel message type. PERSISTENT: "
     "the message is journaled before send returns its sequence, so an acknowledged message "
     "survives a crash of the kernel and is consumed once (by an actor's recv, or when a "
     "reactive handler returns); it cannot carry handles (INVALID_ARGS, checked before the "
     "mailbox's room), is NOT_SUPPORTED by a kernel without a journal, and a failed journal "
     "append is reported as its error with the endpoint's use spent and nothing queued.",
     "WRITE on h; TRANSFER on each moved handle",
     "esta_i64 seq = esta_send(peer, 0x10, msg, msg_len, 0, 0, ESTA_SEND_PRIORITY(5));"},
    {"recv", kRecv, I32, kValue, "the payload's length",
     "Takes the next message (matching type_filter unless it is 0): higher priority first, "
     "FIFO per sender within a priority. timeout_ms 0 polls (EMPTY), -1 waits forever, > 0 "
     "waits that long (TIMEOUT). Writes the info record. BUFFER_TOO_SMALL leaves the message "
     "queued and sets info.len. Moved handles arrive in info.handles. A message delivered "
     "again after its reactive handler stopped with trap 3001 (watchdog) or 3002 (host "
     "memory; both retried once) brings the handles the handler still held then.",
     "", "esta_i32 n = esta_recv(ESTA_RECV_FOREVER, 0, buf, sizeof buf, &info);"},
    {"reply", kReply, I32, kValue, "0",
     "Answers the message being handled (its reply-to): used by `call`ers and the HTTP "
     "ingress. Moves up to 4 handles to the caller, checked as send checks them (more than 4 "
     "or one named twice is INVALID_ARGS). NOT_FOUND when the message expects no reply or "
     "its caller is gone (timed out or ended; the handles then stay here).",
     "TRANSFER on each moved handle", "esta_reply(0x11, out, out_len, 0, 0);"},
    {"call", kCall, I32, kValue, "the reply's length",
     "Request/reply on an endpoint or a driver handle. On a driver handle, `op` is one of the "
     "op codes of its kind and request and reply use the value encoding. TIMEOUT when the "
     "deadline passes; UNAVAILABLE when the driver is down (retryable); DRIVER_ERROR when the "
     "service refused (detail in the reply). On an endpoint: NOT_FOUND when the target process "
     "is gone, or ends, crashes or closes its endpoint before answering (a supervised target "
     "restarts on the same endpoint and answers later calls); when resp_cap leaves room "
     "after the reply, the four i32 handle slots of the reply follow it (the handles the "
     "reply moved, 0 where unused); a reply that moves handles needs that room, else "
     "BUFFER_TOO_SMALL and they are dropped.",
     "the right the op needs (READ for reads, WRITE for writes, EXECUTE for SQL)",
     "esta_i32 n = esta_call(kv, ESTA_KV_GET, req, req_len, resp, sizeof resp, 100);"},
    {"spawn", kSpawn, I32, kValue, "a process handle",
     "Starts a process from a module handle at an entry point, granting it handles this "
     "process holds (grants: a value-encoded map of name to handle; each is moved, or derived "
     "when wrapped in a map {handle, rights, restriction keys as for cap_derive}: a child "
     "capability with those rights (RIGHTS_ESCALATION beyond the held ones) and restrictions, "
     "needing DELEGATE, while this process keeps its handle). Everything is checked before "
     "anything moves. LIMIT when a spawn quota is reached.",
     "EXECUTE on module_h; TRANSFER on moved grants, DELEGATE on derived ones",
     "esta_i32 child = esta_spawn(mod, \"_start\", 6, grants, grants_len, ESTA_PRIORITY_NORMAL);"},
    {"exit", kExit, I32, ResultKind::NoReturn, "never returns",
     "Ends the process with exit code `code` (0 = normal).", "", "esta_exit(0);"},
    {"yield", {}, I32, kValue, "0", "Gives up the rest of the time slice.", "", "esta_yield();"},
    {"now",
     {},
     I64,
     kValue,
     "nanoseconds since the Unix epoch",
     "The kernel's time for the message being handled (journaled, so replay sees the same "
     "value).",
     "",
     "esta_i64 t = esta_now();"},
    {"random", kRandom, I32, kValue, "0",
     "Fills len bytes from the process's deterministic, journaled generator.", "",
     "esta_random(nonce, sizeof nonce);"},
    {"log", kLog, I32, kValue, "0",
     "A structured log line at level 0 (trace) .. 6 (fatal); INVALID_ARGS for other levels.", "",
     "esta_log(ESTA_LOG_INFO, \"accrued\", 7);"},
    {"span_begin", kSpanBegin, I64, kValue, "the span id", "Opens a span inside the current trace.",
     "", "esta_i64 span = esta_span_begin(\"calc\", 4);"},
    {"span_end", kSpanEnd, I32, kValue, "0",
     "Closes a span with a status (0 = ok); NOT_FOUND for an unknown span id.", "",
     "esta_span_end(span, 0);"},
    {"metric", kMetric, I32, kValue, "0",
     "Adds to a counter or histogram declared in the application manifest; NOT_FOUND for an "
     "undeclared name.",
     "", "esta_metric(\"hours\", 5, 1.5);"},
    {"audit", kAudit, I64, kValue, "the record's id in the integrity log",
     "Appends a compliance record of a kind to the integrity-chained audit log, where it is "
     "kept as kind \"app.\" + KIND, so a guest's record cannot pass for one of the kernel's; "
     "KIND is 1 to 64 ASCII letters, digits, '.', '_' or '-', else INVALID_ARGS.",
     "WRITE on the audit-log handle from cap_lookup(\"audit\")",
     "esta_i64 id = esta_audit(\"accrual\", 7, rec, rec_len);"},
};

constexpr StatusEntry kStatuses[] = {
#define ESTA_ABI_STATUS(name, code, text) {Status::name, code, "", text},
    ESTA_STATUS_LIST(ESTA_ABI_STATUS)
#undef ESTA_ABI_STATUS
};

// "BadHandle" -> "BAD_HANDLE". base's status_name() gives the enumerator's spelling; the
// ABI spells statuses in upper snake case.
std::string upper_snake(std::string_view camel) {
    std::string text;
    for (std::size_t i = 0; i < camel.size(); ++i) {
        char c = camel[i];
        if (i > 0 && std::isupper(static_cast<unsigned char>(c))) text += '_';
        text += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    return text;
}

// The ABI statuses with their names, built once (the names need storage).
struct StatusTable {
    std::array<StatusEntry, std::size(kStatuses)> entries{};
    std::array<std::string, std::size(kStatuses)> names;
    std::size_t count = 0;
    StatusTable() {
        for (const StatusEntry& entry : kStatuses) {
            if (!is_abi_status(entry.status)) continue;
            names[count] = upper_snake(status_name(entry.status));
            entries[count] = entry;
            entries[count].name = names[count];
            ++count;
        }
    }
};

constexpr Status kCheckOrder[] = {Status::BadHandle,    Status::WrongType,  Status::Revoked,
                                  Status::Expired,      Status::Restricted, Status::AccessDenied,
                                  Status::UsesExhausted};

constexpr InfoField kInfoRecord[] = {
    {"size", "esta_u32", 0, 4, 1, "the record's size (72); written first"},
    {"type", "esta_u32", 4, 4, 1, "the message type"},
    {"len", "esta_u32", 8, 4, 1, "the payload's length (also on BUFFER_TOO_SMALL)"},
    {"flags", "esta_u32", 12, 4, 1, "the send flags, priority in bits 8-10"},
    {"seq", "esta_u64", 16, 8, 1, "the sequence number send returned"},
    {"time_ns", "esta_i64", 24, 8, 1, "kernel time of the message (what `now` returns)"},
    {"sender_badge", "esta_u32", 32, 4, 1, "the sender's identity as this endpoint names it"},
    {"handles_n", "esta_u32", 36, 4, 1, "how many handles arrived with the message"},
    {"handles", "esta_i32", 40, 16, 4, "the handles moved with the message, now this process's"},
    {"trace_id", "esta_u8", 56, 16, 16, "the W3C trace id of the message"},
};

constexpr Constant kSendFlags[] = {
    {"REQUIRE_ACK", send_flags::kRequireAck, "the sender wants a delivery acknowledgement"},
    {"TRANSACTIONAL", send_flags::kTransactional, "part of the handler's transaction"},
    {"PERSISTENT", send_flags::kPersistent,
     "journaled on the receiver's stream before send returns; after a kernel restart the "
     "unconsumed ones are delivered again, in order. No handles (INVALID_ARGS); "
     "NOT_SUPPORTED without a journal; a failed append is its error, with nothing queued"},
    {"PRIORITY_SHIFT", send_flags::kPriorityShift, "message priority 0-7 sits in bits 8-10"},
    {"PRIORITY_MASK", send_flags::kPriorityMask, "the priority bits"},
};

constexpr Constant kRights[] = {
#define ESTA_ABI_RIGHT(name, abi_name) {abi_name, static_cast<i64>(Right::name), ""},
    ESTA_RIGHT_LIST(ESTA_ABI_RIGHT)
#undef ESTA_ABI_RIGHT
};

constexpr Constant kKinds[] = {
#define ESTA_ABI_KIND(name, code, abi_name, rights, text) {abi_name, code, text},
    ESTA_OBJECT_TYPE_LIST(ESTA_ABI_KIND)
#undef ESTA_ABI_KIND
};

constexpr Constant kPriorities[] = {
#define ESTA_ABI_PRIORITY(name, level, slice_ms, capacity) \
    {#name, level, "slice " #slice_ms " ms, mailbox " #capacity},
    ESTA_PRIORITY_LIST(ESTA_ABI_PRIORITY)
#undef ESTA_ABI_PRIORITY
};

constexpr Constant kLogLevels[] = {
    {"TRACE", 0, ""}, {"DEBUG", 1, ""},    {"INFO", 2, ""},  {"WARNING", 3, ""},
    {"ERROR", 4, ""}, {"CRITICAL", 5, ""}, {"FATAL", 6, ""},
};

constexpr Constant kRecvValues[] = {
    {"POLL", 0, "timeout_ms: return EMPTY at once when nothing matches"},
    {"FOREVER", -1, "timeout_ms: wait until a message matches"},
    {"ANY_TYPE", message_types::kAny.value(), "type_filter: any message type"},
};

constexpr Constant kMessageTypes[] = {
    {"PING", message_types::kPing.value(), ""},
    {"PONG", message_types::kPong.value(), ""},
    {"MODULE_UPGRADE", message_types::kModuleUpgrade.value(),
     "a live upgrade's first message to the new version, handled by estalogic_migrate: a value "
     "map of from_version (text) and from_sha256 (bytes)"},
    {"DRIVER_RECORD", message_types::kDriverRecord.value(),
     "a consumed topic record: a value record (key, headers, partition, offset), then the payload"},
    {"SYSTEM_SHUTDOWN", message_types::kSystemShutdown.value(), ""},
    {"KERNEL_LOW_LAST", 0x000F, "the kernel owns 0x0000-0x000F ..."},
    {"KERNEL_HIGH_FIRST", 0xFF00, "... and 0xFF00-0xFFFF; every other id is the application's"},
};

constexpr Constant kLimits[] = {
    {"MAX_MESSAGE_HANDLES", kMaxMessageHandles, "handles moved with one message"},
    {"DEFAULT_MAX_PAYLOAD", kDefaultMaxPayload, "payload bytes per message (equal passes)"},
    {"INFO_SIZE", kInfoRecordSize, "bytes of the recv info record, version 1"},
    {"DEFAULT_MAX_HANDLES", HandleTableConfig{}.max_handles, "handles per process"},
    {"CUSTOM_RIGHT_FIRST_BIT", kFirstCustomRightBit,
     "custom rights named by the application use bits 16..63, in manifest order"},
    {"MAX_DELEGATION_DEPTH", CapTreeConfig{}.max_depth, "cap_derive chains below a grant"},
};

constexpr ConstantGroup kGroups[] = {
    {"Send flags", "SEND_", "The `flags` argument of `send`.", kSendFlags, true},
    {"Rights", "RIGHT_", "Bits of `rights_lo` (cap_derive) and of cap_info's `rights`.", kRights,
     true},
    {"Handle kinds", "KIND_", "The `kind` cap_info reports (REQUIREMENTS K-11).", kKinds},
    {"Priorities", "PRIORITY_",
     "The `priority` argument of `spawn`. SYSTEM is the kernel's own and refused for guests.",
     kPriorities},
    {"Log levels", "LOG_", "The `level` argument of `log`.", kLogLevels},
    {"Receive", "RECV_", "Special values of `recv`'s arguments.", kRecvValues},
    {"Message types", "MSG_", "Kernel-defined message types (REQUIREMENTS K-5).", kMessageTypes,
     true},
    {"Limits", "LIMIT_", "Defaults of this kernel; the application may lower them.", kLimits},
};

constexpr OpCode kKeyValueOps[] = {
    {"GET", 1, "key", "bytes | NOT_FOUND"},
    {"SET", 2, "key, bytes, ttl_ms?", "null"},
    {"DEL", 3, "key", "i64 (keys removed)"},
    {"INCRBY", 4, "key, i64", "i64 (new value)"},
    {"HGET", 5, "key, field", "bytes | NOT_FOUND"},
    {"HSET", 6, "key, field, bytes", "null"},
    {"HGETALL", 7, "key", "map"},
    {"EXPIRE", 8, "key, ttl_ms", "null"},
    {"MGET", 9, "list of keys", "list"},
    {"EVAL", 10, "script name, keys, args", "value (scripts registered in the manifest only)"},
};
constexpr OpCode kSqlOps[] = {
    {"EXEC", 1, "statement name, params list", "rows (list of lists), affected count"},
    {"BEGIN", 2, "", "null (the transaction is bound to the handle)"},
    {"COMMIT", 3, "", "null"},
    {"ROLLBACK", 4, "", "null"},
};
constexpr OpCode kTopicOps[] = {
    {"PRODUCE", 1, "key, bytes, headers map, partition?", "i64 offset"},
};

constexpr HandleKindOps kOpCodes[] = {
    {"key-value", "KV_", "keyspace (Redis or embedded; keys relative to the handle's prefix)",
     kKeyValueOps},
    {"SQL", "SQL_", "statement, database (PostgreSQL or SQLite; manifest-named statements only)",
     kSqlOps},
    {"topic", "TOPIC_", "topic (Kafka or embedded)", kTopicOps},
};

constexpr ValueTag kValueTags[] = {
    {"NULL", 0, "nothing follows"},
    {"FALSE", 1, "nothing follows"},
    {"TRUE", 2, "nothing follows"},
    {"I64", 3, "8 bytes, little-endian two's complement"},
    {"F64", 4, "8 bytes, IEEE 754 binary64, little-endian"},
    {"TEXT", 5, "u32 length, then that many UTF-8 bytes"},
    {"BYTES", 6, "u32 length, then that many bytes"},
    {"LIST", 7, "u32 count, then that many values"},
    {"MAP", 8, "u32 count, then that many (text key without its tag, value) pairs"},
    {"TIMESTAMP", 9, "i64 nanoseconds since the Unix epoch"},
    {"UUID", 10, "16 bytes"},
    {"DECIMAL", 11, "i64 unscaled value, then u8 scale"},
};

constexpr RestrictionKey kRestrictionKeys[] = {
    {"expires_at", "timestamp", "valid until and including this instant (EXPIRED after)"},
    {"max_uses", "i64", "operations in total, shared with everything derived from it"},
    {"valid_after", "timestamp", "RESTRICTED before this instant"},
    {"valid_before", "timestamp", "RESTRICTED after this instant"},
    {"hours", "i64", "mask of allowed hours, bit h = h:00-h:59 in `zone`"},
    {"days", "i64", "mask of allowed weekdays, bit 0 = Sunday, in `zone`"},
    {"zone", "text", "\"UTC\" (default) or a fixed offset \"+05:30\"; named zones: NOT_SUPPORTED"},
    {"allowed_processes", "list of i64", "only these process ids may use it"},
    {"denied_processes", "list of i64", "these process ids may not (wins over allowed)"},
};

constexpr CustomSection kCustomSections[] = {
    {"estalogic.manifest", "MANIFEST_SECTION",
     "value-encoded map: abi (1), name, version, needs (grant name -> kind and rights), "
     "exports style (reactive | actor)"},
    {"estalogic.signature", "SIGNATURE_SECTION",
     "the module's last section: a value-encoded map of version (1), algorithm "
     "(\"ed25519\"), key_id (8 bytes: the first 8 bytes of the SHA-256 of the 32-byte raw "
     "Ed25519 public key; it picks which trusted key to try, trust comes from the kernel's "
     "key set) and signature (64 bytes: Ed25519 over the SHA-256 of the module bytes before "
     "this section)"},
};

constexpr ModuleExport kModuleExports[] = {
    {"memory", "memory", "the linear memory every pointer refers to"},
    {"estalogic_handle", "() -> i32",
     "reactive style: called once per message; 0 = done, < 0 = failed"},
    {"estalogic_init", "() -> i32", "reactive style, optional: runs once after instantiation"},
    {"estalogic_migrate", "() -> i32",
     "reactive style, optional: on a live upgrade, runs once in the new version before it takes "
     "messages, with the MODULE_UPGRADE message in hand; 0 = done, < 0 (or a trap) = refuse the "
     "upgrade (the old version keeps running)"},
    {"_start", "() -> ()", "actor style: the process's own loop, blocking in recv"},
};

}  // namespace

std::string_view val_type_name(ValType type) {
    switch (type) {
        case ValType::I32:
            return "i32";
        case ValType::I64:
            return "i64";
        case ValType::F64:
            return "f64";
    }
    return "?";
}

std::span<const Function> functions() {
    return kFunctions;
}

const Function* find_function(std::string_view name) {
    for (const Function& function : kFunctions) {
        if (function.name == name) return &function;
    }
    return nullptr;
}

std::string signature(const Function& function) {
    std::string text = "(";
    for (std::size_t i = 0; i < function.params.size(); ++i) {
        if (i) text += ", ";
        text += val_type_name(function.params[i].type);
    }
    text += ") -> ";
    text += function.result_kind == ResultKind::NoReturn ? "()" : val_type_name(function.result);
    return text;
}

std::span<const StatusEntry> statuses() {
    static const StatusTable table;
    return std::span<const StatusEntry>(table.entries.data(), table.count);
}

std::string_view status_abi_name(Status status) {
    for (const StatusEntry& entry : statuses()) {
        if (entry.status == status) return entry.name;
    }
    return status_name(status);
}

std::span<const Status> check_order() {
    return kCheckOrder;
}
std::span<const InfoField> info_record() {
    return kInfoRecord;
}
std::span<const ConstantGroup> constant_groups() {
    return kGroups;
}
std::span<const HandleKindOps> op_codes() {
    return kOpCodes;
}
std::span<const ValueTag> value_tags() {
    return kValueTags;
}
std::span<const RestrictionKey> restriction_keys() {
    return kRestrictionKeys;
}
std::span<const CustomSection> custom_sections() {
    return kCustomSections;
}
std::span<const ModuleExport> module_exports() {
    return kModuleExports;
}

}  // namespace esta::kernel::abi
