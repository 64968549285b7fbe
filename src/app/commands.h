// Each subcommand lives in its own cmd_<name>.cc and registers itself on the root app here.
// A command's callback stores its exit code in `exit_code`.
#pragma once

#include <CLI/CLI.hpp>

namespace esta::app {

struct CommandContext {
    int exit_code = 0;
};

using CommandRegistrar = void (*)(CLI::App& root, CommandContext& context);

// The registrars of every subcommand, in the order `--help` lists them.
void register_all_commands(CLI::App& root, CommandContext& context);

}  // namespace esta::app
