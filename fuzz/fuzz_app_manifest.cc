// The application manifest parser over arbitrary text: it must never crash, hang or grow
// without bound, every error must carry a location and a message, and a manifest it accepts
// must print (manifest show) to a manifest that parses to the same output again.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "app/manifest/manifest.h"
#include "app/manifest/render.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace esta::app::manifest;
    std::string_view text(reinterpret_cast<const char*>(data), size);
    ParseOptions options;
    options.check_files = false;  // Never touch the file system from fuzzed paths.
    auto outcome = parse_manifest_text(text, "/fuzz/app.toml", options);
    if (outcome.manifest.has_value() == !outcome.errors.empty()) __builtin_trap();
    for (const auto& error : outcome.errors)
        if (error.where.empty() || error.message.empty()) __builtin_trap();
    if (!outcome.manifest) return 0;
    std::string shown = render_toml(*outcome.manifest);
    auto again = parse_manifest_text(shown, "/fuzz/app.toml", options);
    if (!again.manifest || render_toml(*again.manifest) != shown) __builtin_trap();
    (void)render_json(*outcome.manifest);
    (void)render_summary(*outcome.manifest);
    return 0;
}
