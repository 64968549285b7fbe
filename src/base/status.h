// The one status table: the ABI's codes (ABI.md, "Status codes") plus internal codes
// that never cross the ABI. Guests see `-code` for ABI statuses.
#pragma once

#include <cstdint>
#include <string_view>

namespace esta {

// X(Name, code, "what it means")
#define ESTA_STATUS_LIST(X)                                                     \
    X(Ok, 0, "ok")                                                              \
    X(BadHandle, 1, "no such handle in this process, or a stale generation")    \
    X(WrongType, 2, "the handle's object does not support this operation")      \
    X(AccessDenied, 3, "a required right is missing")                           \
    X(Revoked, 4, "the capability, or an ancestor, was revoked")                \
    X(Expired, 5, "past its expiry instant")                                    \
    X(UsesExhausted, 6, "its shared use count is spent")                        \
    X(Restricted, 7, "time window or process restriction forbids it now")       \
    X(InvalidArgs, 8, "malformed request, bad flags, unknown op")               \
    X(OutOfBounds, 9, "a pointer/length outside the caller's memory")           \
    X(BufferTooSmall, 10, "the result did not fit")                             \
    X(MailboxFull, 11, "target mailbox full")                                   \
    X(NotFound, 12, "target process gone, key or row absent, unknown name")     \
    X(PayloadTooLarge, 13, "over the payload limit")                            \
    X(Timeout, 14, "the wait or call deadline passed")                          \
    X(Empty, 15, "non-blocking receive found nothing")                          \
    X(ShuttingDown, 16, "the process or kernel is stopping")                    \
    X(Limit, 17, "a quota is reached")                                          \
    X(Unavailable, 18, "driver down or circuit open")                           \
    X(DriverError, 19, "the service refused the request")                       \
    X(NotSupported, 20, "valid but not offered by this kernel or driver")       \
    X(RightsEscalation, 21, "derive asked for rights the handle does not hold") \
    /* Internal codes: never cross the ABI. */                                  \
    X(Malformed, 1000, "input is not well-formed")                              \
    X(Invalid, 1001, "input is well-formed but fails validation")               \
    X(Unlinkable, 1002, "an import could not be resolved")                      \
    X(Corrupt, 1003, "stored data failed its checksum or structure check")      \
    X(IoError, 1004, "an operating-system call failed")                         \
    X(Internal, 1005, "an internal invariant failed")

enum class Status : std::int32_t {
#define ESTA_STATUS_ENUM(name, code, text) name = code,
    ESTA_STATUS_LIST(ESTA_STATUS_ENUM)
#undef ESTA_STATUS_ENUM
};

// The enumerator's name ("BadHandle"); the ABI's upper-snake spelling lives in the ABI table.
std::string_view status_name(Status status);
std::string_view status_description(Status status);

// True for the codes ABI.md defines (0..21).
constexpr bool is_abi_status(Status status) {
    auto code = static_cast<std::int32_t>(status);
    return code >= 0 && code <= 21;
}

}  // namespace esta
