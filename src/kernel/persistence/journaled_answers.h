// JournaledAnswers: the kernel's KernelAnswerRecorder on the node journal (T-1, T-2). Each
// answer a process gets that did not come from its input (today: `random`'s bytes) is a
// `kernel answer` record on the process's stream (stream id = pid), so a replay can hand
// it back. The recorder interface cannot fail a syscall, so a failed append is counted
// (failed_appends()) and the journal keeps the error (Journal::stopped()).
#pragma once

#include "kernel/syscalls/services.h"
#include "protocol/input_log.h"

namespace esta::kernel {

class JournaledAnswers final : public KernelAnswerRecorder {
  public:
    // `journal` and `clock` are borrowed and outlive this.
    JournaledAnswers(protocol::Journal& journal, const protocol::Clock& clock)
        : m_journal(journal), m_clock(clock) {}

    void record(ProcessId process, std::string_view syscall, std::span<const u8> answer) override;

    u64 failed_appends() const { return m_failed_appends; }

  private:
    protocol::Journal& m_journal;
    const protocol::Clock& m_clock;
    u64 m_failed_appends = 0;
};

}  // namespace esta::kernel
