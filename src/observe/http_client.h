// A one-shot HTTP(S) GET or POST for the command line (`estalogic status`, `upgrade`): a node's
// /healthz or status route. Bounded by a timeout; TLS when asked, with the certificate checked
// unless the caller says not to (a self-signed node certificate in development).
#pragma once

#include <string>

#include "base/result.h"
#include "observe/http_server.h"

namespace esta::observe {

struct HttpGetOptions {
    bool tls = false;
    bool verify_certificate = true;
    std::string bearer_token;  // Sent as `Authorization: Bearer ...` when not empty.
    int timeout_ms = 2000;
};

// Errors: Unavailable when nothing answers (refused, unreachable, timed out).
Result<HttpReply> http_post(const std::string& host, int port, const std::string& path,
                            const std::string& body, const std::string& content_type,
                            const HttpGetOptions& options = {});

// Errors: Unavailable when nothing answers (refused, unreachable, timed out).
Result<HttpReply> http_get(const std::string& host, int port, const std::string& path,
                           const HttpGetOptions& options = {});

}  // namespace esta::observe
