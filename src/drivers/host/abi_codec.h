// AbiValueCodec: the ValueCodec for the out-of-process wire, backed by the kernel's value
// encoding (the wire itself takes any ValueCodec, so it can be tested without one).
#pragma once

#include "drivers/host/call_wire.h"
#include "kernel/abi_value.h"

namespace esta::drivers::host {

class AbiValueCodec final : public ValueCodec {
  public:
    std::vector<u8> encode(const Value& value) const override {
        return kernel::abi::encode_value(value);
    }
    Result<Value> decode(ByteSpan bytes) const override { return kernel::abi::decode_value(bytes); }
};

}  // namespace esta::drivers::host
