// Kernel::restore: a persistent message recovered from the journal goes back into its
// receiver's mailbox as it was sent (sender, badge, priority, flags, time), without being
// journaled again.
#include "kernel/runtime/kernel_runtime.h"

namespace esta::kernel {

Result<u64> Kernel::restore(ProcessId pid, Message message) {
    std::lock_guard<std::recursive_mutex> lock(m_lock);
    auto it = m_records.find(pid);
    if (it == m_records.end()) return Err(Status::NotFound, "kernel.restore: no such process");
    Endpoint& endpoint = *it->second.process->endpoint();
    if (!endpoint.receiver_alive()) return Err(Status::NotFound, "kernel.restore: process ended");
    auto admission = ESTA_TRY(endpoint.mailbox().admit(message));
    if (admission == Admission::BlockSender)
        return Err(Status::MailboxFull, "kernel.restore: the mailbox is full");
    SendReceipt receipt = endpoint.mailbox().push(std::move(message), admission);
    if (receipt.wake_receiver) wake(pid);
    return receipt.seq;
}

}  // namespace esta::kernel
