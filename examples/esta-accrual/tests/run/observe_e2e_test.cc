// What `estalogic run` shows of itself (docs/TRACING.md, "estalogic run"): with
// [observability.tracing] otlp_endpoint set, the spans of the kernel's work reach an OTLP/HTTP
// receiver as JSON whose ids and parent links form one trace per event; /metrics of a
// serving node passes `promtool check metrics`, names every O-5 family, and moves.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "observe/o5_catalogue.h"
#include "observe/trace/otlp_test_receiver.h"
#include "run_harness.h"
#include "serving_node.h"

namespace esta::test {
namespace {

using nlohmann::json;

bool lower_hex(const std::string& text, std::size_t length) {
    if (text.size() != length || text == std::string(length, '0')) return false;
    for (char c : text)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
    return true;
}

bool digits(const json& value) {
    if (!value.is_string()) return false;
    const std::string text = value.get<std::string>();
    return !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
}

constexpr int kProducer = 4;
constexpr int kConsumer = 5;
constexpr int kClient = 3;

TEST_F(RunE2e, O4_S2_RunExportsSpansToTheManifestsOtlpEndpoint) {
    observe::test_support::OtlpTestReceiver receiver;
    // The collector's token comes from the environment the manifest names (S-2).
    ::setenv("ESTA_E2E_OTLP_AUTHORIZATION", "Bearer e2e-collector", 1);
    fs::path manifest = manifest_variant(
        "[observability.http]",
        "[observability.tracing]\nsampler = \"always-on\"\notlp_endpoint = \"" +
            receiver.endpoint() +
            "\"\notlp_headers = { Authorization = { env = \"ESTA_E2E_OTLP_AUTHORIZATION\" } }"
            "\n\n[observability.http]");
    constexpr int kEvents = 20;
    Outcome run = estalogic("run " + manifest.string() + " --generate " + std::to_string(kEvents) +
                            " --state-dir " + (m_dir / "state").string() + " --quiet --no-http");
    ASSERT_EQ(run.exit, 0) << run.out << run.err;

    std::map<std::string, json> spans;  // span id -> span
    for (const auto& request : receiver.requests()) {
        EXPECT_EQ(request.path, "/v1/traces");
        EXPECT_EQ(request.content_type, "application/json");
        EXPECT_EQ(request.authorization, "Bearer e2e-collector");
        json body = json::parse(request.body);
        for (const auto& resource : body.at("resourceSpans")) {
            bool named = false;
            for (const auto& attribute : resource.at("resource").at("attributes"))
                named |= attribute.at("key") == "service.name" &&
                         attribute.at("value").at("stringValue") == "esta-accrual";
            EXPECT_TRUE(named) << resource.dump();
            for (const auto& scope : resource.at("scopeSpans"))
                for (const auto& span : scope.at("spans")) {
                    const std::string id = span.at("spanId");
                    EXPECT_TRUE(lower_hex(id, 16)) << span.dump();
                    EXPECT_TRUE(lower_hex(span.at("traceId"), 32)) << span.dump();
                    EXPECT_TRUE(digits(span.at("startTimeUnixNano"))) << span.dump();
                    EXPECT_TRUE(digits(span.at("endTimeUnixNano"))) << span.dump();
                    EXPECT_LE(std::stoull(span.at("startTimeUnixNano").get<std::string>()),
                              std::stoull(span.at("endTimeUnixNano").get<std::string>()));
                    EXPECT_TRUE(span.at("kind").is_number()) << span.dump();
                    EXPECT_EQ(spans.count(id), 0u) << "span id used twice: " << id;
                    spans[id] = span;
                }
        }
    }
    ASSERT_FALSE(spans.empty()) << run.err;

    // Each event: PRODUCER (the node hands it to the process) -> CONSUMER (the process
    // handles it) -> PRODUCER (its decision to the sink) and CLIENT (its key-value calls),
    // all in the trace the first one started.
    std::set<std::string> traces_handled;
    int consumers = 0, decisions = 0, driver_calls = 0;
    for (const auto& [id, span] : spans) {
        const int kind = span.at("kind");
        if (!span.contains("parentSpanId") || span.at("parentSpanId") == "") continue;
        auto parent = spans.find(span.at("parentSpanId").get<std::string>());
        if (kind == kConsumer) {
            ++consumers;
            ASSERT_NE(parent, spans.end()) << "consumer without its producer: " << span.dump();
            EXPECT_EQ(parent->second.at("kind"), kProducer);
            EXPECT_EQ(parent->second.at("traceId"), span.at("traceId"));
            EXPECT_FALSE(parent->second.contains("parentSpanId") &&
                         !parent->second.at("parentSpanId").get<std::string>().empty())
                << "the node's hand-over starts the trace";
            traces_handled.insert(span.at("traceId"));
        } else if (parent != spans.end() && parent->second.at("kind") == kConsumer) {
            EXPECT_EQ(parent->second.at("traceId"), span.at("traceId"));
            if (kind == kProducer) ++decisions;
            if (kind == kClient) ++driver_calls;
        }
    }
    EXPECT_GE(consumers, kEvents);
    EXPECT_GE(decisions, kEvents);
    EXPECT_GT(driver_calls, 0);
    EXPECT_GE(traces_handled.size(), static_cast<std::size_t>(kEvents));
}

std::string counter(const std::string& text, const std::string& name) {
    auto at = text.find("\n" + name + " ");
    if (at == std::string::npos) return "";
    at += name.size() + 2;
    return text.substr(at, text.find('\n', at) - at);
}

TEST_F(RunE2e, O5_ServingNodeMetricsPassPromtoolNameEveryFamilyAndMove) {
    ServingNode node(fs::path(ESTA_ACCRUAL_SOURCE_DIR) / "app.toml", m_dir);
    ASSERT_GT(node.port(), 0) << node.err();
    const int metrics_port = node.metrics_port();
    ASSERT_GT(metrics_port, 0) << read_text(node.state() / "data" / "status.json");
    HttpAnswer before = request(metrics_port, "GET", "/metrics", "");
    ASSERT_EQ(before.status, 200) << before.body;
    for (int i = 0; i < 5; ++i) {
        HttpAnswer answer = post(node.port(), "/v1/invoke/accrual",
                                 "{\"v\":1,\"id\":\"m-" + std::to_string(i) +
                                     "\",\"type\":\"headcount\",\"employer\":\"ER-M\",\"date\":"
                                     "\"2025-03-03\",\"headcount\":12}");
        ASSERT_EQ(answer.status, 200) << answer.body;
    }
    HttpAnswer after = request(metrics_port, "GET", "/metrics", "");
    ASSERT_EQ(after.status, 200);
    EXPECT_EQ(node.stop(), 130) << node.err();

    std::string missing;
    for (const auto* family : observe::missing_o5_families(after.body))
        missing += std::string(family->exposition_name) + " ";
    EXPECT_EQ(missing, "") << after.body;
    for (const char* name :
         {"esta_kernel_messages_sent_total", "esta_kernel_messages_received_total",
          "esta_kernel_fuel_used_total", "esta_run_decisions_total"}) {
        const std::string was = counter(before.body, name);
        const std::string now = counter(after.body, name);
        ASSERT_FALSE(now.empty()) << name << "\n" << after.body;
        EXPECT_GT(std::stod(now), was.empty() ? 0.0 : std::stod(was)) << name;
    }
    EXPECT_NE(after.body.find("esta_drivers_circuit_state{driver=\"kv\"} 0"), std::string::npos);
    // Every audit record counts, not only the modules': before any event the kernel has
    // recorded its spawns and capabilities.
    const std::string audit_before = counter(before.body, "esta_run_audit_records_total");
    ASSERT_FALSE(audit_before.empty()) << before.body;
    EXPECT_GT(std::stod(audit_before), 0.0) << before.body;
    EXPECT_NE(after.body.find("esta_protocol_journal_lag_seconds{journal=\"input\"}"),
              std::string::npos);
    // The accrual process is critical: its lockstep comparisons (K-60) count here too.
    EXPECT_NE(after.body.find("esta_kernel_lockstep_comparisons_total{process=\"process."),
              std::string::npos)
        << after.body;

    // promtool (package prometheus) lints the exposition; CI installs it.
    const bool have_promtool = std::system("command -v promtool >/dev/null 2>&1") == 0;
    if (!have_promtool) {
        const char* ci = std::getenv("CI");
        ASSERT_FALSE(ci && std::string(ci) == "true") << "promtool is required in CI";
        GTEST_SKIP() << "promtool not installed";
    }
    fs::path scrape = write("metrics.txt", after.body);
    const std::string command = "promtool check metrics <" + scrape.string() + " >" +
                                (m_dir / "promtool.txt").string() + " 2>&1";
    EXPECT_EQ(std::system(command.c_str()), 0) << read_text(m_dir / "promtool.txt");
}

}  // namespace
}  // namespace esta::test
