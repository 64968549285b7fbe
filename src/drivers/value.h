// The driver room's view of ABI.md's value encoding. Requests arrive already decoded (the
// kernel's syscall decodes the guest's bytes, then invokes), replies leave as values the
// kernel encodes. Drivers use the kernel's AbiValue type; the bridge to the kernel's
// KernelDriver interface lives in kernel_bridge/ (drivers depend on the kernel, never the
// other way round).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "kernel/abi_value.h"

namespace esta::drivers {

using Value = kernel::abi::AbiValue;
using ValueList = kernel::abi::ValueList;
using ValueMap = kernel::abi::ValueMap;
using ByteString = kernel::abi::ByteString;

// Positional access to a request (a list of arguments). Every accessor returns
// INVALID_ARGS with `context` when the argument is missing or has another kind, because a
// malformed request is always the guest's mistake (ABI.md: "malformed input is INVALID_ARGS").
class Args {
  public:
    // A request that is not a list is treated as a one-argument list.
    explicit Args(const Value& request);

    std::size_t size() const { return m_size; }
    const Value* at(std::size_t index) const;

    Result<std::string_view> text(std::size_t index, const char* context) const;
    // Bytes or text, as raw bytes (keys and payloads accept either).
    Result<std::string_view> bytes(std::size_t index, const char* context) const;
    Result<i64> integer(std::size_t index, const char* context) const;
    Result<const ValueList*> list(std::size_t index, const char* context) const;
    Result<const ValueMap*> map(std::size_t index, const char* context) const;
    // Absent or null gives nullopt; anything but an integer is INVALID_ARGS.
    Result<std::optional<i64>> optional_integer(std::size_t index, const char* context) const;

  private:
    const Value& m_request;
    const ValueList* m_list = nullptr;
    std::size_t m_size = 0;
};

// The text or bytes of a value as a byte view; nullopt for other kinds.
std::optional<std::string_view> byte_view(const Value& value);
Value bytes_value(std::string_view bytes);
// The value under `key` in a map value, or nullptr.
const Value* map_find(const Value& value, std::string_view key);

}  // namespace esta::drivers
