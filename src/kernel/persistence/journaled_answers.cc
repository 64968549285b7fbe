#include "kernel/persistence/journaled_answers.h"

namespace esta::kernel {

void JournaledAnswers::record(ProcessId process, std::string_view syscall,
                              std::span<const u8> answer) {
    // input_log's kinds: `random` is the one syscall the kernel reports today; a name it
    // does not know is kept as a driver reply rather than dropped.
    const protocol::AnswerKind kind = syscall == "random" ? protocol::AnswerKind::Random
                                      : syscall == "now"  ? protocol::AnswerKind::Now
                                                          : protocol::AnswerKind::DriverReply;
    protocol::KernelAnswer entry{kind, std::vector<u8>(answer.begin(), answer.end())};
    if (!protocol::append_answer(m_journal, protocol::StreamId(process.value()), m_clock.now_ns(),
                                 entry)) {
        ++m_failed_appends;
    }
}

}  // namespace esta::kernel
