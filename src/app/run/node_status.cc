#include "app/run/node_status.h"

#include <cstdio>
#include <filesystem>

#include "observe/json.h"

namespace esta::app::run {

namespace {

void field(std::string& out, const char* key, u64 value) {
    out += ",\"";
    out += key;
    out += "\":";
    out += std::to_string(value);
}

void metric(std::string& out, const char* name, const char* help, u64 value) {
    out += "# HELP ";
    out += name;
    out += ' ';
    out += help;
    out += "\n# TYPE ";
    out += name;
    out += " counter\n";
    out += name;
    out += ' ';
    out += std::to_string(value);
    out += '\n';
}

}  // namespace

std::string render_status_json(const NodeIdentity& identity, const NodeStats& stats, bool running,
                               i64 now_unix_ms, std::string_view more) {
    std::string out = "{\"v\":1,\"app\":";
    observe::append_json_string(out, identity.app);
    out += ",\"state\":";
    out += running ? "\"running\"" : "\"stopped\"";
    out += ",\"pid\":" + std::to_string(identity.pid);
    out += ",\"http\":";
    observe::append_json_string(out, identity.http);
    out += ",\"started_unix_ms\":" + std::to_string(identity.started_unix_ms);
    out += ",\"updated_unix_ms\":" + std::to_string(now_unix_ms);
    field(out, "events", stats.events);
    field(out, "decisions", stats.decisions);
    field(out, "failed", stats.failed);
    field(out, "audit_records", stats.audit_records);
    field(out, "journal_bytes", stats.journal_bytes);
    out += ",\"by_kind\":{";
    bool first = true;
    for (const auto& [kind, count] : stats.by_kind) {
        if (!first) out += ',';
        first = false;
        observe::append_json_string(out, kind);
        out += ':' + std::to_string(count);
    }
    out += '}';
    out += more;
    out += "}\n";
    return out;
}

std::string render_metrics_text(const NodeStats& stats) {
    std::string out;
    metric(out, "esta_run_events_total", "Events fed to the input process.", stats.events);
    metric(out, "esta_run_decisions_total", "Lines written to the sinks.", stats.decisions);
    metric(out, "esta_run_failed_total", "Messages a handler failed or trapped on.", stats.failed);
    metric(out, "esta_run_audit_records_total", "Records appended to the audit log.",
           stats.audit_records);
    return out;
}

Result<void> write_file_atomically(const std::string& path, const std::string& text) {
    std::string temporary = path + ".tmp";
    std::FILE* file = std::fopen(temporary.c_str(), "wb");
    if (file == nullptr) return Err(Status::IoError, "status.cannot_write");
    bool ok = std::fwrite(text.data(), 1, text.size(), file) == text.size();
    ok = std::fclose(file) == 0 && ok;
    std::error_code error;
    if (ok) std::filesystem::rename(temporary, path, error);
    if (!ok || error) return Err(Status::IoError, "status.cannot_write");
    return {};
}

std::optional<NodeUrl> parse_node_url(const std::string& text) {
    NodeUrl url;
    std::string rest = text;
    if (rest.rfind("https://", 0) == 0) {
        url.tls = true;
        rest = rest.substr(8);
    } else if (rest.rfind("http://", 0) == 0) {
        rest = rest.substr(7);
    }
    auto slash = rest.find('/');
    if (slash != std::string::npos) rest = rest.substr(0, slash);
    auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0) return std::nullopt;
    url.host = rest.substr(0, colon);
    try {
        url.port = std::stoi(rest.substr(colon + 1));
    } catch (...) {
        return std::nullopt;
    }
    if (url.port <= 0 || url.port > 65535) return std::nullopt;
    return url;
}

}  // namespace esta::app::run
