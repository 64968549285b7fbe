// A module's own declaration (K-22): modules/undeclared_needs.c writes its
// `estalogic.manifest` custom section from C with sdk/c/estalogic_manifest.h; the engine
// keeps the section and the kernel's value decoder reads it as ABI.md describes.
#include <gtest/gtest.h>

#include "guest_kernel.h"
#include "wasm/store.h"

namespace esta::kernel::testing {
namespace {

// The value in the named custom section of a built module; a null value when absent.
abi::AbiValue custom_section_value(const std::string& module_name, const std::string& section) {
    auto module = guest_module(module_name);
    if (!module) return abi::AbiValue();
    const wasm::Module& parsed = module->module();
    for (const wasm::CustomSection& custom : parsed.custom_sections) {
        if (custom.name != section) continue;
        ByteSpan bytes(parsed.bytes.data() + custom.contents.offset, custom.contents.size);
        auto value = abi::decode_value(bytes);
        EXPECT_TRUE(value.has_value()) << value.error().to_string();
        return value ? *value : abi::AbiValue();
    }
    return abi::AbiValue();
}

std::string text_at(const abi::AbiValue& value, std::initializer_list<const char*> path) {
    const abi::AbiValue* at = &value;
    for (const char* key : path) {
        at = at->find(key);
        if (!at) return "<missing>";
    }
    const std::string* text = at->get<std::string>();
    return text ? *text : "<not text>";
}

TEST(GuestManifest, K22_ModuleDeclaresItsNeedsInItsCustomSection) {
    if (!guests_built()) GTEST_SKIP() << "clang-14 / wasm-ld-14 not installed";
    abi::AbiValue manifest = custom_section_value("undeclared_needs", "estalogic.manifest");
    ASSERT_FALSE(manifest.is_null()) << "no estalogic.manifest section";
    EXPECT_EQ(GuestKernel::entry(manifest, "abi"), 1);
    EXPECT_EQ(text_at(manifest, {"name"}), "undeclared_needs");
    EXPECT_EQ(text_at(manifest, {"version"}), "0.1.0");
    EXPECT_EQ(text_at(manifest, {"exports"}), "actor");
    EXPECT_EQ(text_at(manifest, {"needs", "kv", "kind"}), "keyspace");
    EXPECT_EQ(text_at(manifest, {"needs", "decisions", "kind"}), "topic");
    const abi::AbiValue* kv = manifest.find("needs")->find("kv");
    EXPECT_EQ(GuestKernel::entry(*kv, "rights"),
              static_cast<i64>((Right::Read | Right::Write).bits()));
    const abi::AbiValue* decisions = manifest.find("needs")->find("decisions");
    EXPECT_EQ(GuestKernel::entry(*decisions, "rights"),
              static_cast<i64>(Rights(Right::Write).bits()));
    // Modules without a declaration carry no such section.
    EXPECT_TRUE(custom_section_value("ping", "estalogic.manifest").is_null());
}

}  // namespace
}  // namespace esta::kernel::testing
