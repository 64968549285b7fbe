#include "app/run/ingress.h"

#include <random>
#include <set>

#include "drivers/secrets.h"
#include "observe/json.h"
#include "observe/trace/id_source.h"
#include "observe/trace/trace_context.h"

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

// The request's trace: a valid W3C `traceparent` continues the caller's trace, anything
// else starts a new one; either way the ingress gets its own span id. Trace ids are for
// correlation only: nothing of them reaches a decision.
observe::SpanContext request_trace(const observe::HttpRequestView& request,
                                   observe::IdSource& ids) {
    observe::SpanContext context;
    context.trace_flags = observe::kTraceFlagSampled;
    if (auto header = request.header("traceparent")) {
        if (auto parent = observe::parse_traceparent(*header)) {
            context.trace_id = parent->trace_id;
            context.trace_flags = parent->trace_flags;
        }
    }
    if (!context.trace_id.valid()) context.trace_id = ids.new_trace_id();
    context.span_id = ids.new_span_id();
    return context;
}

// The deadline a request asks for with Estalogic-Deadline-Ms, at most the node's; nullopt
// when the header is not an integer in 1 .. the node's.
std::optional<u64> request_deadline(const observe::HttpRequestView& request, u64 node_deadline) {
    auto header = request.header("estalogic-deadline-ms");
    if (!header) return node_deadline;
    u64 value = 0;
    if (header->empty() || header->size() > 12) return std::nullopt;
    for (char c : *header) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<u64>(c - '0');
    }
    if (value == 0 || value > node_deadline) return std::nullopt;
    return value;
}

observe::HttpReply with_trace(observe::HttpReply reply, const observe::SpanContext& trace) {
    reply.headers.emplace_back("traceparent", observe::format_traceparent(trace));
    reply.headers.emplace_back("Estalogic-Trace-Id", trace.trace_id.hex());
    return reply;
}

// A decision answered is also a record of the node's own (ingress.decision: route,
// process, trace id, request and decision), whose id the reply carries, so a backend can
// cite the audit log for the answer it got.
observe::HttpReply answered(Node& node, const manifest::IngressRoute& route,
                            const observe::HttpRequestView& request, std::string decision,
                            const observe::SpanContext& trace) {
    observe::Value::Map data;
    data.emplace("route", observe::Value::text(route.name));
    data.emplace("process", observe::Value::text(route.process));
    data.emplace("trace_id", observe::Value::text(trace.trace_id.hex()));
    data.emplace("request", observe::Value::text(request.body));
    data.emplace("decision", observe::Value::text(decision));
    auto record = node.audit("ingress.decision", data);
    if (!record)
        return error_reply(500, "the decision was made but its ingress record was not written: " +
                                    record.error().to_string());
    observe::HttpReply reply = json_reply(200, std::move(decision));
    reply.headers.emplace_back("Estalogic-Audit-Record", std::to_string(*record));
    return reply;
}

observe::HttpReply invoke(Node& node, const IngressOptions::Decide& decide,
                          const manifest::IngressRoute& route, u64 deadline_ms,
                          observe::IdSource& ids, const observe::HttpRequestView& request) {
    const observe::SpanContext trace = request_trace(request, ids);
    if (request.body.empty())
        return with_trace(error_reply(400, "the body is empty; send one message"), trace);
    if (request.body.size() > kMaxIngressBody)
        return with_trace(error_reply(413, "the body is over 8192 bytes"), trace);
    auto deadline = request_deadline(request, deadline_ms);
    if (!deadline)
        return with_trace(error_reply(400, "Estalogic-Deadline-Ms must be an integer from 1 to " +
                                               std::to_string(deadline_ms)),
                          trace);
    auto answer = decide ? decide(route.process, route.message_type, request.body, *deadline)
                         : node.call(route.process, route.message_type, request.body, *deadline);
    if (answer) return with_trace(answered(node, route, request, std::move(*answer), trace), trace);
    switch (answer.error().code) {
        case Status::Timeout:
            return with_trace(
                error_reply(504, "no decision within " + std::to_string(*deadline) + " ms"), trace);
        case Status::Invalid:
            return with_trace(
                error_reply(422, "the process failed the message (see the dead letters)"), trace);
        case Status::Unavailable:
            return with_trace(error_reply(503, "this node is the standby; ask the primary"), trace);
        case Status::ShuttingDown:
        case Status::MailboxFull:
            return with_trace(error_reply(503, "the node cannot take the message now; retry"),
                              trace);
        default:
            return with_trace(error_reply(500, answer.error().to_string()), trace);
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
    observe::HttpReply reply = error_reply(403, message);
    if (record) reply.headers.emplace_back("Estalogic-Audit-Record", std::to_string(*record));
    return reply;
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
    // Trace and span ids: seeded once from the OS, as production ids are (observe/trace).
    auto ids = std::make_shared<observe::SeededIdSource>(
        (static_cast<u64>(std::random_device{}()) << 32) ^ std::random_device{}());
    std::set<std::string> routed;
    for (const auto& route : manifest.ingress.routes) {
        routed.insert(route.name);
        u64 deadline = options.deadline_ms;
        started->add_route("POST", "/v1/invoke/" + route.name,
                           route.token.source == drivers::SecretRef::Source::None
                               ? observe::RouteAccess::Public
                               : observe::RouteAccess::Token,
                           [&node, decide = options.decide, route, deadline,
                            ids](const observe::HttpRequestView& request) {
                               return invoke(node, decide, route, deadline, *ids, request);
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
