// What a node says about itself: a JSON document served at GET /v1/status and kept in
// DATA_DIR/status.json (rewritten about once a second and at stop), which `estalogic status`
// reads; and the Prometheus text of its counters for /metrics.
#pragma once

#include <optional>
#include <string>

#include "app/run/node.h"

namespace esta::app::run {

inline constexpr const char* kStatusFile = "status.json";

struct NodeIdentity {
    std::string app;
    i64 pid = 0;
    i64 started_unix_ms = 0;
    std::string http;  // "http://host:port", or "" when not serving.
};

// {"v":1,"app":...,"state":"running"|"stopped",...,"events":N,"decisions":N,...}; `more`
// (",\"key\":value...") goes in before the closing brace (the redundancy role's fields).
std::string render_status_json(const NodeIdentity& identity, const NodeStats& stats, bool running,
                               i64 now_unix_ms, std::string_view more = {});
std::string render_metrics_text(const NodeStats& stats);
// A node's address as `status` and `upgrade` take it: "http[s]://host:port[/...]".
struct NodeUrl {
    bool tls = false;
    std::string host;
    int port = 0;
};
std::optional<NodeUrl> parse_node_url(const std::string& text);

// Writes `text` to `path` through a temporary file and a rename (readers never see half).
Result<void> write_file_atomically(const std::string& path, const std::string& text);

}  // namespace esta::app::run
