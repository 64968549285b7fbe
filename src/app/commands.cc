#include "app/commands.h"

namespace esta::app {

void register_all_commands(CLI::App& root, CommandContext& context) {
    // Subcommands register here as their rooms land (exec, wast, run, check, ...).
    (void)root;
    (void)context;
}

}  // namespace esta::app
