// ScopeGuard: runs a rollback on scope exit unless cancel() was called once ownership
// moved. Used by syscalls that must undo partial work on an error path.
#pragma once

#include <utility>

namespace esta {

template <class F>
class [[nodiscard]] ScopeGuard {
  public:
    explicit ScopeGuard(F rollback) : m_rollback(std::move(rollback)) {}
    ScopeGuard(const ScopeGuard&) = delete;
    ScopeGuard& operator=(const ScopeGuard&) = delete;
    ~ScopeGuard() {
        if (m_active) m_rollback();
    }
    void cancel() { m_active = false; }

  private:
    F m_rollback;
    bool m_active = true;
};

}  // namespace esta
