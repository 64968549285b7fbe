// esta-decide: the ESTA rules compiled natively, without the kernel. Reads event JSON lines
// (docs/ESTA.md) from a file or stdin, writes one decision line per event to stdout, and
// prints a summary (events, decisions by kind, throughput) to stderr. It is the native
// baseline the kernel's end-to-end numbers are compared with.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

#include "decider.h"

namespace {

void print_help() {
    std::puts(
        "usage: esta-decide [--quiet] [FILE]\n"
        "\n"
        "Decides ESTA events (JSON lines, format v1) from FILE or stdin with the native\n"
        "rules and writes decisions (JSON lines) to stdout; a summary goes to stderr.\n"
        "  --quiet   write no decisions, only the summary\n"
        "  --help    this text");
}

}  // namespace

int main(int argc, char** argv) {
    bool quiet = false;
    const char* path = nullptr;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
            print_help();
            return 0;
        }
        if (std::strcmp(argv[i], "--quiet") == 0) {
            quiet = true;
        } else if (path == nullptr && argv[i][0] != '-') {
            path = argv[i];
        } else {
            std::fprintf(stderr, "esta-decide: bad argument '%s' (see --help)\n", argv[i]);
            return 2;
        }
    }
    std::ifstream file;
    if (path != nullptr) {
        file.open(path);
        if (!file) {
            std::fprintf(stderr, "esta-decide: cannot open %s\n", path);
            return 1;
        }
    }
    std::istream& in = path != nullptr ? static_cast<std::istream&>(file) : std::cin;
    std::ios::sync_with_stdio(false);

    esta::workload::Decider decider;
    std::map<std::string, long long> by_kind;
    long long events = 0, errors = 0;
    std::string line, out;
    const auto start = std::chrono::steady_clock::now();
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        int32_t kind = 0;
        const std::string decision = decider.decide(line, &kind);
        ++events;
        if (decision.rfind("error:", 0) == 0) {
            ++errors;
            std::fprintf(stderr, "esta-decide: line %lld: %s\n", events, decision.c_str());
            continue;
        }
        ++by_kind[esta_decision_kind_name(kind)];
        if (!quiet) {
            out += decision;
            out += '\n';
            if (out.size() > (1u << 16)) {
                std::fwrite(out.data(), 1, out.size(), stdout);
                out.clear();
            }
        }
    }
    std::fwrite(out.data(), 1, out.size(), stdout);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::fprintf(stderr, "events %lld, errors %lld, %.3f s, %.0f decisions/s\n", events, errors,
                 seconds, seconds > 0 ? static_cast<double>(events) / seconds : 0.0);
    for (const auto& [kind, count] : by_kind)
        std::fprintf(stderr, "  %-14s %lld\n", kind.c_str(), count);
    return errors == 0 ? 0 : 1;
}
