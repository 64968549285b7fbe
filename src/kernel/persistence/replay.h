// Replay (T-1): re-executes a process from its journal stream — each life from its start
// marker, with every message it was delivered and every syscall answer it got — and proves
// that it asks for exactly what it asked for live: every request (sent messages, replies,
// driver requests, audit records, logs, spawns, exits) must equal the journaled one, bit
// for bit, or the replay stops at the first difference and says where (which input, which
// syscall, expected against got). The module must be the one the journal names (its
// SHA-256); a changed module is reported before anything runs.
//
// Replay never asks a kernel: syscalls are answered from the journal (results and the bytes
// the kernel wrote), so it runs anywhere, without the other processes or the drivers.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/result.h"
#include "kernel/ids.h"
#include "protocol/journal.h"

namespace esta::kernel {

using ModuleDigest = std::array<u8, 32>;

// A process as its stream shows it.
struct JournaledProcess {
    ProcessId pid;
    std::string name;              // From its last start; "" when it has none.
    ModuleDigest module_sha256{};  // From its last start; all zero when not recorded.
    u32 lives = 0;                 // Starts.
    u64 inputs = 0;                // Messages delivered.
    u64 answers = 0;               // Syscalls answered.
};

// Every process with at least one start in `journal`, by pid.
Result<std::vector<JournaledProcess>> list_journaled_processes(protocol::Journal& journal);

// The first place where the replay and the journal part.
struct ReplayDifference {
    u32 life = 0;      // 0 for the first start.
    u64 input = 0;     // Messages delivered before it (0: before the first one).
    u64 syscall = 0;   // 1-based syscall number within the life.
    u64 record = 0;    // The journal record expected (node-wide sequence), 0 for none.
    std::string what;  // One line: what differs ("argument `len` of send: ...").
    std::string expected;
    std::string got;
};

struct ReplayReport {
    u32 lives = 0;
    u64 inputs = 0;            // Messages delivered again.
    u64 answers = 0;           // Syscalls answered from the journal.
    u64 outputs = 0;           // Of those, requests with an effect outside the process, compared.
    u32 unverified_lives = 0;  // Starts without a recorded module hash.
    std::string end;           // How the last life ended ("waiting for a message", "exit(0)", ...).
    std::optional<ReplayDifference> difference;
    bool identical() const { return !difference.has_value(); }
};

// Replays process `pid` of `journal` with the module `module_bytes`. Errors (the replay did
// not run): NotFound "replay.no_such_process" when the stream has no start, the journal's
// and the codec's errors, Invalid "replay.bad_module" when the bytes do not compile.
Result<ReplayReport> replay_process(protocol::Journal& journal, ProcessId pid,
                                    ByteSpan module_bytes);

// "9f86d081…" (64 hex digits).
std::string digest_hex(const ModuleDigest& digest);

}  // namespace esta::kernel
