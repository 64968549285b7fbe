#include "observe/http_server.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>

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
