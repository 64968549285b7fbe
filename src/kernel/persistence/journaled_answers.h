// JournaledAnswers: the kernel's KernelAnswerRecorder on the node journal (T-1, T-2). On the
// process's stream (stream id = pid) it writes each start as a `marker` (kind 2: name,
// entry, module SHA-256, life), each end on its own as one (kind 3: exit, fuel), each
// delivered message as an `input` record (the message as an envelope with the
// esta.delivered header, at the message's time: what `now` reports while it is handled),
// and each completed syscall as a `kernel answer` (kind 5: the request, the result and the
// bytes written into the guest). replay.h re-runs a process from these records. The
// recorder cannot fail a syscall, so a failed append is counted (failed_appends()) and the
// journal keeps the error (Journal::stopped()).
#pragma once

#include "kernel/syscalls/services.h"
#include "protocol/input_log.h"
#include "protocol/message_id.h"

namespace esta::kernel {

class JournaledAnswers final : public KernelAnswerRecorder {
  public:
    // `journal` and `clock` are borrowed and outlive this. `id_seed` seeds envelope ids.
    JournaledAnswers(protocol::Journal& journal, const protocol::Clock& clock, u64 id_seed = 0)
        : m_journal(journal), m_ids(clock, id_seed) {}

    void started(ProcessId process, const protocol::ProcessStart& start, Nanos time) override;
    void delivered(ProcessId process, const Message& message) override;
    void answered(ProcessId process, protocol::SyscallAnswer answer, Nanos time) override;
    void ended(ProcessId process, const protocol::ProcessEnd& end, Nanos time) override;

    u64 failed_appends() const { return m_failed_appends; }

  private:
    void count(bool appended) {
        if (!appended) ++m_failed_appends;
    }

    protocol::Journal& m_journal;
    protocol::MessageIdGenerator m_ids;
    u64 m_failed_appends = 0;
};

}  // namespace esta::kernel
