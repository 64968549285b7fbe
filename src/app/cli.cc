#include <cstdio>

#include "app/app.h"
#include "app/commands.h"
#include "app/version.h"

namespace esta::app {

int run_cli(int argc, char** argv) {
    CLI::App root{
        "estalogic: a deterministic, capability-secured WebAssembly microkernel for "
        "compliance logic.\nRun `estalogic COMMAND --help` for a command's options.",
        "estalogic"};
    root.set_version_flag("-V,--version", std::string("estalogic ") + kVersion);
    root.require_subcommand(0, 1);
    root.footer("Documentation: README.md and docs/ in the source tree.");

    CommandContext context;
    register_all_commands(root, context);

    try {
        root.parse(argc, argv);
    } catch (const CLI::ParseError& error) {
        return root.exit(error);
    }
    if (root.get_subcommands().empty()) {
        std::fputs(root.help().c_str(), stdout);
        return 0;
    }
    return context.exit_code;
}

}  // namespace esta::app
