// `estalogic exec MODULE.wasm [ARGS...]`: runs a WASI command module (placeholder until
// the engine lands).
#include "app/commands.h"

namespace esta::app {

void register_exec_command(CLI::App& root, CommandContext& context) {
    (void)root;
    (void)context;
}

}  // namespace esta::app
