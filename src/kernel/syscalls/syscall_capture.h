// SyscallCapture: one syscall as the journal keeps it (T-1), read off the ABI table's
// parameter kinds so every syscall is captured the same way: the request is every argument
// plus the bytes of each input buffer; the answer is the result plus the bytes the kernel
// changed in the caller's memory (each output buffer compared before and after the call).
// The live kernel captures around each syscall; replay captures only the request and
// compares it with the journal's.
#pragma once

#include <span>
#include <vector>

#include "kernel/abi_table.h"
#include "protocol/input_log.h"
#include "wasm/wasm.h"

namespace esta::kernel {

// The request of a call of `function` with `args`. An input buffer outside `memory` is kept
// empty (the syscall fails OUT_OF_BOUNDS without reading it).
protocol::SyscallAnswer capture_request(const abi::Function& function, wasm::LinearMemory* memory,
                                        std::span<const wasm::Value> args);

class SyscallCapture {
  public:
    // Before the call: the request, and a copy of each output buffer.
    SyscallCapture(const abi::Function& function, wasm::LinearMemory* memory,
                   std::span<const wasm::Value> args);
    // After the call: the answer (`result`, whether it exited, the changed bytes).
    protocol::SyscallAnswer finish(i64 result, bool exited, wasm::LinearMemory* memory) &&;

  private:
    struct Snapshot {
        u32 address = 0;
        std::vector<u8> before;
    };
    protocol::SyscallAnswer m_answer;
    std::vector<Snapshot> m_outputs;
};

}  // namespace esta::kernel
