// `estalogic upgrade STATE_DIR MODULE NEW.wasm [--sha256 HEX]` or
// `estalogic upgrade --admin URL MODULE NEW.wasm`: loads a new version of a module into a
// running node without stopping it (docs/OPERATIONS.md "Upgrade"), through the node's admin
// route POST /v1/admin/upgrade with its admin token. The node admits the module like any
// other, lets the old version finish its messages, runs the new one's migration hook, then
// sends new events to it; a refusal leaves the old version running and is printed here with
// its reasons (exit 1).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "app/commands.h"
#include "app/run/node_status.h"
#include "observe/http_client.h"
#include "observe/json.h"

namespace esta::app {
namespace {

namespace fs = std::filesystem;

constexpr int kExitRefused = 1;
constexpr int kExitUsage = 64;
constexpr int kExitNoInput = 66;
constexpr int kExitUnavailable = 69;  // EX_UNAVAILABLE: no node answers.
constexpr int kTimeoutMs = 120'000;   // The old version's messages, a migration.

struct UpgradeOptions {
    std::vector<std::string> arguments;  // [STATE_DIR] MODULE NEW.wasm
    std::string admin;
    std::string token_file;
    std::string sha256;
    bool insecure = false;
};

int fail(int code, const std::string& message) {
    std::fprintf(stderr, "estalogic upgrade: %s\n", message.c_str());
    return code;
}

std::optional<std::string> read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return std::nullopt;
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' '))
        text.pop_back();
    return text;
}

// The node's data directory under a state directory (`run --state-dir`), or the directory
// itself when it is a data directory.
fs::path data_dir_of(const fs::path& dir) {
    std::error_code error;
    if (fs::exists(dir / "data" / run::kStatusFile, error)) return dir / "data";
    return dir;
}

int run_upgrade(const UpgradeOptions& options) {
    const bool by_url = !options.admin.empty();
    if (options.arguments.size() != (by_url ? 2u : 3u)) {
        return fail(kExitUsage, by_url ? "give MODULE and NEW.wasm after --admin URL"
                                       : "give STATE_DIR MODULE NEW.wasm (or --admin URL "
                                         "MODULE NEW.wasm)");
    }
    const std::string& module = options.arguments[by_url ? 0 : 1];
    const std::string& wasm_path = options.arguments[by_url ? 1 : 2];
    std::ifstream wasm(wasm_path, std::ios::binary);
    if (!wasm) return fail(kExitNoInput, "cannot read " + wasm_path);
    std::vector<u8> bytes{std::istreambuf_iterator<char>(wasm), std::istreambuf_iterator<char>()};

    std::string url = options.admin;
    std::string token;
    if (!options.token_file.empty()) {
        auto text = read_text(options.token_file);
        if (!text) return fail(kExitNoInput, "cannot read the token file " + options.token_file);
        token = trimmed(*text);
    } else if (const char* from_env = std::getenv("ESTALOGIC_ADMIN_TOKEN")) {
        token = from_env;
    }
    if (!by_url) {
        fs::path data = data_dir_of(options.arguments[0]);
        auto status = read_text(data / run::kStatusFile);
        if (!status) {
            return fail(kExitNoInput, "no node status in " + data.string() +
                                          " (is it the --state-dir of a running node?)");
        }
        auto parsed = nlohmann::json::parse(*status, nullptr, false);
        if (!parsed.is_discarded() && parsed.is_object()) url = parsed.value("http", "");
        if (url.empty()) {
            return fail(kExitUnavailable, "the node in " + data.string() +
                                              " serves no HTTP endpoint; send it SIGHUP after "
                                              "changing its manifest's module file instead");
        }
        if (token.empty()) {
            auto text = read_text(data / "admin.token");
            if (!text) return fail(kExitNoInput, "cannot read " + (data / "admin.token").string());
            token = trimmed(*text);
        }
    }
    auto target = run::parse_node_url(url);
    if (!target) return fail(kExitUsage, "not a node address: " + url);
    if (token.empty()) {
        return fail(kExitUsage,
                    "no admin token: --token-file FILE or ESTALOGIC_ADMIN_TOKEN (the node keeps "
                    "it in DATA_DIR/admin.token)");
    }

    nlohmann::json body = {{"module", module},
                           {"wasm_hex", observe::to_hex(ByteSpan(bytes.data(), bytes.size()))}};
    if (!options.sha256.empty()) body["sha256"] = options.sha256;
    observe::HttpGetOptions post;
    post.tls = target->tls;
    post.verify_certificate = !options.insecure;
    post.bearer_token = token;
    post.timeout_ms = kTimeoutMs;
    auto reply = observe::http_post(target->host, target->port, "/v1/admin/upgrade", body.dump(),
                                    "application/json", post);
    if (!reply) return fail(kExitUnavailable, "no node answers at " + url);
    auto answer = nlohmann::json::parse(reply->body, nullptr, false);
    if (answer.is_discarded() || !answer.is_object()) {
        return fail(kExitRefused, "the node answered " + std::to_string(reply->status) + ": " +
                                      trimmed(reply->body));
    }
    if (reply->status != 200) {
        std::string text = "refused (HTTP " + std::to_string(reply->status) +
                           "); the node keeps the running version of " + module;
        if (answer.contains("reasons")) {
            for (const auto& reason : answer["reasons"])
                if (reason.is_string()) text += "\n  " + reason.get<std::string>();
        } else {
            text += ": " + answer.value("error", std::string());
        }
        return fail(kExitRefused, text);
    }
    std::printf("upgraded %s: %s -> %s (version %s -> %s%s)\n", module.c_str(),
                answer.value("from_sha256", "").c_str(), answer.value("to_sha256", "").c_str(),
                answer.value("from_version", "").c_str(), answer.value("to_version", "").c_str(),
                answer.value("migrated", false) ? "; estalogic_migrate ran" : "");
    return 0;
}

}  // namespace

void register_upgrade_command(CLI::App& root, CommandContext& context) {
    auto options = std::make_shared<UpgradeOptions>();
    CLI::App* command = root.add_subcommand(
        "upgrade", "Load a new version of a module into a running node without stopping it.");
    command->add_option("arguments", options->arguments, "[STATE_DIR] MODULE NEW.wasm")->required();
    command->add_option("--admin", options->admin,
                        "The node's address (http[s]://host:port) instead of STATE_DIR");
    command->add_option("--token-file", options->token_file,
                        "The admin token (default: STATE_DIR's admin.token, or the environment "
                        "variable ESTALOGIC_ADMIN_TOKEN)");
    command->add_option("--sha256", options->sha256,
                        "Refuse unless NEW.wasm has this SHA-256 (hex)");
    command->add_flag("--insecure", options->insecure,
                      "Do not check the node's TLS certificate (a self-signed one)");
    command->footer(
        "The node admits the new version like any module (SHA-256, signature when the\n"
        "manifest requires one, its needs against the process's grants) and keeps it in its\n"
        "module store; events are held while the old version finishes its messages; the new\n"
        "version's estalogic_migrate, when exported, runs once; then new events go to the\n"
        "new version. A refusal (bad hash, a need not granted, a failed migration) leaves the\n"
        "old version running: its reasons are printed and the exit is 1. Audited as\n"
        "module.upgrade or module.upgrade_refused.\n"
        "Example:\n"
        "  estalogic upgrade var/state accrual build/esta_accrual-2.wasm --sha256 3f2a...\n"
        "Operations: docs/OPERATIONS.md \"Upgrade\".");
    command->callback([options, &context] { context.exit_code = run_upgrade(*options); });
}

}  // namespace esta::app
