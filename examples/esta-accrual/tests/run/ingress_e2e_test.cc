// The HTTP ingress of `estalogic run --serve` (docs/OPERATIONS.md "Ingress"): concurrent
// requests each get their own decision within the deadline; a request for a process the
// manifest gives the ingress no route to is refused (403) and audited; answers carry the
// request's trace id and the id of their audit record.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>
#include <vector>

#include "run_harness.h"
#include "serving_node.h"
#include "tiny_json.h"

namespace esta::test {
namespace {

std::string headcount_event(int i) {
    return "{\"v\":1,\"id\":\"req-" + std::to_string(i) +
           "\",\"type\":\"headcount\",\"employer\":\"ER-HTTP-" + std::to_string(i) +
           "\",\"date\":\"2025-03-03\",\"headcount\":" + std::to_string(5 + i % 20) +
           ",\"first_employee\":\"2001-01-01\"}";
}

TEST_F(RunE2e, A8_IngressConcurrentRequestsEachGetTheirOwnDecision) {
    ServingNode node(fs::path(ESTA_ACCRUAL_SOURCE_DIR) / "app.toml", m_dir);
    ASSERT_GT(node.port(), 0) << node.err();
    constexpr int kRequests = 24;
    std::vector<HttpAnswer> answers(kRequests);
    std::vector<std::thread> clients;
    auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < kRequests; ++i) {
        clients.emplace_back([&answers, &node, i] {
            answers[static_cast<std::size_t>(i)] =
                post(node.port(), "/v1/invoke/accrual", headcount_event(i));
        });
    }
    for (auto& client : clients)
        client.join();
    auto elapsed = std::chrono::steady_clock::now() - started;
    EXPECT_LT(elapsed, std::chrono::seconds(10)) << "the deadline is 10 s";
    for (int i = 0; i < kRequests; ++i) {
        const auto& answer = answers[static_cast<std::size_t>(i)];
        ASSERT_EQ(answer.status, 200) << i << ": " << answer.body << node.err();
        JsonObject decision = parse_flat_json(answer.body);
        EXPECT_EQ(decision["event"].text, "req-" + std::to_string(i)) << answer.body;
        EXPECT_EQ(decision["kind"].text, "headcount");
        EXPECT_EQ(decision["module_sha256"].text.size(), 64u);
    }
    EXPECT_EQ(post(node.port(), "/v1/invoke/accrual", "").status, 400);
    EXPECT_EQ(post(node.port(), "/v1/invoke/nobody", "{}").status, 404);
    EXPECT_EQ(node.stop(), 130) << node.err();
}

TEST_F(RunE2e, S3_IngressRefusesAProcessItHoldsNoRouteToAndAuditsIt) {
    // The route is renamed: the ingress reaches "accrual" only as "approve".
    fs::path manifest = manifest_variant("[ingress.routes.accrual]", "[ingress.routes.approve]");
    ServingNode node(manifest, m_dir);
    ASSERT_GT(node.port(), 0) << node.err();
    HttpAnswer refused = post(node.port(), "/v1/invoke/accrual", headcount_event(1));
    EXPECT_EQ(refused.status, 403) << refused.body;
    EXPECT_NE(refused.body.find("no capability for process accrual"), std::string::npos)
        << refused.body;
    EXPECT_NE(refused.headers.find("Estalogic-Audit-Record: "), std::string::npos);
    // An answer carries the caller's trace (a valid traceparent continues it) and the id of
    // its ingress.decision record; a request may shorten the deadline, not extend it.
    const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
    HttpAnswer allowed = post(
        node.port(), "/v1/invoke/approve", headcount_event(2),
        "traceparent: 00-" + trace + "-00f067aa0ba902b7-01\r\nEstalogic-Deadline-Ms: 9000\r\n");
    EXPECT_EQ(allowed.status, 200) << allowed.body;
    EXPECT_NE(allowed.headers.find("Estalogic-Trace-Id: " + trace + "\r\n"), std::string::npos)
        << allowed.headers;
    EXPECT_NE(allowed.headers.find("Estalogic-Audit-Record: "), std::string::npos)
        << allowed.headers;
    HttpAnswer fresh = post(node.port(), "/v1/invoke/approve", headcount_event(3));
    EXPECT_EQ(fresh.status, 200) << fresh.body;
    EXPECT_EQ(fresh.headers.find(trace), std::string::npos) << fresh.headers;
    EXPECT_NE(fresh.headers.find("Estalogic-Trace-Id: "), std::string::npos) << fresh.headers;
    HttpAnswer too_long = post(node.port(), "/v1/invoke/approve", headcount_event(4),
                               "Estalogic-Deadline-Ms: 3600000\r\n");
    EXPECT_EQ(too_long.status, 400) << too_long.body;
    EXPECT_EQ(node.stop(), 130) << node.err();

    // The refusal is a record of the chained log, which verifies.
    std::string log;
    for (const auto& entry : fs::directory_iterator(m_dir / "state" / "audit"))
        log += read_text(entry.path());
    EXPECT_NE(log.find("ingress.denied"), std::string::npos);
    EXPECT_NE(log.find("ingress.decision"), std::string::npos);
    Outcome verified = estalogic("verify-log " + (m_dir / "state" / "audit").string());
    EXPECT_EQ(verified.exit, 0) << verified.out << verified.err;
}

}  // namespace
}  // namespace esta::test
