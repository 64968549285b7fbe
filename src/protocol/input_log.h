// The per-process input stream (T-1, T-2): what the kernel journals so any process can be
// replayed exactly — each message it receives (with the time the kernel assigned to it)
// and each kernel answer it gets (now, random, a driver reply, a timeout). A persistent
// message is acknowledged to its sender only once committed_sequence() covers its record.
// Thin helpers over Journal; the encodings are in docs/PROTOCOL.md.
#pragma once

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
};

struct KernelAnswer {
    AnswerKind kind = AnswerKind::Now;
    std::vector<u8> bytes;
    bool operator==(const KernelAnswer&) const = default;
};

// Journals `message`, delivered to `stream` at kernel time `time`; returns its sequence.
Result<u64> append_input(Journal& journal, StreamId stream, Nanos time, const Envelope& message);
// Journals a kernel answer given to `stream` at `time`.
Result<u64> append_answer(Journal& journal, StreamId stream, Nanos time,
                          const KernelAnswer& answer);

// One step of a process's history, in the order it happened.
struct ReplayStep {
    u64 sequence = 0;
    Nanos time = 0;
    std::variant<Envelope, KernelAnswer> event;
};

// The inputs and answers of `stream` from stream sequence `from`, in order, for replay.
// Records of other types (outputs, checkpoints, markers) are skipped. Errors: the
// journal's, the codec's, or Malformed "input_log.bad_answer".
Result<std::vector<ReplayStep>> read_history(Journal& journal, StreamId stream, u64 from = 1);

}  // namespace esta::protocol
