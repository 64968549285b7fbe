// Tiny fakes shared by the kernel's unit tests: an object that counts on_zero_handles()
// and an audit sink that records every event. Header-only; used by *_test.cc only.
#pragma once

#include <string>
#include <vector>

#include "kernel/cap_audit.h"
#include "kernel/object.h"
#include "wasm/wasm.h"

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

// (module (func (export "_start"))): the smallest module a process can be spawned from.
inline std::shared_ptr<const wasm::CompiledModule> minimal_module() {
    static const std::vector<u8> kBytes = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,                        // header
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,                                    // type
        0x03, 0x02, 0x01, 0x00,                                                // function
        0x07, 0x0a, 0x01, 0x06, '_',  's',  't',  'a',  'r', 't', 0x00, 0x00,  // export
        0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b,                                    // code
    };
    auto module = wasm::compile(ByteSpan(kBytes.data(), kBytes.size()));
    ESTA_ASSERT(module.has_value());
    return *module;
}

}  // namespace esta::kernel::testing
