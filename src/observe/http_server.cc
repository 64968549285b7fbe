#include "observe/http_server.h"

#include <httplib.h>

#include <atomic>
#include <cctype>
#include <chrono>
#include <mutex>
#include <thread>

#include "observe/crypto.h"

namespace esta::observe {

namespace {

ByteSpan bytes_of(std::string_view text) {
    return ByteSpan(reinterpret_cast<const u8*>(text.data()), text.size());
}

constexpr std::string_view kPrometheusType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace

struct ObserveHttpServer::Impl {
    struct Route {
        std::string method;
        std::string path;
        RouteAccess access;
        Handler handler;
    };

    HttpServerOptions options;
    std::unique_ptr<httplib::Server> server;
    std::vector<Digest> token_digests;
    std::mutex routes_mutex;
    std::vector<Route> routes;
    std::thread thread;
    std::atomic<bool> stopping{false};
    std::atomic<bool> listen_returned{false};
    std::atomic<u64> accept_restarts{0};
    int port = 0;
    bool tls = false;

    // The accept loop. httplib (0.11) ends it, and closes the listening socket, on any
    // accept() error but EMFILE: a connection reset while still queued, a signal. A server
    // that simply stopped answering would look alive to its process supervisor, so the loop
    // binds the same port again and goes on, until stop() asks for the end.
    void serve() {
        while (!stopping.load()) {
            server->listen_after_bind();
            if (stopping.load()) break;
            accept_restarts.fetch_add(1);
            while (!stopping.load() && !server->bind_to_port(options.host, port))
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        listen_returned.store(true);
    }

    // Compares digests in constant time, so timing reveals nothing about a token's prefix.
    bool authorized(const httplib::Request& request) const {
        const std::string header = request.get_header_value("Authorization");
        constexpr std::string_view kScheme = "Bearer ";
        if (token_digests.empty() || !header.starts_with(kScheme)) return false;
        const Digest presented = sha256(bytes_of(std::string_view(header).substr(kScheme.size())));
        bool match = false;
        for (const Digest& digest : token_digests)
            match |= equal_constant_time(digest, presented);
        return match;
    }

    void dispatch(const httplib::Request& request, httplib::Response& response) {
        Handler handler;
        RouteAccess access = RouteAccess::Public;
        bool path_known = false;
        {
            std::lock_guard lock(routes_mutex);
            for (const Route& route : routes) {
                if (route.path != request.path) continue;
                path_known = true;
                if (route.method == request.method) {
                    handler = route.handler;
                    access = route.access;
                    break;
                }
            }
        }
        if (!handler) {
            response.status = path_known ? 405 : 404;
            response.set_content(path_known ? "method not allowed\n" : "not found\n", "text/plain");
            return;
        }
        if (access == RouteAccess::Token && !authorized(request)) {
            response.status = token_digests.empty() ? 403 : 401;
            if (!token_digests.empty()) response.set_header("WWW-Authenticate", "Bearer");
            response.set_content(token_digests.empty()
                                     ? "no bearer tokens are configured for this endpoint\n"
                                     : "missing or wrong bearer token\n",
                                 "text/plain");
            return;
        }
        HttpRequestView view{request.method, request.path, request.body};
        for (const auto& [name, value] : request.headers) {
            std::string lower = name;
            for (char& c : lower)
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (lower != "authorization") view.headers.emplace_back(std::move(lower), value);
        }
        if (access == RouteAccess::Public)
            view.authorization = request.get_header_value("Authorization");
        const HttpReply reply = handler(view);
        response.status = reply.status;
        for (const auto& [name, value] : reply.headers)
            response.set_header(name, value);
        response.set_content(reply.body, reply.content_type.c_str());
    }
};

std::optional<std::string_view> HttpRequestView::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (key == name) return std::string_view(value);
    }
    return std::nullopt;
}

ObserveHttpServer::ObserveHttpServer(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

ObserveHttpServer::~ObserveHttpServer() {
    stop();
}

Result<std::unique_ptr<ObserveHttpServer>> ObserveHttpServer::start(
    HttpServerOptions options, std::function<std::string()> render_metrics,
    std::function<HealthStatus()> liveness, std::function<HealthStatus()> readiness) {
    const bool has_certificate = !options.tls_certificate_file.empty();
    if (has_certificate != !options.tls_private_key_file.empty()) {
        return Err(Status::Invalid, "http.tls_half_configured");
    }
    auto impl = std::make_unique<Impl>();
    if (has_certificate) {
        auto server = std::make_unique<httplib::SSLServer>(options.tls_certificate_file.c_str(),
                                                           options.tls_private_key_file.c_str());
        if (!server->is_valid()) return Err(Status::Invalid, "http.tls_certificate");
        impl->server = std::move(server);
        impl->tls = true;
    } else {
        impl->server = std::make_unique<httplib::Server>();
    }
    for (const std::string& token : options.bearer_tokens) {
        if (!token.empty()) impl->token_digests.push_back(sha256(bytes_of(token)));
    }

    auto health_reply = [](const HealthStatus& status) {
        HttpReply reply;
        reply.status = status.ok ? 200 : 503;
        reply.body = (status.ok ? "ok" : "unavailable") +
                     (status.detail.empty() ? std::string() : ": " + status.detail) + "\n";
        return reply;
    };
    impl->routes.push_back(
        {"GET", "/metrics", options.public_metrics ? RouteAccess::Public : RouteAccess::Token,
         [render_metrics](const HttpRequestView&) {
             return HttpReply{200, std::string(kPrometheusType), render_metrics()};
         }});
    impl->routes.push_back(
        {"GET", "/healthz", RouteAccess::Public,
         [liveness, health_reply](const HttpRequestView&) { return health_reply(liveness()); }});
    impl->routes.push_back(
        {"GET", "/readyz", RouteAccess::Public,
         [readiness, health_reply](const HttpRequestView&) { return health_reply(readiness()); }});

    // Every method and path goes through dispatch(), which owns routing and authorization.
    Impl* raw = impl.get();
    auto entry = [raw](const httplib::Request& request, httplib::Response& response) {
        raw->dispatch(request, response);
    };
    const std::string any = ".*";
    impl->server->Get(any, entry);
    impl->server->Post(any, entry);
    impl->server->Put(any, entry);
    impl->server->Delete(any, entry);

    if (options.port == 0) {
        impl->port = impl->server->bind_to_any_port(options.host);
        if (impl->port <= 0) return Err(Status::IoError, "http.bind");
    } else {
        if (!impl->server->bind_to_port(options.host, options.port)) {
            return Err(Status::IoError, "http.bind", {.actual = static_cast<u64>(options.port)});
        }
        impl->port = options.port;
    }
    impl->options = std::move(options);
    impl->thread = std::thread([raw] { raw->serve(); });
    // httplib's stop() does nothing until the accept loop runs, so a stop() right after
    // start() would leave the loop running and join() waiting forever: wait for the loop
    // (it sets is_running() first thing; a loop that already ended needs no stop).
    while (!raw->server->is_running() && !raw->listen_returned.load())
        std::this_thread::yield();
    return std::make_unique<ObserveHttpServer>(std::move(impl));
}

void ObserveHttpServer::stop() {
    if (!m_impl || !m_impl->thread.joinable()) return;
    m_impl->stopping.store(true);
    // The loop may be between two listens (see serve()), where httplib's stop() finds
    // nothing running: stop until the loop has seen the flag.
    while (!m_impl->listen_returned.load()) {
        m_impl->server->stop();
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    m_impl->thread.join();
}

u64 ObserveHttpServer::accept_restarts() const {
    return m_impl->accept_restarts.load();
}

int ObserveHttpServer::port() const {
    return m_impl->port;
}
bool ObserveHttpServer::tls() const {
    return m_impl->tls;
}

void ObserveHttpServer::add_route(std::string method, std::string path, RouteAccess access,
                                  Handler handler) {
    std::lock_guard lock(m_impl->routes_mutex);
    m_impl->routes.push_back({std::move(method), std::move(path), access, std::move(handler)});
}

}  // namespace esta::observe
