// Endpoint: a process's mailbox as other processes see it (STYLE.md; REQUIREMENTS K-3).
// A handle to an endpoint lets its holder send (Right::Write); the handle's badge tells the
// receiver who sent. The receiving process owns its endpoint; senders' handles keep the
// object alive after the receiver ends, and from then on sends report NOT_FOUND ("target
// process gone") instead of queuing into a mailbox nobody will read.
#pragma once

#include <string>
#include <vector>

#include "kernel/mailbox.h"
#include "kernel/object.h"

namespace esta::kernel {

class Endpoint final : public KernelObject {
  public:
    static constexpr ObjectType kType = ObjectType::Endpoint;

    Endpoint(ObjectId id, std::string name, ProcessId receiver, MailboxConfig config)
        : KernelObject(id, Resource{kType, std::move(name), {}}),
          m_receiver(receiver),
          m_mailbox(config) {}

    ProcessId receiver() const { return m_receiver; }
    bool receiver_alive() const { return m_receiver_alive; }
    Mailbox& mailbox() { return m_mailbox; }
    const Mailbox& mailbox() const { return m_mailbox; }

    // The receiver ended: refuse further sends and drop what is queued (with the handles
    // the messages carried). A queued request's caller is not left waiting: its call
    // fails (NOT_FOUND, "target process gone"), and take_orphaned_callers() names it so
    // the kernel can wake it.
    void detach_receiver();
    std::vector<ProcessId> take_orphaned_callers() { return std::move(m_orphaned_callers); }

  private:
    ProcessId m_receiver;
    bool m_receiver_alive = true;
    Mailbox m_mailbox;
    std::vector<ProcessId> m_orphaned_callers;
};

}  // namespace esta::kernel
