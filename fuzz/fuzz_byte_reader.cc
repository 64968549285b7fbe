// Drives every ByteReader read over arbitrary bytes: none may crash, read out of bounds or
// move the cursor on failure.
#include <cstddef>
#include <cstdint>

#include "base/bytes.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    esta::ByteReader reader{esta::ByteSpan(data, size)};
    while (!reader.at_end()) {
        auto selector = reader.read_u8();
        if (!selector) break;
        const std::size_t before = reader.position();
        bool ok = false;
        switch (*selector % 8) {
            case 0:
                ok = bool(reader.read_leb_u32());
                break;
            case 1:
                ok = bool(reader.read_leb_s32());
                break;
            case 2:
                ok = bool(reader.read_leb_s33());
                break;
            case 3:
                ok = bool(reader.read_leb_s64());
                break;
            case 4:
                ok = bool(reader.read_leb_u64());
                break;
            case 5:
                ok = bool(reader.read_name());
                break;
            case 6:
                ok = bool(reader.read_u64_le());
                break;
            default:
                ok = bool(reader.sub_reader(*selector / 8));
                break;
        }
        if (!ok && reader.position() != before) __builtin_trap();
        if (!ok) break;
    }
    return 0;
}
