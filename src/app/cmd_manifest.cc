// `estalogic manifest check|show APP.toml`: validate an application manifest and print a
// one-screen summary, or print the resolved manifest (defaults filled in) as TOML or JSON.
// Every problem is reported at once with FILE:LINE:COLUMN and the key (docs/MANIFEST.md).
#include <cstdio>
#include <memory>
#include <string>

#include "app/commands.h"
#include "app/manifest/manifest.h"
#include "app/manifest/render.h"

namespace esta::app {
namespace {

constexpr int kExitConfig = 78;  // EX_CONFIG: the manifest is wrong.

enum class ManifestOperation { Check, Show };

struct ManifestOptions {
    std::string path;
    std::string module_dir;
    bool json = false;
    bool no_files = false;
};

void print_diagnostics(const char* label, const Diagnostics& diagnostics) {
    for (const auto& diagnostic : diagnostics)
        std::fprintf(stderr, "%s%s\n", label, diagnostic.to_string().c_str());
}

int run_manifest(ManifestOperation operation, const ManifestOptions& options) {
    manifest::ParseOptions parse_options;
    parse_options.module_dir = options.module_dir;
    parse_options.check_files = !options.no_files;
    auto outcome = manifest::parse_manifest_file(options.path, parse_options);
    print_diagnostics("warning: ", outcome.warnings);
    if (!outcome.manifest) {
        print_diagnostics("error: ", outcome.errors);
        std::fprintf(stderr, "%s: %zu error%s; the manifest reference is docs/MANIFEST.md\n",
                     options.path.c_str(), outcome.errors.size(),
                     outcome.errors.size() == 1 ? "" : "s");
        return kExitConfig;
    }
    std::string text = operation == ManifestOperation::Check
                           ? manifest::render_summary(*outcome.manifest)
                           : (options.json ? manifest::render_json(*outcome.manifest)
                                           : manifest::render_toml(*outcome.manifest));
    std::fputs(text.c_str(), stdout);
    return 0;
}

}  // namespace

void register_manifest_command(CLI::App& root, CommandContext& context) {
    auto options = std::make_shared<ManifestOptions>();
    CLI::App* command =
        root.add_subcommand("manifest", "Validate or print an application manifest (app.toml).");
    command->require_subcommand(1);
    command->footer(
        "The application manifest declares modules, processes with their priorities, budgets\n"
        "and capabilities, drivers (embedded by default, or Redis, PostgreSQL and Kafka),\n"
        "supervision, redundancy and HTTP endpoints. Reference: docs/MANIFEST.md.\n"
        "Errors are printed all at once as FILE:LINE:COLUMN: KEY.PATH: what is wrong; allowed: "
        "...\n"
        "Exit codes: 0 valid; 78 (EX_CONFIG) the manifest has errors or cannot be read.");

    auto add_common = [&](CLI::App* sub) {
        sub->add_option("manifest", options->path, "The application manifest (TOML)")->required();
        sub->add_option("--module-dir", options->module_dir,
                        "Resolve relative module paths against DIR instead of the manifest's "
                        "directory (a build tree that mirrors the source tree)");
        sub->add_flag("--no-files", options->no_files,
                      "Check the manifest alone: do not read modules, key or secret files, and "
                      "do not look at environment variables");
    };

    CLI::App* check = command->add_subcommand(
        "check",
        "Validate; print a summary (modules with verified hashes, processes, grants, "
        "drivers, endpoints).");
    add_common(check);
    check->footer(
        "Checks syntax, every key and value, references between sections, the supervision\n"
        "tree, that module files exist and match their sha256, and that secrets are named\n"
        "(env or a mode-600 file), never written inline (S-2). Examples:\n"
        "  estalogic manifest check examples/esta-accrual/app.toml \\\n"
        "      --module-dir build/release/examples/esta-accrual\n"
        "  estalogic manifest check app.toml --no-files");
    check->callback([options, &context] {
        context.exit_code = run_manifest(ManifestOperation::Check, *options);
    });

    CLI::App* show = command->add_subcommand(
        "show", "Print the resolved manifest: defaults filled in, paths absolute.");
    add_common(show);
    show->add_flag("--json", options->json, "Print JSON instead of TOML");
    show->footer(
        "The TOML output is itself a valid manifest. Secrets appear only as where they are\n"
        "read from (env or file), never their values. Example:\n"
        "  estalogic manifest show app.toml --json | jq .processes");
    show->callback([options, &context] {
        context.exit_code = run_manifest(ManifestOperation::Show, *options);
    });
}

}  // namespace esta::app
