// Test support: drivers that stand between the kernel and a real driver to hold or count
// its calls. Header-only; used by *_test.cc and *_itest.cc only.
#pragma once

#include <condition_variable>
#include <mutex>
#include <vector>

#include "drivers/contract.h"

namespace esta::drivers::testing {

// Forwards everything to `inner`; releases are recorded, not forwarded (a test asks which
// bindings the kernel released and when).
class ForwardingDriver : public Driver {
  public:
    explicit ForwardingDriver(Driver& inner) : m_inner(inner) {}
    DriverKind kind() const override { return m_inner.kind(); }
    Result<void> start() override { return m_inner.start(); }
    void stop() override { m_inner.stop(); }
    Health health() const override { return m_inner.health(); }
    Lifecycle lifecycle() const override { return m_inner.lifecycle(); }
    Result<Value> call(u32 op, const Value& request, const CallContext& context) override {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            ++m_calls;
        }
        return m_inner.call(op, request, context);
    }
    void release(u64 binding) override {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_released.push_back(binding);
    }

    std::vector<u64> released() {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_released;
    }
    int calls() {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_calls;
    }

  private:
    Driver& m_inner;
    std::mutex m_mutex;
    int m_calls = 0;
    std::vector<u64> m_released;
};

// Holds every call until the test opens the gate, then forwards it.
class GatedDriver final : public ForwardingDriver {
  public:
    using ForwardingDriver::ForwardingDriver;
    Result<Value> call(u32 op, const Value& request, const CallContext& context) override {
        {
            std::unique_lock<std::mutex> lock(m_mutex);
            ++m_waiting;
            m_changed.notify_all();
            m_changed.wait(lock, [&] { return m_open; });
            --m_waiting;
        }
        return ForwardingDriver::call(op, request, context);
    }

    // Blocks until `n` calls wait at the gate.
    void await_waiting(int n) {
        std::unique_lock<std::mutex> lock(m_mutex);
        m_changed.wait(lock, [&] { return m_waiting >= n; });
    }
    void open() {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_open = true;
        m_changed.notify_all();
    }

  private:
    std::mutex m_mutex;
    std::condition_variable m_changed;
    int m_waiting = 0;
    bool m_open = false;
};

}  // namespace esta::drivers::testing
