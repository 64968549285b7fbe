// The door of src/app: the `estalogic` command line. The only room that parses command
// lines or reads config files; it wires the other rooms together.
#pragma once

namespace esta::app {

// Runs the CLI with the process's arguments and returns the exit code.
int run_cli(int argc, char** argv);

}  // namespace esta::app
