#include "observe/http_client.h"

#include <httplib.h>

namespace esta::observe {

namespace {

template <typename Client>
Result<HttpReply> get_with(Client& client, const std::string& path, const HttpGetOptions& options) {
    client.set_connection_timeout(0, options.timeout_ms * 1000);
    client.set_read_timeout(0, options.timeout_ms * 1000);
    if (!options.bearer_token.empty()) client.set_bearer_token_auth(options.bearer_token);
    auto response = client.Get(path);
    if (!response) return Err(Status::Unavailable, "http_get.no_answer");
    HttpReply reply;
    reply.status = response->status;
    reply.content_type = response->get_header_value("Content-Type");
    reply.body = response->body;
    return reply;
}

template <typename Client>
Result<HttpReply> post_with(Client& client, const std::string& path, const std::string& body,
                            const std::string& content_type, const HttpGetOptions& options) {
    client.set_connection_timeout(0, options.timeout_ms * 1000);
    client.set_read_timeout(options.timeout_ms / 1000, (options.timeout_ms % 1000) * 1000);
    if (!options.bearer_token.empty()) client.set_bearer_token_auth(options.bearer_token);
    auto response = client.Post(path, body, content_type);
    if (!response) return Err(Status::Unavailable, "http_post.no_answer");
    return HttpReply{response->status, response->get_header_value("Content-Type"), response->body};
}

}  // namespace

Result<HttpReply> http_post(const std::string& host, int port, const std::string& path,
                            const std::string& body, const std::string& content_type,
                            const HttpGetOptions& options) {
    if (options.tls) {
        httplib::SSLClient client(host, port);
        client.enable_server_certificate_verification(options.verify_certificate);
        return post_with(client, path, body, content_type, options);
    }
    httplib::Client client(host, port);
    return post_with(client, path, body, content_type, options);
}

Result<HttpReply> http_get(const std::string& host, int port, const std::string& path,
                           const HttpGetOptions& options) {
    if (options.tls) {
        httplib::SSLClient client(host, port);
        client.enable_server_certificate_verification(options.verify_certificate);
        return get_with(client, path, options);
    }
    httplib::Client client(host, port);
    return get_with(client, path, options);
}

}  // namespace esta::observe
