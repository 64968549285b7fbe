#include "observe/http_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

#include <netinet/in.h>
#include <sys/socket.h>

#include "observe/metrics.h"
#include "observe/test_directory.h"

namespace esta::observe {
namespace {

ESTA_COUNTER(kRequests, "test.requests", "Requests seen by the test.");

struct Fixture {
    MetricsRegistry registry;
    std::atomic<bool> ready{false};
    std::unique_ptr<ObserveHttpServer> server;

    explicit Fixture(HttpServerOptions options) {
        options.host = "127.0.0.1";
        options.port = 0;
        auto started = ObserveHttpServer::start(
            std::move(options), [this] { return registry.render_prometheus(); },
            [] {
                return HealthStatus{true, ""};
            },
            [this] {
                return HealthStatus{ready.load(), ready.load() ? "" : "journal replaying"};
            });
        EXPECT_TRUE(started) << started.error().to_string();
        if (started) server = std::move(*started);
    }
};

HttpServerOptions with_token(std::string token) {
    HttpServerOptions options;
    options.bearer_tokens = {std::move(token)};
    return options;
}

// The descriptor of this process's listening TCP socket bound to `port`, found by looking
// at every open descriptor (the server keeps its own hidden).
std::optional<int> listening_socket_on(int port) {
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
        const int fd = std::atoi(entry.path().filename().c_str());
        int listening = 0;
        socklen_t length = sizeof listening;
        if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 || !listening)
            continue;
        sockaddr_in address{};
        length = sizeof address;
        if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0 &&
            address.sin_family == AF_INET && ntohs(address.sin_port) == port)
            return fd;
    }
    return std::nullopt;
}

TEST(HttpServer, O5_ServesMetricsWithABearerToken) {
    Fixture fixture(with_token("s3cret"));
    ASSERT_TRUE(fixture.server);
    fixture.registry.counter(kRequests).inc(3);
    httplib::Client client("127.0.0.1", fixture.server->port());
    auto anonymous = client.Get("/metrics");
    ASSERT_TRUE(anonymous);
    EXPECT_EQ(anonymous->status, 401);
    auto wrong = client.Get("/metrics", {{"Authorization", "Bearer nope"}});
    EXPECT_EQ(wrong->status, 401);
    auto scraped = client.Get("/metrics", {{"Authorization", "Bearer s3cret"}});
    ASSERT_TRUE(scraped);
    EXPECT_EQ(scraped->status, 200);
    EXPECT_EQ(scraped->get_header_value("Content-Type"),
              "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_NE(scraped->body.find("esta_test_requests_total 3\n"), std::string::npos);
}

TEST(HttpServer, S3_NoConfiguredTokensMeansRefused) {
    Fixture fixture(HttpServerOptions{});
    ASSERT_TRUE(fixture.server);
    httplib::Client client("127.0.0.1", fixture.server->port());
    EXPECT_EQ(client.Get("/metrics", {{"Authorization", "Bearer "}})->status, 403);
}

TEST(HttpServer, O5_HealthAndReadiness) {
    Fixture fixture(with_token("t"));
    ASSERT_TRUE(fixture.server);
    httplib::Client client("127.0.0.1", fixture.server->port());
    EXPECT_EQ(client.Get("/healthz")->status, 200);
    auto not_ready = client.Get("/readyz");
    EXPECT_EQ(not_ready->status, 503);
    EXPECT_EQ(not_ready->body, "unavailable: journal replaying\n");
    fixture.ready = true;
    EXPECT_EQ(client.Get("/readyz")->status, 200);
    EXPECT_EQ(client.Get("/nowhere")->status, 404);
    EXPECT_EQ(client.Post("/healthz", "", "text/plain")->status, 405);
}

// An accept() error (here: the listening socket shut down under the server, as a reset
// connection or a signal would end the accept) must not leave a live process that no
// longer answers: the server listens on the same port again.
TEST(HttpServer, O5_KeepsServingAfterItsAcceptLoopFails) {
    Fixture fixture(with_token("t"));
    ASSERT_TRUE(fixture.server);
    const int port = fixture.server->port();
    httplib::Client client("127.0.0.1", port);
    ASSERT_EQ(client.Get("/healthz")->status, 200);

    const auto fd = listening_socket_on(port);
    ASSERT_TRUE(fd);
    ASSERT_EQ(shutdown(*fd, SHUT_RDWR), 0);  // accept() now fails with EINVAL.

    int status = 0;
    for (int attempt = 0; attempt < 500 && status == 0; ++attempt) {
        if (auto answer = client.Get("/healthz")) {
            status = answer->status;
        } else {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    EXPECT_EQ(status, 200) << "nothing answers on port " << port << " any more";
    EXPECT_EQ(fixture.server->accept_restarts(), 1u);
    fixture.server->stop();  // And it still stops.
}

TEST(HttpServer, ExtraRoutesShareAuthorization) {
    Fixture fixture(with_token("admin"));
    ASSERT_TRUE(fixture.server);
    fixture.server->add_route("POST", "/admin/checkpoint", RouteAccess::Token,
                              [](const HttpRequestView& request) {
                                  return HttpReply{202, "text/plain", "queued " + request.body};
                              });
    httplib::Client client("127.0.0.1", fixture.server->port());
    EXPECT_EQ(client.Post("/admin/checkpoint", "now", "text/plain")->status, 401);
    auto accepted =
        client.Post("/admin/checkpoint", {{"Authorization", "Bearer admin"}}, "now", "text/plain");
    ASSERT_TRUE(accepted);
    EXPECT_EQ(accepted->status, 202);
    EXPECT_EQ(accepted->body, "queued now");
}

TEST(HttpServer, S3_RefusesHalfATlsConfiguration) {
    HttpServerOptions options;
    options.tls_certificate_file = "/nonexistent.pem";
    auto started = ObserveHttpServer::start(
        options, [] { return std::string(); }, [] { return HealthStatus{}; },
        [] { return HealthStatus{}; });
    ASSERT_FALSE(started);
    EXPECT_EQ(started.error().code, Status::Invalid);
}

// HTTPS with a throwaway self-signed certificate made by the openssl tool (skipped if absent).
TEST(HttpServer, S3_ServesOverTls) {
    const auto dir = test_directory() / "observe_tls";
    std::filesystem::create_directories(dir);
    const std::string cert = (dir / "cert.pem").string();
    const std::string key = (dir / "key.pem").string();
    const std::string command =
        "openssl req -x509 -newkey ed25519 -nodes -days 1 -subj /CN=localhost "
        "-keyout " +
        key + " -out " + cert + " > /dev/null 2>&1";
    if (std::system(command.c_str()) != 0) GTEST_SKIP() << "openssl tool not available";
    HttpServerOptions options = with_token("tls-token");
    options.tls_certificate_file = cert;
    options.tls_private_key_file = key;
    Fixture fixture(options);
    ASSERT_TRUE(fixture.server);
    EXPECT_TRUE(fixture.server->tls());
    httplib::SSLClient client("127.0.0.1", fixture.server->port());
    client.enable_server_certificate_verification(false);  // Self-signed, test only.
    auto health = client.Get("/healthz");
    ASSERT_TRUE(health) << httplib::to_string(health.error());
    EXPECT_EQ(health->status, 200);
    httplib::Client plain("127.0.0.1", fixture.server->port());
    EXPECT_FALSE(plain.Get("/healthz"));  // Plain HTTP to an HTTPS port gets no answer.
}

}  // namespace
}  // namespace esta::observe
