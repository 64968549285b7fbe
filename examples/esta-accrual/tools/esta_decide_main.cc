// esta-decide: decides ESTA event JSON lines (docs/ESTA.md) from a file or stdin, writes one
// decision line per event to stdout, and prints a summary (events, decisions by kind,
// throughput, p99 latency) to stderr. `--engine native` (the default) runs the rules compiled
// natively, without the kernel: the baseline. `--engine kernel` runs the same lines through
// the reactive module esta_accrual.wasm under the kernel on the embedded drivers
// (host/kernel_host.h), so the two are compared on the same input.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "decider.h"
#include "kernel_host.h"

namespace {

#ifdef ESTA_ACCRUAL_MODULE
constexpr const char* kDefaultModule = ESTA_ACCRUAL_MODULE;
#else
constexpr const char* kDefaultModule = nullptr;
#endif

void print_help() {
    std::puts(
        "usage: esta-decide [--quiet] [--engine native|kernel] [--module WASM] [FILE]\n"
        "\n"
        "Decides ESTA events (JSON lines, format v1) from FILE or stdin and writes decisions\n"
        "(JSON lines) to stdout; a summary goes to stderr.\n"
        "  --quiet           write no decisions, only the summary\n"
        "  --engine native   the rules compiled natively, states in hash maps (default)\n"
        "  --engine kernel   the module esta_accrual.wasm under the kernel, states in the\n"
        "                    embedded key-value store; decisions carry module_sha256\n"
        "  --module WASM     the module for --engine kernel (default: the one built)\n"
        "  --help            this text");
}

// One engine behind one call: the decision line, or an error text starting with "error:".
class Engine {
  public:
    virtual ~Engine() = default;
    virtual std::string decide(const std::string& line) = 0;
    virtual void summary() const {}
};

class NativeEngine final : public Engine {
  public:
    std::string decide(const std::string& line) override { return m_decider.decide(line); }

  private:
    esta::workload::Decider m_decider;
};

class KernelEngine final : public Engine {
  public:
    explicit KernelEngine(std::unique_ptr<esta::accrual::KernelHost> host)
        : m_host(std::move(host)) {}
    std::string decide(const std::string& line) override {
        auto decision = m_host->decide(line);
        return decision ? *decision : "error: " + decision.error().to_string();
    }
    void summary() const override {
        std::fprintf(stderr, "module sha256 %s\nfuel %llu, audit records %llu (chain %s)\n",
                     m_host->module_sha256_hex().c_str(),
                     static_cast<unsigned long long>(m_host->fuel_used()),
                     static_cast<unsigned long long>(m_host->audit_count()),
                     m_host->audit_digest_hex().c_str());
    }

  private:
    std::unique_ptr<esta::accrual::KernelHost> m_host;
};

std::unique_ptr<Engine> make_kernel_engine(const char* module_path) {
    if (module_path == nullptr) {
        std::fprintf(stderr, "esta-decide: no module built; pass --module\n");
        return nullptr;
    }
    std::ifstream file(module_path, std::ios::binary);
    const std::vector<esta::u8> bytes((std::istreambuf_iterator<char>(file)),
                                      std::istreambuf_iterator<char>());
    if (!file || bytes.empty()) {
        std::fprintf(stderr, "esta-decide: cannot read module %s\n", module_path);
        return nullptr;
    }
    esta::Diagnostics problems;
    auto host = esta::accrual::KernelHost::create(
        esta::ByteSpan(bytes.data(), bytes.size()),
        esta::accrual::KernelHostOptions{.keep_audit_records = false, .caller_module = {}},
        problems);
    if (!host) {
        std::fprintf(stderr, "esta-decide: %s: %s\n%s", module_path,
                     host.error().to_string().c_str(), esta::to_string(problems).c_str());
        return nullptr;
    }
    return std::make_unique<KernelEngine>(std::move(*host));
}

// The decision's kind, read back from its line ("kind":"accrued").
std::string kind_of(const std::string& decision) {
    const std::string key = "\"kind\":\"";
    const size_t at = decision.find(key);
    if (at == std::string::npos) return "?";
    const size_t end = decision.find('"', at + key.size());
    return decision.substr(at + key.size(), end - at - key.size());
}

double percentile(std::vector<double>& samples, double fraction) {
    if (samples.empty()) return 0;
    const size_t index = std::min(
        samples.size() - 1, static_cast<size_t>(fraction * static_cast<double>(samples.size())));
    std::nth_element(samples.begin(), samples.begin() + static_cast<long>(index), samples.end());
    return samples[index];
}

}  // namespace

int main(int argc, char** argv) {
    bool quiet = false;
    const char* path = nullptr;
    const char* module_path = kDefaultModule;
    std::string engine_name = "native";
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
            print_help();
            return 0;
        }
        if (std::strcmp(argv[i], "--quiet") == 0) {
            quiet = true;
        } else if (std::strcmp(argv[i], "--engine") == 0 && i + 1 < argc) {
            engine_name = argv[++i];
        } else if (std::strcmp(argv[i], "--module") == 0 && i + 1 < argc) {
            module_path = argv[++i];
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

    std::unique_ptr<Engine> engine;
    if (engine_name == "native") {
        engine = std::make_unique<NativeEngine>();
    } else if (engine_name == "kernel") {
        engine = make_kernel_engine(module_path);
        if (!engine) return 1;
    } else {
        std::fprintf(stderr, "esta-decide: unknown engine '%s' (native, kernel)\n",
                     engine_name.c_str());
        return 2;
    }
    std::map<std::string, long long> by_kind;
    long long events = 0, errors = 0;
    std::vector<double> latencies_us;  // Per decision, wall time (includes waiting for a core).
    std::string line, out;
    const auto start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        const auto before = std::chrono::steady_clock::now();
        const std::string decision = engine->decide(line);
        latencies_us.push_back(
            std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - before)
                .count());
        ++events;
        if (decision.rfind("error:", 0) == 0) {
            ++errors;
            std::fprintf(stderr, "esta-decide: line %lld: %s\n", events, decision.c_str());
            continue;
        }
        ++by_kind[kind_of(decision)];
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
    const double cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    std::fprintf(stderr,
                 "engine %s: events %lld, errors %lld, %.3f s wall, %.3f s CPU, %.0f decisions/s "
                 "(wall), %.0f decisions/s (CPU)\n",
                 engine_name.c_str(), events, errors, seconds, cpu_seconds,
                 seconds > 0 ? static_cast<double>(events) / seconds : 0.0,
                 cpu_seconds > 0 ? static_cast<double>(events) / cpu_seconds : 0.0);
    const double p50 = percentile(latencies_us, 0.50);
    const double p99 = percentile(latencies_us, 0.99);
    std::fprintf(stderr, "latency per decision (wall): p50 %.2f us, p99 %.2f us\n", p50, p99);
    engine->summary();
    for (const auto& [kind, count] : by_kind)
        std::fprintf(stderr, "  %-14s %lld\n", kind.c_str(), count);
    return errors == 0 ? 0 : 1;
}
