// The embedded HTTP server (REQUIREMENTS O-5, S-3): /metrics in the Prometheus text format,
// /healthz and /readyz, over plain HTTP or TLS (OpenSSL), with bearer tokens. It runs on its
// own thread; handlers only read (render metrics, ask health callbacks), so a scheduler
// thread never waits on it. Admin and ingress routes share it later through add_route().
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "base/types.h"

namespace esta::observe {

struct HealthStatus {
    bool ok = true;
    std::string detail;  // Shown in the response body ("journal lag 12 s").
};

enum class RouteAccess : u8 { Public, Token };

struct HttpServerOptions {
    std::string host = "127.0.0.1";
    int port = 9464;  // 0 picks a free port (see ObserveHttpServer::port()).
    // Both set: serve HTTPS with this PEM certificate chain and private key.
    std::string tls_certificate_file;
    std::string tls_private_key_file;
    // Accepted as `Authorization: Bearer <token>` on Token routes. Empty: Token routes are
    // refused outright (403), so a missing configuration never means "open".
    std::vector<std::string> bearer_tokens;
    // /metrics needs a token unless this is set (for a scraper on a trusted network).
    bool public_metrics = false;
};

struct HttpRequestView {
    HttpRequestView() = default;
    HttpRequestView(std::string verb, std::string target, std::string content)
        : method(std::move(verb)), path(std::move(target)), body(std::move(content)) {}

    std::string method;
    std::string path;
    std::string body;
    // The request's headers, names in lower case; Authorization is checked by the server
    // and not passed on.
    std::vector<std::pair<std::string, std::string>> headers;
    // The Authorization header, given to Public routes only: one that checks a token of its
    // own (the admin route).
    std::string authorization;

    // The first value of header `name` (lower case), or nullopt.
    std::optional<std::string_view> header(std::string_view name) const;
};

struct HttpReply {
    // A constructor rather than an aggregate, so `HttpReply{status, type, body}` needs no
    // headers initializer.
    HttpReply() = default;
    HttpReply(int status_code, std::string type, std::string text)
        : status(status_code), content_type(std::move(type)), body(std::move(text)) {}

    int status = 200;
    std::string content_type = "text/plain; charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // Added to the response.
};

class ObserveHttpServer {
  public:
    using Handler = std::function<HttpReply(const HttpRequestView&)>;

    // Binds and starts serving on a background thread. `render_metrics`, `liveness` and
    // `readiness` are called from server threads and must be thread-safe; whatever they
    // capture must outlive the server. Errors: Invalid (half a TLS configuration, unreadable
    // certificate), IoError (cannot bind).
    static Result<std::unique_ptr<ObserveHttpServer>> start(
        HttpServerOptions options, std::function<std::string()> render_metrics,
        std::function<HealthStatus()> liveness, std::function<HealthStatus()> readiness);

    ~ObserveHttpServer();  // Stops and joins.
    void stop();
    int port() const;
    bool tls() const;
    // How often the accept loop ended on an accept() error and was started again on the
    // same port (see http_server.cc).
    u64 accept_restarts() const;

    // Extra routes (admin, ingress). Call before traffic matters: routes added while serving
    // become visible to new requests.
    void add_route(std::string method, std::string path, RouteAccess access, Handler handler);

    struct Impl;
    explicit ObserveHttpServer(std::unique_ptr<Impl> impl);

  private:
    std::unique_ptr<Impl> m_impl;
};

}  // namespace esta::observe
