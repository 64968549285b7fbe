// The per-process input stream (T-1, T-2): what the kernel journals so any process can be
// replayed exactly — each message it receives (with the time the kernel assigned to it)
// and each kernel answer it gets (now, random, a driver reply, a timeout). A persistent
// message is acknowledged to its sender only once committed_sequence() covers its record.
// Since journal format 2, the kernel journals each syscall a process completes as one
// SyscallAnswer (what it asked, what it was told) and each start of the process as a
// ProcessStart marker. Thin helpers over Journal; the encodings are in docs/PROTOCOL.md.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/result.h"
#include "protocol/envelope.h"
#include "protocol/journal.h"

namespace esta::protocol {

enum class AnswerKind : u8 {
    Now = 1,          // The time returned by `now` (T-2).
    Random = 2,       // Bytes returned by `random`.
    DriverReply = 3,  // A driver's reply to a call.
    Timeout = 4,      // A wait or call deadline passed.
    Syscall = 5,      // A completed syscall: its request and its answer (SyscallAnswer).
};

struct KernelAnswer {
    AnswerKind kind = AnswerKind::Now;
    std::vector<u8> bytes;
    bool operator==(const KernelAnswer&) const = default;
};

// One syscall a process completed (T-1): the request (an output replay compares) and the
// kernel's answer (what replay hands back instead of asking a kernel).
struct SyscallAnswer {
    std::string function;   // The ABI name ("send").
    std::vector<u64> args;  // Every argument's raw bits, in order (i32 zero-extended).
    // The bytes each input buffer held (InBytes, InText, InHandles), in parameter order.
    std::vector<std::vector<u8>> request;
    i64 result = 0;       // The value returned (>= 0 success, -status), or the exit code.
    bool exited = false;  // The syscall ended the process (`exit`).
    struct Write {
        u32 address = 0;
        std::vector<u8> bytes;
        bool operator==(const Write&) const = default;
    };
    // The guest memory the kernel changed, as spans of changed bytes.
    std::vector<Write> writes;
    bool operator==(const SyscallAnswer&) const = default;
};

// A process (re)started: the module it runs, so replay can verify it is given the same.
struct ProcessStart {
    std::string name;                    // The process's name, "" when it has none.
    std::string entry;                   // The entry export ("_start") or the handler.
    std::array<u8, 32> module_sha256{};  // All zero when the kernel was not told.
    u32 life = 0;                        // 0 for the first start, then one per restart.
    bool operator==(const ProcessStart&) const = default;
};

// A process ended on its own (returned, exited, trapped): how, and the fuel it used, so
// replay can check both (T-1: outputs, fuel and traps reproduce).
struct ProcessEnd {
    std::string exit;  // ExitReason::to_string(): "normal", "code(3)", "crashed(trap 4002)".
    u64 fuel = 0;      // Fuel the life used, from its start.
    bool operator==(const ProcessEnd&) const = default;
};

// Marker kinds on a process's stream (the first data byte of a `marker` record).
inline constexpr u8 kConsumedMarker = 1;  // A persistent message was consumed.
inline constexpr u8 kStartedMarker = 2;   // ProcessStart.
inline constexpr u8 kEndedMarker = 3;     // ProcessEnd.
// Header a delivery record carries (its value: the mailbox sequence), which tells it from
// the record a persistent `send` writes before delivery.
inline constexpr std::string_view kDeliveredHeader = "esta.delivered";

// Journals `message`, delivered to `stream` at kernel time `time`; returns its sequence.
Result<u64> append_input(Journal& journal, StreamId stream, Nanos time, const Envelope& message);
// Journals a kernel answer given to `stream` at `time`.
Result<u64> append_answer(Journal& journal, StreamId stream, Nanos time,
                          const KernelAnswer& answer);

// Journals a completed syscall of `stream` at `time` (answer kind 5).
Result<u64> append_syscall(Journal& journal, StreamId stream, Nanos time,
                           const SyscallAnswer& answer);
// Journals a start of the process of `stream` (a `marker` record, kind 2).
Result<u64> append_start(Journal& journal, StreamId stream, Nanos time, const ProcessStart& start);
// Journals the end of the process of `stream` (a `marker` record, kind 3).
Result<u64> append_end(Journal& journal, StreamId stream, Nanos time, const ProcessEnd& end);

// One step of a process's history, in the order it happened.
struct ReplayStep {
    u64 sequence = 0;
    Nanos time = 0;
    std::variant<Envelope, KernelAnswer, SyscallAnswer, ProcessStart, ProcessEnd> event;
};

// The inputs, answers, starts and ends of `stream` from stream sequence `from`, in order, for
// replay. Other records (outputs, checkpoints, consumed markers) are skipped. Errors: the
// journal's, the codec's, or Malformed "input_log.bad_answer" / "input_log.bad_start" /
// "input_log.bad_end".
Result<std::vector<ReplayStep>> read_history(Journal& journal, StreamId stream, u64 from = 1);

}  // namespace esta::protocol
