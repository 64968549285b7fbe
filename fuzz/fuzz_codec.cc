// Feeds arbitrary bytes to the wire codec: decoding must never crash or read out of
// bounds, and any frame it accepts must re-encode to exactly the same bytes (the encoding
// is canonical, so nothing accepted can be ambiguous).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "protocol/codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const esta::ByteSpan input(data, size);
    auto frame = esta::protocol::decode_frame(input);
    if (frame && frame->size > size) __builtin_trap();
    auto envelope = esta::protocol::decode_envelope(input);
    if (envelope) {
        const std::vector<esta::u8> again = esta::protocol::encode_envelope(*envelope);
        if (again.size() != size || !std::equal(again.begin(), again.end(), data)) {
            __builtin_trap();
        }
    }
    return 0;
}
