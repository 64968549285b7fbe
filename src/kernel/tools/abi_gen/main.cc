// estalogic-abi: writes the files generated from the ABI table.
//   estalogic-abi --markdown          docs/ABI.md to stdout
//   estalogic-abi --c-header          sdk/c/estalogic.h to stdout
//   estalogic-abi --write SOURCE_DIR  both, into the source tree
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "kernel/abi_render.h"

namespace {

bool write_file(const std::string& path, const std::string& text) {
    std::ofstream file(path, std::ios::binary | std::ios::trunc);
    file << text;
    if (!file.good()) {
        std::fprintf(stderr, "estalogic-abi: cannot write %s\n", path.c_str());
        return false;
    }
    std::printf("wrote %s\n", path.c_str());
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace esta::kernel::abi;
    if (argc == 2 && std::strcmp(argv[1], "--markdown") == 0) {
        std::fputs(render_markdown().c_str(), stdout);
        return 0;
    }
    if (argc == 2 && std::strcmp(argv[1], "--c-header") == 0) {
        std::fputs(render_c_header().c_str(), stdout);
        return 0;
    }
    if (argc == 3 && std::strcmp(argv[1], "--write") == 0) {
        std::string root = argv[2];
        bool ok = write_file(root + "/" + kMarkdownPath, render_markdown()) &&
                  write_file(root + "/" + kCHeaderPath, render_c_header());
        return ok ? 0 : 1;
    }
    std::fputs("usage: estalogic-abi --markdown | --c-header | --write SOURCE_DIR\n", stderr);
    return 2;
}
