// `estalogic embed MODULE.wasm NEEDS.toml [-o OUT]`: writes the module's declaration, the
// `estalogic.manifest` custom section (REQUIREMENTS K-22), for toolchains that cannot emit
// custom sections. Existing manifest sections are replaced; a signature is removed, because
// the module it signed no longer exists.
#include <cstdio>
#include <memory>
#include <string>

#include "app/commands.h"
#include "app/module_file.h"
#include "app/needs_toml.h"
#include "kernel/module_manifest.h"
#include "kernel/module_signature.h"
#include "wasm/wasm.h"

namespace esta::app {
namespace {

constexpr std::size_t kMaxNeedsFileBytes = 1 << 20;

struct EmbedOptions {
    std::string module;
    std::string needs;
    std::string out;
};

int run_embed(const EmbedOptions& options) {
    const std::string out = options.out.empty() ? options.module : options.out;
    FileRead module = read_file_bounded(options.module, wasm::ModuleLimits{}.module_size);
    if (!module.error.empty()) {
        std::fprintf(stderr, "error: cannot read %s: %s\n", options.module.c_str(),
                     module.error.c_str());
        return kExitNoInput;
    }
    FileRead needs = read_file_bounded(options.needs, kMaxNeedsFileBytes);
    if (!needs.error.empty()) {
        std::fprintf(stderr, "error: cannot read %s: %s\n", options.needs.c_str(),
                     needs.error.c_str());
        return kExitNoInput;
    }
    Diagnostic diagnostic;
    if (auto compiled = wasm::compile(module.bytes, {}, &diagnostic); !compiled) {
        std::fprintf(stderr, "error: %s is not a valid WebAssembly module:\n  %s\n",
                     options.module.c_str(),
                     diagnostic.message.empty() ? compiled.error().to_string().c_str()
                                                : diagnostic.to_string().c_str());
        return kExitDataError;
    }
    Diagnostics problems;
    auto manifest = parse_needs_toml(
        std::string_view(reinterpret_cast<const char*>(needs.bytes.data()), needs.bytes.size()),
        options.needs, problems);
    if (!manifest) {
        std::fprintf(stderr, "error: %s is not a valid module declaration:\n",
                     options.needs.c_str());
        for (const Diagnostic& problem : problems)
            std::fprintf(stderr, "  %s\n", problem.to_string().c_str());
        std::fprintf(stderr, "See docs/MODULES.md for the keys a declaration has.\n");
        return kExitDataError;
    }
    auto sections = kernel::list_sections(module.bytes);
    if (!sections) {  // compile() accepted it, so this is not expected; still not a crash.
        std::fprintf(stderr, "error: %s: %s\n", options.module.c_str(),
                     sections.error().to_string().c_str());
        return kExitDataError;
    }
    const bool was_signed =
        !kernel::find_custom_sections(*sections, kernel::kSignatureSectionName).empty();
    std::vector<u8> bytes =
        kernel::without_custom_sections(module.bytes, *sections, kernel::kManifestSectionName);
    if (was_signed) {
        auto remaining = kernel::list_sections(bytes);
        if (remaining)
            bytes =
                kernel::without_custom_sections(bytes, *remaining, kernel::kSignatureSectionName);
    }
    kernel::append_custom_section(bytes, kernel::kManifestSectionName,
                                  kernel::encode_module_manifest(*manifest));
    if (std::string why = write_file_replacing(out, bytes); !why.empty()) {
        std::fprintf(stderr, "error: cannot write %s: %s\n", out.c_str(), why.c_str());
        return kExitCannotCreate;
    }
    std::printf("embedded the declaration of %s %s (%s, %zu needs) into %s\n",
                manifest->name.c_str(), manifest->version.c_str(),
                std::string(kernel::module_style_name(manifest->style)).c_str(),
                manifest->needs.size(), out.c_str());
    if (was_signed)
        std::fprintf(stderr,
                     "warning: %s was signed; the signature no longer matches and was removed. "
                     "Sign it again: estalogic sign %s --key KEY\n",
                     options.module.c_str(), out.c_str());
    return 0;
}

}  // namespace

void register_embed_command(CLI::App& root, CommandContext& context) {
    auto options = std::make_shared<EmbedOptions>();
    CLI::App* command = root.add_subcommand(
        "embed", "Write a module's declared needs (estalogic.manifest) from a TOML file.");
    command->footer(
        "NEEDS.toml names the module and the capabilities it expects to be granted:\n"
        "  name = \"approvals\"\n"
        "  version = \"1.2.0\"\n"
        "  exports = \"reactive\"        # reactive: exports estalogic_handle; or \"actor\"\n"
        "  [needs.kv]                  # the name the module passes to cap_lookup\n"
        "  kind = \"keyspace\"           # keyspace, topic, database, statement, audit_log, ...\n"
        "  rights = [\"read\", \"write\"]  # kernel rights, or custom rights the app defines\n"
        "Existing estalogic.manifest sections are replaced. A signature is removed (the\n"
        "module changed), so embed first and sign last. See docs/MODULES.md.\n"
        "Examples:\n"
        "  estalogic embed rules.wasm rules.needs.toml\n"
        "  estalogic embed build/rules.wasm rules.needs.toml -o dist/rules.wasm\n"
        "Exit codes: 0 written; 2 usage error; 65 invalid module or declaration; 66 an input "
        "cannot be read; 73 the output cannot be written.\n");
    command->add_option("MODULE", options->module, "The module to declare")->required();
    command->add_option("NEEDS", options->needs, "The declaration (TOML)")->required();
    command->add_option("-o,--out", options->out,
                        "Where to write the module (default: replace MODULE)");
    command->callback([options, &context] { context.exit_code = run_embed(*options); });
}

}  // namespace esta::app
