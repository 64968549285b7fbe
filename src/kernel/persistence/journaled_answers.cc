#include "kernel/persistence/journaled_answers.h"

#include "kernel/persistence/kernel_envelope.h"

namespace esta::kernel {
namespace {

protocol::StreamId stream_of(ProcessId process) {
    return protocol::StreamId(process.value());
}

}  // namespace

void JournaledAnswers::started(ProcessId process, const protocol::ProcessStart& start, Nanos time) {
    count(protocol::append_start(m_journal, stream_of(process), time, start).has_value());
}

void JournaledAnswers::delivered(ProcessId process, const Message& message) {
    // At the message's time: T-2's `now` for as long as it is handled.
    count(protocol::append_input(m_journal, stream_of(process), message.time,
                                 to_delivery_envelope(message, m_ids.next()))
              .has_value());
}

void JournaledAnswers::answered(ProcessId process, protocol::SyscallAnswer answer, Nanos time) {
    count(protocol::append_syscall(m_journal, stream_of(process), time, answer).has_value());
}

void JournaledAnswers::ended(ProcessId process, const protocol::ProcessEnd& end, Nanos time) {
    count(protocol::append_end(m_journal, stream_of(process), time, end).has_value());
}

}  // namespace esta::kernel
