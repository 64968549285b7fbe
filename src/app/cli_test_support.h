// Runs the `estalogic` command line in-process, for the commands' tests.
#pragma once

#include <string>
#include <vector>

#include "app/app.h"

namespace esta::app {

// `args` without the program name; the command's exit code.
inline int run_estalogic(std::vector<std::string> args) {
    args.insert(args.begin(), "estalogic");
    std::vector<char*> argv;
    for (std::string& arg : args)
        argv.push_back(arg.data());
    return run_cli(static_cast<int>(argv.size()), argv.data());
}

}  // namespace esta::app
