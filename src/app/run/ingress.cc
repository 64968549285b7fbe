#include "app/run/ingress.h"

#include <set>

#include "drivers/secrets.h"
#include "observe/json.h"

namespace esta::app::run {

namespace {

observe::HttpReply json_reply(int status, std::string body) {
    return observe::HttpReply{status, "application/json", std::move(body) + "\n"};
}

observe::HttpReply error_reply(int status, std::string_view message) {
    std::string body = "{\"error\":";
    observe::append_json_string(body, message);
    body += "}";
    return json_reply(status, std::move(body));
}

observe::HttpReply invoke(Node& node, const manifest::IngressRoute& route, u64 deadline_ms,
                          const observe::HttpRequestView& request) {
    if (request.body.empty()) return error_reply(400, "the body is empty; send one message");
    if (request.body.size() > kMaxIngressBody)
        return error_reply(413, "the body is over 8192 bytes");
    auto answer = node.call(route.process, route.message_type, request.body, deadline_ms);
    if (answer) return json_reply(200, std::move(*answer));
    switch (answer.error().code) {
        case Status::Timeout:
            return error_reply(504, "no decision within " + std::to_string(deadline_ms) + " ms");
        case Status::Invalid:
            return error_reply(422, "the process failed the message (see the dead letters)");
        case Status::ShuttingDown:
        case Status::MailboxFull:
            return error_reply(503, "the node cannot take the message now; retry");
        default:
            return error_reply(500, answer.error().to_string());
    }
}

observe::HttpReply refuse(Node& node, const std::string& process,
                          const observe::HttpRequestView& request) {
    observe::Value::Map data;
    data.emplace("process", observe::Value::text(process));
    data.emplace("path", observe::Value::text(request.path));
    data.emplace("reason", observe::Value::text("no ingress route grants this process"));
    auto record = node.audit("ingress.denied", data);
    std::string message = "the ingress holds no capability for process " + process;
    if (record) message += " (audit record " + std::to_string(*record) + ")";
    return error_reply(403, message);
}

}  // namespace

Result<std::unique_ptr<Ingress>> Ingress::start(const manifest::AppManifest& manifest, Node& node,
                                                const IngressOptions& options) {
    const auto& endpoint = manifest.ingress.http;
    observe::HttpServerOptions server;
    server.host = endpoint.host;
    server.port = options.port.value_or(endpoint.port);
    server.tls_certificate_file = endpoint.tls_certificate;
    server.tls_private_key_file = endpoint.tls_private_key;
    // The server checks bearer tokens itself; every route's token opens the routes that
    // have one (a request's headers do not reach the handlers).
    for (const auto& route : manifest.ingress.routes) {
        if (route.token.source == drivers::SecretRef::Source::None) continue;
        server.bearer_tokens.push_back(ESTA_TRY(drivers::read_secret(route.token)));
    }
    auto started = ESTA_TRY(observe::ObserveHttpServer::start(
        server, [] { return std::string(); },
        [] {
            return observe::HealthStatus{true, "ingress"};
        },
        [] {
            return observe::HealthStatus{true, "ingress"};
        }));
    std::set<std::string> routed;
    for (const auto& route : manifest.ingress.routes) {
        routed.insert(route.name);
        u64 deadline = options.deadline_ms;
        started->add_route("POST", "/v1/invoke/" + route.name,
                           route.token.source == drivers::SecretRef::Source::None
                               ? observe::RouteAccess::Public
                               : observe::RouteAccess::Token,
                           [&node, route, deadline](const observe::HttpRequestView& request) {
                               return invoke(node, route, deadline, request);
                           });
    }
    for (const auto& process : manifest.processes) {
        if (routed.count(process.name)) continue;
        std::string name = process.name;
        started->add_route("POST", "/v1/invoke/" + name, observe::RouteAccess::Public,
                           [&node, name](const observe::HttpRequestView& request) {
                               return refuse(node, name, request);
                           });
    }
    std::string url = std::string(started->tls() ? "https://" : "http://") + server.host + ":" +
                      std::to_string(started->port());
    return std::unique_ptr<Ingress>(new Ingress(std::move(started), std::move(url)));
}

Ingress::Ingress(std::unique_ptr<observe::ObserveHttpServer> server, std::string url)
    : m_server(std::move(server)), m_url(std::move(url)) {}

Ingress::~Ingress() {
    stop();
}

void Ingress::stop() {
    if (m_server) m_server->stop();
}

std::string Ingress::url() const {
    return m_url;
}

}  // namespace esta::app::run
