// esta-workload: writes a deterministic ESTA workload as event JSON lines to stdout.
#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "workload.h"

namespace {

constexpr long long kMaxEmployers = 1000000;

void print_help() {
    std::puts(
        "usage: esta-workload [--seed N] [--events N] [--employers N] [--valid-only]\n"
        "\n"
        "Writes ESTA events (docs/ESTA.md, format v1) as JSON lines to stdout. The same\n"
        "options always produce the same bytes.\n"
        "  --seed N        PRNG seed (default 1)\n"
        "  --events N      number of lines (default 10000)\n"
        "  --employers N   number of employers, large and small, 1..1000000 (default 10)\n"
        "  --valid-only    no deliberately invalid inputs\n"
        "  --help          this text");
}

// Parses a decimal number within [min, max]; false if it is not one.
bool parse_count(const char* text, long long min, long long max, long long* out) {
    char* end = nullptr;
    errno = 0;
    const long long value = std::strtoll(text, &end, 10);
    if (end == text || *end != '\0' || errno != 0 || value < min || value > max) return false;
    *out = value;
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    esta::workload::Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        long long value = 0;
        if (arg == "--help" || arg == "-h") {
            print_help();
            return 0;
        }
        if (arg == "--valid-only") {
            options.invalid_inputs = false;
            continue;
        }
        const bool takes_value = arg == "--seed" || arg == "--events" || arg == "--employers";
        if (!takes_value || i + 1 >= argc ||
            !parse_count(argv[i + 1], arg == "--seed" ? 0 : 1,
                         arg == "--employers" ? kMaxEmployers : LLONG_MAX, &value)) {
            std::fprintf(stderr, "esta-workload: bad argument '%s' (see --help)\n", argv[i]);
            return 2;
        }
        ++i;
        if (arg == "--seed") options.seed = static_cast<uint64_t>(value);
        if (arg == "--events") options.events = value;
        if (arg == "--employers") options.employers = static_cast<int32_t>(value);
    }
    std::string buffer;
    esta::workload::generate(options, [&](std::string_view line) {
        buffer.append(line);
        buffer.push_back('\n');
        if (buffer.size() > (1u << 16)) {
            std::fwrite(buffer.data(), 1, buffer.size(), stdout);
            buffer.clear();
        }
    });
    std::fwrite(buffer.data(), 1, buffer.size(), stdout);
    return 0;
}
