#include "wasm/opcodes.h"

namespace esta::wasm {

namespace detail {
void opcode_table_error(const char*) {
    ESTA_UNREACHABLE();
}
}  // namespace detail

std::string_view op_name(Op op) {
    const u16 value = static_cast<u16>(op);
    const OpcodeInfo* info = find_opcode(static_cast<u8>(value >> 8), value & 0xFF);
    return info == nullptr ? std::string_view("<unknown>") : info->name;
}

}  // namespace esta::wasm
