// Endpoint: a process's mailbox as other processes see it (STYLE.md; REQUIREMENTS K-3).
// A handle to an endpoint lets its holder send (Right::Write); the handle's badge tells the
// receiver who sent. The receiving process owns its endpoint; senders' handles keep the
// object alive after the receiver ends, and from then on sends report NOT_FOUND ("target
// process gone") instead of queuing into a mailbox nobody will read.
//
// A live upgrade re-attaches an endpoint to the receiver's new version: the endpoint
// forwards to the new process's own endpoint, so the holders' handles (their rights,
// restrictions and badges) stay what they were while what they send from then on goes to
// the new version; what was queued before stays here for the old version to finish.
#pragma once

#include <string>
#include <vector>

#include "kernel/mailbox.h"
#include "kernel/object.h"
#include "kernel/ref.h"

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

    // A live upgrade: sends through handles to this endpoint go to `successor` from now on (under
    // the kernel lock, as every send). Queued messages stay for the current receiver.
    void forward_to(Ref<Endpoint> successor) { m_successor = std::move(successor); }
    // Where a send through a handle to this endpoint is queued: the last successor, or this.
    Endpoint& destination();
    bool forwarded() const { return static_cast<bool>(m_successor); }

  private:
    ProcessId m_receiver;
    bool m_receiver_alive = true;
    Mailbox m_mailbox;
    std::vector<ProcessId> m_orphaned_callers;
    Ref<Endpoint> m_successor;  // The new version's endpoint, once upgraded.
};

}  // namespace esta::kernel
