// Tiny fakes shared by the kernel's unit tests: an object that counts on_zero_handles()
// and an audit sink that records every event. Header-only; used by *_test.cc only.
#pragma once

#include <string>
#include <vector>

#include "kernel/cap_audit.h"
#include "kernel/object.h"

namespace esta::kernel::testing {

template <ObjectType Type>
class FakeObject final : public KernelObject {
  public:
    static constexpr ObjectType kType = Type;

    FakeObject(ObjectId id, std::string name, int* zero_handle_calls = nullptr)
        : KernelObject(id, Resource{Type, std::move(name), {}}), m_calls(zero_handle_calls) {}

  private:
    void on_zero_handles() override {
        if (m_calls) ++*m_calls;
    }
    int* m_calls;
};

using FakeEndpoint = FakeObject<ObjectType::Endpoint>;
using FakeTopic = FakeObject<ObjectType::KafkaTopic>;

class RecordingAudit final : public CapabilityAudit {
  public:
    void record(const CapEvent& event) override { events.push_back(event); }
    std::size_t count(CapEventKind kind) const {
        std::size_t n = 0;
        for (const CapEvent& event : events)
            n += event.kind == kind ? 1 : 0;
        return n;
    }
    const CapEvent* last(CapEventKind kind) const {
        for (auto it = events.rbegin(); it != events.rend(); ++it) {
            if (it->kind == kind) return &*it;
        }
        return nullptr;
    }
    std::vector<CapEvent> events;
};

}  // namespace esta::kernel::testing
