// `estalogic wast FILE.wast|DIR...`: runs WebAssembly spec scripts (REQUIREMENTS E-1).
// Each .wast is converted by wabt's wast2json into a temporary directory, run in a fresh
// store, and reported as one line; the last line sums every file. With
// --testsuite-counts, the numbers run are checked against the suite's counts.tsv, so a
// command that was silently dropped is a failure rather than a pass.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/wast/converter.h"
#include "app/wast/counts.h"
#include "app/wast/runner.h"
#include "app/wast/script.h"

namespace esta::app {
namespace {

namespace fs = std::filesystem;
using namespace wast;

// Exit codes, documented in --help.
constexpr int kExitPassed = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;
constexpr int kExitSkipped = 77;  // ctest's SKIP_RETURN_CODE in tests/spec.

constexpr std::size_t kFailuresShown = 5;  // Per file, without --verbose.

struct WastOptions {
    std::vector<std::string> inputs;
    std::string counts_file;
    std::vector<std::string> filters;
    std::vector<std::string> excludes;
    bool verbose = false;
    bool skip_if_missing = false;
    u64 fuel = RunOptions{}.fuel;
};

bool in_ci() {
    const char* ci = std::getenv("CI");
    return ci != nullptr && std::string_view(ci) == "true";
}

bool selected(const WastOptions& options, const std::string& name) {
    auto contains = [&](const std::string& part) { return name.find(part) != std::string::npos; };
    if (std::any_of(options.excludes.begin(), options.excludes.end(), contains)) return false;
    return options.filters.empty() ||
           std::any_of(options.filters.begin(), options.filters.end(), contains);
}

// The .wast files named by the inputs (directories contribute their *.wast, sorted), or
// nullopt when an input does not exist.
std::optional<std::vector<fs::path>> collect_files(const WastOptions& options) {
    std::vector<fs::path> files;
    for (const auto& input : options.inputs) {
        std::error_code error;
        fs::path path(input);
        if (fs::is_directory(path, error)) {
            std::vector<fs::path> found;
            for (const auto& entry : fs::directory_iterator(path, error)) {
                if (entry.path().extension() == ".wast") found.push_back(entry.path());
            }
            std::sort(found.begin(), found.end());
            for (auto& file : found) {
                if (selected(options, file.filename().string())) files.push_back(std::move(file));
            }
        } else if (fs::is_regular_file(path, error)) {
            if (selected(options, path.filename().string())) files.push_back(path);
        } else {
            std::fprintf(stderr, "estalogic wast: %s: no such file or directory\n", input.c_str());
            return std::nullopt;
        }
    }
    return files;
}

void add_failure(FileReport& report, std::string message) {
    ++report.failed;
    report.failures.push_back({0, CommandType::Module, std::move(message)});
}

FileReport run_file(const fs::path& tool, const fs::path& wast, const WastOptions& options) {
    FileReport report;
    report.file = wast.filename().string();
    auto directory = TempDir::create("estalogic-wast");
    if (!directory) {
        add_failure(report, "cannot create a temporary directory");
        return report;
    }
    Diagnostic diagnostic;
    auto json_path = convert_wast(tool, wast, directory->path(), diagnostic);
    if (!json_path) {
        add_failure(report, diagnostic.to_string());
        return report;
    }
    auto json = read_text_file(*json_path);
    if (!json) {
        add_failure(report, "cannot read " + json_path->string());
        return report;
    }
    auto script = parse_script(*json, diagnostic);
    if (!script) {
        add_failure(report, diagnostic.to_string());
        return report;
    }
    RunOptions run_options;
    run_options.fuel = options.fuel;
    run_options.print_sink = options.verbose ? stdout : nullptr;
    return run_script(*script, directory->path(), report.file, run_options);
}

void check_counts(FileReport& report, const CountsTable* counts) {
    if (counts == nullptr) return;
    const ExpectedCounts* expected = counts->find(report.file);
    if (expected == nullptr) {
        // Outside CI a file of one's own may lack a row; in CI every file must be accounted for.
        if (in_ci()) add_failure(report, "not listed in the counts file");
        return;
    }
    for (auto& difference : compare_counts(report.ran, *expected))
        add_failure(report, "counts: " + difference);
}

void print_report(const FileReport& report, bool verbose) {
    std::printf("%s: %u passed, %u failed, %u skipped\n", report.file.c_str(), report.passed,
                report.failed, report.skipped);
    std::size_t shown = 0;
    for (const auto& failure : report.failures) {
        if (!verbose && shown == kFailuresShown) {
            std::printf("  ... and %zu more (--verbose shows all)\n",
                        report.failures.size() - shown);
            break;
        }
        if (failure.line != 0) {
            std::printf("  %s:%u: %s: %s\n", report.file.c_str(), failure.line,
                        std::string(command_type_name(failure.type)).c_str(),
                        failure.message.c_str());
        } else {
            std::printf("  %s: %s\n", report.file.c_str(), failure.message.c_str());
        }
        ++shown;
    }
    std::fflush(stdout);
}

int run_wast(const WastOptions& options) {
    auto files = collect_files(options);
    if (!files) {
        if (options.skip_if_missing && !in_ci()) {
            std::fprintf(stderr,
                         "estalogic wast: skipped (input missing; with CI=true this fails)\n");
            return kExitSkipped;
        }
        return in_ci() ? kExitFailed : kExitUsage;
    }
    auto tool = find_on_path("wast2json");
    if (!tool) {
        std::fprintf(stderr,
                     "estalogic wast: wast2json (wabt) not found: install the `wabt` package\n");
        return options.skip_if_missing && !in_ci() ? kExitSkipped : kExitUsage;
    }

    std::optional<CountsTable> counts;
    if (!options.counts_file.empty()) {
        auto text = read_text_file(options.counts_file);
        if (!text) {
            std::fprintf(stderr, "estalogic wast: cannot read %s\n", options.counts_file.c_str());
            return kExitUsage;
        }
        Diagnostic diagnostic;
        auto table = CountsTable::parse(*text, diagnostic);
        if (!table) {
            std::fprintf(stderr, "estalogic wast: %s\n", diagnostic.to_string().c_str());
            return kExitUsage;
        }
        counts = std::move(*table);
    }

    u64 passed = 0, failed = 0, skipped = 0;
    for (const auto& file : *files) {
        FileReport report = run_file(*tool, file, options);
        check_counts(report, counts ? &*counts : nullptr);
        print_report(report, options.verbose);
        passed += report.passed;
        failed += report.failed;
        skipped += report.skipped;
    }
    if (files->empty()) {
        std::fprintf(stderr, "estalogic wast: no .wast files selected\n");
        if (in_ci()) ++failed;
    }
    std::printf("%llu passed, %llu failed, %llu skipped\n", (unsigned long long)passed,
                (unsigned long long)failed, (unsigned long long)skipped);
    return failed == 0 ? kExitPassed : kExitFailed;
}

}  // namespace

void register_wast_command(CLI::App& root, CommandContext& context) {
    auto options = std::make_shared<WastOptions>();
    CLI::App* command = root.add_subcommand(
        "wast",
        "Run WebAssembly spec scripts (.wast) through the engine, converting them with "
        "wabt's wast2json.");
    command->footer(
        "Each file prints `NAME: N passed, N failed, N skipped`; the last line sums them.\n"
        "Text-only modules (assert_malformed on `module quote`) are skipped, never passed.\n"
        "Exit codes: 0 nothing failed, 1 a failure, 2 usage error or wast2json missing,\n"
        "77 input missing with --skip-if-missing (outside CI). With CI=true a missing input,\n"
        "a file absent from the counts file or fewer assertions than expected is a failure.");
    command->add_option("inputs", options->inputs, "The .wast files, or directories of them")
        ->required();
    command->add_option("--testsuite-counts", options->counts_file,
                        "The suite's counts.tsv: check the number of assertions run per file");
    command->add_option("--filter", options->filters,
                        "Run only files whose name contains this text (repeatable)");
    command->add_option("--exclude", options->excludes,
                        "Skip files whose name contains this text (repeatable), e.g. simd_");
    command
        ->add_option("--fuel", options->fuel,
                     "Fuel per invocation; a runaway test ends with trap 3003")
        ->capture_default_str();
    command->add_flag("-v,--verbose", options->verbose,
                      "Show every failure and what spectest.print* receives");
    command->add_flag("--skip-if-missing", options->skip_if_missing,
                      "Exit 77 (skipped) when an input or wast2json is missing, unless CI=true");
    command->callback([options, &context] { context.exit_code = run_wast(*options); });
}

}  // namespace esta::app
