// The module declaration over arbitrary bytes (REQUIREMENTS K-22): decoding a manifest must
// never crash, every refusal must say why, and an accepted manifest must encode to bytes that
// decode to the same declaration. The same bytes as a manifest section inside a module must
// get the same answer, and as a whole module the signature check must never crash or verify
// (no key is trusted).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "kernel/module_manifest.h"
#include "kernel/module_signature.h"

namespace {

using namespace esta;
using namespace esta::kernel;

bool same(const ModuleManifest& a, const ModuleManifest& b) {
    return encode_module_manifest(a) == encode_module_manifest(b);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteSpan payload(data, size);

    // (1) The payload alone.
    Diagnostics problems;
    auto manifest = decode_module_manifest(payload, problems);
    if (!manifest && problems.empty()) __builtin_trap();
    if (manifest) {
        Diagnostics again_problems;
        auto again = decode_module_manifest(encode_module_manifest(*manifest), again_problems);
        if (!again || !same(*manifest, *again)) __builtin_trap();
    }

    // (2) The payload as the manifest section of an empty module.
    std::vector<u8> module = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    append_custom_section(module, kManifestSectionName, payload);
    auto sections = list_sections(module);
    if (!sections) __builtin_trap();
    Diagnostics section_problems;
    auto from_module = read_module_manifest(module, *sections, section_problems);
    if (!from_module != !manifest) __builtin_trap();
    if (from_module && (!*from_module || !same(**from_module, *manifest))) __builtin_trap();

    // (3) The bytes as a whole module, signature checked with no trusted key.
    if (auto whole = list_sections(payload)) {
        SignatureCheck check = check_signature(payload, *whole, SignaturePolicy{});
        if (check.status == SignatureStatus::Verified) __builtin_trap();
        Diagnostics ignored;
        (void)read_module_manifest(payload, *whole, ignored);
    }
    return 0;
}
