// CallSlot: where the answer to one endpoint `call` lands (ABI.md "call", "reply"). The
// request message carries a Ref to it as its reply-to; the caller keeps another while it
// waits. `reply` fills it once and wakes the caller; a caller that timed out or ended
// abandons it, so a late reply is refused (NOT_FOUND) rather than delivered to nobody; a
// handler that ends without answering fails it, so the caller is not left waiting.
// Handles moved by the reply travel in the answer until the caller's `call` takes them;
// dropped with the slot when nobody does.
//
// Guarded by the kernel lock, like the mailboxes it sits beside.
#pragma once

#include <array>
#include <optional>
#include <vector>

#include "kernel/handle.h"
#include "kernel/ids.h"
#include "kernel/ref.h"

namespace esta::kernel {

class CallSlot final : public RefCounted {
  public:
    explicit CallSlot(ProcessId caller) : m_caller(caller) {}

    ProcessId caller() const { return m_caller; }
    bool answered() const { return m_answer.has_value(); }
    bool abandoned() const { return m_abandoned; }
    // The reply's type, payload and moved handles, once answered.
    struct Answer {
        u32 type = 0;
        std::vector<u8> payload;
        std::array<Handle, kMaxMessageHandles> handles;
        u32 handle_count = 0;
    };
    std::optional<Answer>& answer() { return m_answer; }
    const std::optional<Answer>& answer() const { return m_answer; }

    // False when already answered or abandoned (nothing changes then).
    bool answer(Answer answer) {
        if (m_answer || m_abandoned) return false;
        m_answer = std::move(answer);
        return true;
    }
    void abandon() { m_abandoned = true; }
    // The handler ended, or moved on to another message, without answering: the caller's
    // call reports NOT_FOUND. False when already settled.
    bool fail() {
        if (m_answer || m_abandoned || m_failed) return false;
        m_failed = true;
        return true;
    }
    bool failed() const { return m_failed; }
    // Answered, abandoned or failed: nothing more can land here.
    bool settled() const { return m_answer.has_value() || m_abandoned || m_failed; }

  private:
    ProcessId m_caller;
    std::optional<Answer> m_answer;
    bool m_abandoned = false;
    bool m_failed = false;
};

}  // namespace esta::kernel
