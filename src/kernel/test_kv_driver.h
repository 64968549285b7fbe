// An in-process key-value driver for tests: GET, SET and DEL of the ABI's key-value ops
// over a map, so a guest `call` can be followed through the capability checks to a driver
// and back without a server. Header-only; used by *_test.cc only.
#pragma once

#include <map>
#include <string>

#include "kernel/driver_port.h"

namespace esta::kernel::testing {

class KeyValueDriver final : public KernelDriver {
  public:
    static constexpr i32 kGet = 1;
    static constexpr i32 kSet = 2;
    static constexpr i32 kDel = 3;

    Result<Rights> op_rights(i32 op) const override {
        switch (op) {
            case kGet:
                return Rights(Right::Read);
            case kSet:
            case kDel:
                return Rights(Right::Write);
            default:
                return Err(Status::InvalidArgs, "kv.unknown_op");
        }
    }

    Result<abi::AbiValue> call(ProcessId, i32 op, const abi::AbiValue& request,
                               Nanos deadline) override {
        last_deadline = deadline;
        // Requests are lists: [key], [key, bytes], [key].
        const abi::ValueList* fields = request.get<abi::ValueList>();
        if (!fields || fields->empty()) return Err(Status::InvalidArgs, "kv.request");
        const std::string* key = (*fields)[0].get<std::string>();
        if (!key) return Err(Status::InvalidArgs, "kv.key");
        switch (op) {
            case kGet: {
                auto found = values.find(*key);
                if (found == values.end()) return Err(Status::NotFound, "kv.get");
                return abi::AbiValue(found->second);
            }
            case kSet: {
                const abi::ByteString* bytes =
                    fields->size() == 2 ? (*fields)[1].get<abi::ByteString>() : nullptr;
                if (!bytes) return Err(Status::InvalidArgs, "kv.set");
                values[*key] = *bytes;
                return abi::AbiValue();
            }
            default:
                return abi::AbiValue(static_cast<i64>(values.erase(*key)));
        }
    }

    std::map<std::string, abi::ByteString> values;
    Nanos last_deadline = 0;
};

}  // namespace esta::kernel::testing
