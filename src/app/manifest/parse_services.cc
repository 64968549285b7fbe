// [redundancy], [observability] and [ingress]: how the node runs beside others and what it
// serves over HTTP (S-3: TLS and bearer tokens on every endpoint).
#include <filesystem>

#include "app/manifest/sections.h"

namespace esta::app::manifest {

namespace {

constexpr Choice<RedundancyRole> kRoles[] = {{"single", RedundancyRole::Single},
                                             {"primary", RedundancyRole::Primary},
                                             {"standby", RedundancyRole::Standby}};

constexpr Choice<std::string_view> kLogLevels[] = {
    {"trace", "trace"}, {"debug", "debug"},       {"info", "info"},  {"warning", "warning"},
    {"error", "error"}, {"critical", "critical"}, {"fatal", "fatal"}};

constexpr Choice<std::string_view> kSamplers[] = {{"always-on", "always-on"},
                                                  {"always-off", "always-off"},
                                                  {"ratio", "ratio"},
                                                  {"parent-based", "parent-based"}};

// K-5: the kernel owns 0x0000..0x000F and 0xFF00..0xFFFF, and 0x0100 (driver records).
constexpr i64 kFirstAppMessageType = 0x0010;
constexpr i64 kLastAppMessageType = 0xFEFF;
constexpr i64 kDriverRecordType = 0x0100;

// TLS for one listener: both files or neither; the key is protected like a secret.
void parse_tls(ParseContext& context, TableReader& table, HttpEndpoint& endpoint) {
    auto certificate = table.string("tls_certificate");
    auto key = table.string("tls_private_key");
    if (certificate.has_value() != key.has_value()) {
        table.error(certificate ? "tls_certificate" : "tls_private_key",
                    "TLS needs both tls_certificate and tls_private_key (PEM files)");
        return;
    }
    if (!certificate) return;
    endpoint.tls_certificate = resolve_path(context.manifest.base_dir, *certificate);
    endpoint.tls_private_key = resolve_path(context.manifest.base_dir, *key);
    std::error_code error;
    if (context.options.check_files &&
        !std::filesystem::is_regular_file(endpoint.tls_certificate, error)) {
        table.error("tls_certificate", in_quotes(endpoint.tls_certificate) +
                                           " does not exist; allowed: a PEM "
                                           "certificate chain");
    }
    check_protected_file(context, table, "tls_private_key", endpoint.tls_private_key);
}

}  // namespace

bool parse_listen(ParseContext& context, TableReader& table, std::string_view key,
                  std::string& host, int& port) {
    (void)context;
    auto text = table.string(key);
    if (!text) return false;
    auto colon = text->rfind(':');
    bool ok = colon != std::string::npos && colon > 0 && colon + 1 < text->size() &&
              text->size() - colon - 1 <= 5;
    long number = 0;
    if (ok) {
        for (std::size_t i = colon + 1; i < text->size(); ++i) {
            char c = (*text)[i];
            if (c < '0' || c > '9') ok = false;
            number = number * 10 + (c - '0');
        }
    }
    if (!ok || number > 65'535) {
        table.error(key, in_quotes(*text) +
                             " is not HOST:PORT; allowed: e.g. \"127.0.0.1:8080\", "
                             "\"[::1]:8080\", port 0 to 65535 (0 picks a free one)");
        return false;
    }
    host = text->substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    port = static_cast<int>(number);
    return true;
}

void parse_redundancy(ParseContext& context, TableReader& root) {
    auto& redundancy = context.manifest.redundancy;
    const auto* table = root.table("redundancy");
    if (!table) return;
    TableReader reader(*table, "redundancy", context.reporter);
    if (auto role = reader.choice<RedundancyRole>("role", "a redundancy role", kRoles))
        redundancy.role = *role;
    std::string host;
    int port = 0;
    if (parse_listen(context, reader, "listen", host, port))
        redundancy.listen = *reader.string("listen");
    if (parse_listen(context, reader, "peer", host, port)) redundancy.peer = *reader.string("peer");
    if (auto lock = reader.string("lock_file"))
        redundancy.lock_file = resolve_path(context.manifest.base_dir, *lock);
    if (auto heartbeat = reader.integer("heartbeat_ms", 10, 10'000))
        redundancy.heartbeat_ms = static_cast<u32>(*heartbeat);
    if (auto timeout = reader.integer("timeout_ms", 20, 60'000))
        redundancy.timeout_ms = static_cast<u32>(*timeout);
    if (auto synchronous = reader.boolean("synchronous")) redundancy.synchronous = *synchronous;
    if (auto every = reader.integer("checkpoint_every", 1, 10'000'000))
        redundancy.checkpoint_every = static_cast<u64>(*every);
    if (auto alone = reader.integer("standby_timeout_ms", 0, 86'400'000))
        redundancy.standby_timeout_ms = static_cast<u32>(*alone);
    if (redundancy.timeout_ms <= redundancy.heartbeat_ms) {
        reader.error("timeout_ms", "must be longer than heartbeat_ms (" +
                                       std::to_string(redundancy.heartbeat_ms) +
                                       "), or every heartbeat would time out");
    }
    if (redundancy.role != RedundancyRole::Single) {
        if (!reader.has("peer"))
            reader.missing("peer",
                           "a primary or standby names the other node: peer = \"HOST:PORT\"");
        if (!reader.has("listen"))
            reader.missing(
                "listen",
                "a primary or standby listens for the other node: listen = \"HOST:PORT\"");
        if (!reader.has("lock_file")) {
            reader.missing("lock_file",
                           "leadership needs a witness (K-61): lock_file = \"PATH\" "
                           "on one host");
        }
    }
    reader.finish();
}

void parse_observability(ParseContext& context, TableReader& root) {
    auto& observability = context.manifest.observability;
    observability.audit_dir = resolve_path(context.manifest.base_dir, "audit");
    const auto* table = root.table("observability");
    if (!table) return;
    TableReader reader(*table, "observability", context.reporter);
    if (auto level = reader.choice<std::string_view>("log_level", "a log level", kLogLevels))
        observability.log_level = std::string(*level);
    if (auto dir = reader.string("audit_dir")) {
        if (!dir->empty()) observability.audit_dir = resolve_path(context.manifest.base_dir, *dir);
    }
    if (auto key = parse_secret(context, reader, "audit_signing_key")) {
        if (key->source != drivers::SecretRef::Source::File) {
            reader.error("audit_signing_key",
                         "must be a file (a PEM private key from `estalogic "
                         "keygen`): audit_signing_key = { file = \"PATH\" }");
        } else {
            observability.audit_signing_key = *key;
        }
    }
    if (auto every = reader.integer("checkpoint_every", 1, 10'000'000))
        observability.checkpoint_every = static_cast<u32>(*every);
    parse_checkpoint_export(context, reader);

    if (const auto* http = reader.table("http")) {
        TableReader http_reader(*http, reader.child_path("http"), context.reporter);
        if (auto enabled = http_reader.boolean("enabled")) observability.http_enabled = *enabled;
        parse_listen(context, http_reader, "listen", observability.http.host,
                     observability.http.port);
        parse_tls(context, http_reader, observability.http);
        if (auto token = parse_secret(context, http_reader, "token"))
            observability.metrics_token = *token;
        if (auto open = http_reader.boolean("public_metrics")) observability.public_metrics = *open;
        http_reader.finish();
    }
    if (const auto* tracing = reader.table("tracing")) {
        TableReader tracing_reader(*tracing, reader.child_path("tracing"), context.reporter);
        if (auto sampler =
                tracing_reader.choice<std::string_view>("sampler", "a sampler", kSamplers))
            observability.trace_sampler = std::string(*sampler);
        if (auto ratio = tracing_reader.floating("ratio", 0.0, 1.0))
            observability.trace_ratio = *ratio;
        if (auto endpoint = tracing_reader.string("otlp_endpoint")) {
            if (endpoint->rfind("http://", 0) != 0 && endpoint->rfind("https://", 0) != 0) {
                tracing_reader.error("otlp_endpoint", in_quotes(*endpoint) +
                                                          " is not an http:// or "
                                                          "https:// URL");
            } else {
                observability.otlp_endpoint = *endpoint;
            }
        }
        parse_otlp_headers(context, tracing_reader, observability);
        tracing_reader.finish();
    }
    reader.finish();
}

void parse_ingress(ParseContext& context, TableReader& root) {
    auto& ingress = context.manifest.ingress;
    const auto* table = root.table("ingress");
    if (!table) return;
    ingress.enabled = true;
    TableReader reader(*table, "ingress", context.reporter);
    parse_listen(context, reader, "listen", ingress.http.host, ingress.http.port);
    parse_tls(context, reader, ingress.http);
    const auto* routes = reader.table("routes");
    if (!routes) {
        if (!reader.has("routes")) {
            reader.missing("routes",
                           "name at least one: [ingress.routes.NAME] process = \"PROCESS\"");
        }
    } else {
        TableReader routes_reader(*routes, reader.child_path("routes"), context.reporter);
        for (auto&& [key, node] : *routes) {
            std::string name(key.str());
            const auto* route_table = routes_reader.table(name);
            if (!route_table ||
                !check_name(context, name, routes_reader.child_path(name), position_of(key)))
                continue;
            TableReader route(*route_table, routes_reader.child_path(name), context.reporter);
            IngressRoute spec;
            spec.name = name;
            spec.process = name;
            spec.where = position_of(*route_table);
            if (auto process = route.string("process")) spec.process = *process;
            context.refer(ReferenceKind::Process, spec.process,
                          route.has("process") ? route.child_path("process") : route.key_path(),
                          route.position("process"));
            if (auto type =
                    route.integer("message_type", kFirstAppMessageType, kLastAppMessageType)) {
                if (*type == kDriverRecordType) {
                    route.error("message_type",
                                "0x0100 is the kernel's driver record type (K-5); "
                                "allowed: 0x0010 to 0xFEFF except 0x0100");
                } else {
                    spec.message_type = static_cast<u32>(*type);
                }
            }
            if (auto token = parse_secret(context, route, "token")) spec.token = *token;
            route.finish();
            ingress.routes.push_back(std::move(spec));
        }
        routes_reader.finish();
        if (routes->empty()) reader.error("routes", "names no route; add [ingress.routes.NAME]");
    }
    reader.finish();
}

}  // namespace esta::app::manifest
