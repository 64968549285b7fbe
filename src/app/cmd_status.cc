// `estalogic status [APP.toml] [--state-dir DIR] [--url URL] [--json]`: is the node running,
// and what has it done? Asks the node's GET /v1/status when it answers; otherwise reads the
// status file the node keeps in its data directory (written about once a second and when
// it stops), and tells a clean stop from a node that ended without stopping.
#include <signal.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>

#include "app/commands.h"
#include "app/manifest/manifest.h"
#include "app/run/node.h"
#include "app/run/node_status.h"
#include "observe/http_client.h"

namespace esta::app {
namespace {

namespace fs = std::filesystem;

constexpr int kExitNotRunning = 3;  // As LSB `status` actions say "not running".
constexpr int kExitNoInput = 66;
constexpr int kExitConfig = 78;

struct StatusOptions {
    std::string manifest;
    std::string state_dir;
    std::string url;
    bool json = false;
};

std::optional<nlohmann::json> parse_status(const std::string& text) {
    auto value = nlohmann::json::parse(text, nullptr, false);
    if (value.is_discarded() || !value.is_object() || !value.contains("v")) return std::nullopt;
    return value;
}

std::string thousands(u64 value) {
    std::string digits = std::to_string(value);
    for (int at = static_cast<int>(digits.size()) - 3; at > 0; at -= 3)
        digits.insert(static_cast<std::size_t>(at), ",");
    return digits;
}

u64 number(const nlohmann::json& status, const char* key) {
    auto it = status.find(key);
    return it != status.end() && it->is_number_unsigned() ? it->get<u64>() : 0;
}

// A primary's or standby's role (`estalogic run --role`, docs/OPERATIONS.md).
void print_redundancy(const nlohmann::json& status) {
    auto it = status.find("redundancy");
    if (it == status.end() || !it->is_object()) return;
    const nlohmann::json& role = *it;
    std::printf(
        "  role %s, epoch %s; lease epoch %s held by %s\n", role.value("role", "?").c_str(),
        thousands(number(role, "epoch")).c_str(), thousands(number(role, "lease_epoch")).c_str(),
        role.value("lease_holder", "").empty() ? "nobody" : role.value("lease_holder", "").c_str());
    std::printf(
        "  journal %s, lag %s entries, divergences %s, decisions written %s, writes "
        "refused %s\n",
        thousands(number(role, "last_sequence")).c_str(),
        thousands(number(role, "lag_entries")).c_str(),
        thousands(number(role, "divergences")).c_str(), thousands(number(role, "written")).c_str(),
        thousands(number(role, "refused_writes")).c_str());
    std::printf("  checkpoint at %s (every %s), journal tail %s entries in memory\n",
                thousands(number(role, "checkpoint_sequence")).c_str(),
                thousands(number(role, "checkpoint_every")).c_str(),
                thousands(number(role, "journal_tail")).c_str());
    if (number(role, "waiting_for_standby") == 1)
        std::printf("  waiting for the standby: the window is full of unacknowledged events\n");
    if (number(role, "alone") == 1)
        std::printf("  alone: writing decisions without the standby's acknowledgement\n");
    if (role.contains("takeover_ms"))
        std::printf("  took over %s ms after the primary was last heard\n",
                    thousands(number(role, "takeover_ms")).c_str());
}

// The fault containment regions (K-40): how many, and which are quarantined.
void print_regions(const nlohmann::json& status) {
    auto it = status.find("regions");
    if (it == status.end() || !it->is_object()) return;
    std::string quarantined;
    auto names = it->find("quarantined");
    if (names != it->end() && names->is_array()) {
        for (const auto& name : *names)
            if (name.is_string())
                quarantined += (quarantined.empty() ? "" : ", ") + name.get<std::string>();
    }
    std::printf("  regions %s, quarantined: %s\n", thousands(number(*it, "count")).c_str(),
                quarantined.empty() ? "none" : quarantined.c_str());
    // K-42: the connections each driver region holds (100 each, then a warning).
    auto held = it->find("driver_connections");
    if (held == it->end() || !held->is_object() || held->empty()) return;
    std::string line;
    for (const auto& item : held->items())
        if (item.value().is_number_unsigned())
            line +=
                (line.empty() ? "" : ", ") + item.key() + " " + thousands(item.value().get<u64>());
    std::printf("  driver connections: %s (limit 100 each)\n", line.c_str());
}

void print_status(const nlohmann::json& status, const std::string& state, const std::string& from) {
    std::printf("%s: %s (pid %lld%s%s; from %s)\n", status.value("app", "?").c_str(), state.c_str(),
                static_cast<long long>(status.value("pid", 0LL)),
                status.value("http", "").empty() ? "" : ", ", status.value("http", "").c_str(),
                from.c_str());
    std::printf("  events %s, decisions %s, failed %s, audit records %s, journal bytes %s\n",
                thousands(number(status, "events")).c_str(),
                thousands(number(status, "decisions")).c_str(),
                thousands(number(status, "failed")).c_str(),
                thousands(number(status, "audit_records")).c_str(),
                thousands(number(status, "journal_bytes")).c_str());
    if (status.contains("by_kind") && status["by_kind"].is_object() && !status["by_kind"].empty()) {
        std::string kinds;
        for (const auto& [kind, count] : status["by_kind"].items()) {
            kinds += (kinds.empty() ? "" : ", ") + kind + " " +
                     thousands(count.is_number_unsigned() ? count.get<u64>() : 0);
        }
        std::printf("  decisions by kind: %s\n", kinds.c_str());
    }
    print_regions(status);
    print_redundancy(status);
}

int run_status(const StatusOptions& options) {
    std::string status_file;
    std::string url = options.url;
    if (!options.manifest.empty()) {
        manifest::ParseOptions parse;
        parse.check_files = false;
        auto outcome = manifest::parse_manifest_file(options.manifest, parse);
        if (!outcome.manifest) {
            for (const auto& error : outcome.errors)
                std::fprintf(stderr, "error: %s\n", error.to_string().c_str());
            return kExitConfig;
        }
        run::NodeOptions node;
        node.state_dir = options.state_dir;
        status_file =
            (fs::path(run::node_paths(*outcome.manifest, node).data_dir) / run::kStatusFile)
                .string();
        const auto& http = outcome.manifest->observability.http;
        if (url.empty() && outcome.manifest->observability.http_enabled) {
            url = std::string(http.tls() ? "https://" : "http://") + http.host + ":" +
                  std::to_string(http.port);
        }
    } else if (!options.state_dir.empty()) {
        status_file = (fs::absolute(options.state_dir) / "data" / run::kStatusFile).string();
    }

    std::optional<nlohmann::json> saved;
    if (!status_file.empty()) {
        std::ifstream in(status_file);
        std::stringstream text;
        text << in.rdbuf();
        if (in) saved = parse_status(text.str());
        // The node's own address beats the manifest's (it may have been moved with
        // --http-port).
        if (saved && options.url.empty() && !saved->value("http", "").empty())
            url = saved->value("http", "");
    }

    if (auto target = run::parse_node_url(url)) {
        observe::HttpGetOptions get;
        get.tls = target->tls;
        get.verify_certificate = false;  // Asking a local node how it is; nothing is sent.
        get.timeout_ms = 1000;
        auto reply = observe::http_get(target->host, target->port, "/v1/status", get);
        if (reply && reply->status == 200) {
            if (auto live = parse_status(reply->body)) {
                if (options.json) {
                    std::fputs(reply->body.c_str(), stdout);
                } else {
                    print_status(*live, live->value("state", "running"), url + "/v1/status");
                }
                return live->value("state", "") == "running" ? 0 : kExitNotRunning;
            }
        }
    } else if (!url.empty()) {
        std::fprintf(stderr, "estalogic status: %s is not an http(s)://HOST:PORT address\n",
                     url.c_str());
        return kExitConfig;
    }

    if (!saved) {
        std::fprintf(stderr,
                     "estalogic status: no node answers%s%s and no status file was found%s%s\n",
                     url.empty() ? "" : " at ", url.c_str(), status_file.empty() ? "" : " at ",
                     status_file.c_str());
        return kExitNoInput;
    }
    std::string state = saved->value("state", "unknown");
    if (state == "running") {
        pid_t pid = static_cast<pid_t>(saved->value("pid", 0LL));
        bool alive = pid > 0 && kill(pid, 0) == 0;
        state = alive ? "running (its HTTP endpoint does not answer)"
                      : "not running: it ended without stopping cleanly (last update shown)";
        if (alive) {
            if (options.json) {
                std::fputs(saved->dump().c_str(), stdout);
                std::fputs("\n", stdout);
            } else {
                print_status(*saved, state, status_file);
            }
            return 0;
        }
    }
    if (options.json) {
        std::fputs(saved->dump().c_str(), stdout);
        std::fputs("\n", stdout);
    } else {
        print_status(*saved, state, status_file);
    }
    return kExitNotRunning;
}

}  // namespace

void register_status_command(CLI::App& root, CommandContext& context) {
    auto options = std::make_shared<StatusOptions>();
    CLI::App* command =
        root.add_subcommand("status", "Show whether a node runs and what it has done.");
    command->add_option("manifest", options->manifest,
                        "The application manifest the node runs (finds its endpoint and "
                        "data directory)");
    command->add_option("--state-dir", options->state_dir,
                        "The --state-dir the node was started with");
    command->add_option("--url", options->url,
                        "Ask the node at this address (http://HOST:PORT) directly");
    command->add_flag("--json", options->json, "Print the status document as JSON");
    command->footer(
        "Asks GET /v1/status on the node's observability endpoint; when nothing answers, reads\n"
        "DATA_DIR/status.json, which a node rewrites about once a second and when it stops.\n"
        "Exit codes: 0 running; 3 not running (stopped, or ended without stopping cleanly);\n"
        "66 nothing found; 78 a bad manifest or address. Examples:\n"
        "  estalogic status examples/esta-accrual/app.toml\n"
        "  estalogic status examples/esta-accrual/app.toml --state-dir build/demo\n"
        "  estalogic status --url http://127.0.0.1:9464 --json");
    command->callback([options, &context] { context.exit_code = run_status(*options); });
}

}  // namespace esta::app
