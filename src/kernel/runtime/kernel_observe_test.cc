// The kernel observed end to end (REQUIREMENTS O-4): three C guests relay one message and
// the last calls a key-value driver, under the Kernel with KernelTelemetry as its observer.
// The spans leave through the batch processor and the OTLP/HTTP exporter to a test
// receiver, whose JSON is read back with a real parser. Time is the injected clock.
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <regex>

#include "kernel/driver_port.h"
#include "kernel/observer_bridge.h"
#include "kernel/runtime/kernel_runtime.h"
#include "kernel/runtime/test_guests.h"
#include "kernel/test_kv_driver.h"
#include "kernel/test_support.h"
#include "observe/kernel_telemetry.h"
#include "observe/trace/batch_span_processor.h"
#include "observe/trace/id_source.h"
#include "observe/trace/otlp_exporter.h"
#include "observe/trace/otlp_test_receiver.h"
#include "observe/trace/sampler.h"

namespace esta::kernel {
namespace {

using nlohmann::json;

// Receives on 0x30, opens a guest span, passes the message on to "next" inside it.
constexpr const char* kRelay = R"(#include "estalogic.h"
static char buf[64];
static esta_info info;
__attribute__((export_name("_start"))) void start(void) {
    esta_handle next = esta_cap_lookup("next", 4);
    if (next < 0) esta_exit(90);
    esta_i32 n = esta_recv(ESTA_RECV_FOREVER, 0x30, buf, sizeof buf, &info);
    if (n < 0) esta_exit(91);
    esta_i64 span = esta_span_begin("relay", 5);
    if (span <= 0) esta_exit(92);
    if (esta_send(next, 0x30, buf, (esta_u32)n, 0, 0, 0) < 0) esta_exit(93);
    if (esta_span_end(span, 0) != 0) esta_exit(94);
    esta_exit(0);
}
)";

// Receives on 0x30 and stores the payload under "hours" through the kv driver.
constexpr const char* kStore = R"(#include "estalogic.h"
static unsigned char buf[64];
static unsigned char req[128];
static unsigned char resp[64];
static esta_info info;
static void put_u32(unsigned char* p, esta_u32 v) {
    for (int i = 0; i < 4; ++i) p[i] = (unsigned char)(v >> (8 * i));
}
__attribute__((export_name("_start"))) void start(void) {
    esta_handle kv = esta_cap_lookup("kv", 2);
    if (kv < 0) esta_exit(90);
    esta_i32 n = esta_recv(ESTA_RECV_FOREVER, 0x30, buf, sizeof buf, &info);
    if (n < 0) esta_exit(91);
    esta_u32 at = 0;
    req[at++] = ESTA_VALUE_LIST;
    put_u32(req + at, 2);
    at += 4;
    req[at++] = ESTA_VALUE_TEXT;
    put_u32(req + at, 5);
    at += 4;
    req[at++] = 'h';
    req[at++] = 'o';
    req[at++] = 'u';
    req[at++] = 'r';
    req[at++] = 's';
    if (n != 2) esta_exit(93);  // No libc: copy the two bytes by hand, not by memcpy.
    req[at++] = ESTA_VALUE_BYTES;
    put_u32(req + at, 2);
    at += 4;
    req[at++] = buf[0];
    req[at++] = buf[1];
    if (esta_call(kv, ESTA_KV_SET, req, at, resp, sizeof resp, 100) != 1) esta_exit(92);
    esta_exit(0);
}
)";

// The kernel's clock as observe's.
class KernelTime final : public observe::Clock {
  public:
    explicit KernelTime(const protocol::Clock& clock) : m_clock(clock) {}
    i64 now_ns() const override { return m_clock.now_ns(); }

  private:
    const protocol::Clock& m_clock;
};

struct ExportedSpan {
    std::string trace_id;
    std::string span_id;
    std::string parent;
    std::string name;
    int kind = 0;
    i64 start = 0;
    i64 end = 0;
    json attributes;
};

std::string attribute(const ExportedSpan& span, const std::string& key) {
    for (const json& entry : span.attributes) {
        if (entry.at("key") != key) continue;
        const json& value = entry.at("value");
        if (value.contains("stringValue")) return value.at("stringValue");
        if (value.contains("intValue")) return value.at("intValue");
    }
    return {};
}

std::vector<ExportedSpan> spans_of(
    const std::vector<observe::test_support::OtlpTestReceiver::Request>& requests) {
    std::vector<ExportedSpan> spans;
    for (const auto& request : requests) {
        json body = json::parse(request.body);
        for (const json& resource : body.at("resourceSpans")) {
            for (const json& scope : resource.at("scopeSpans")) {
                for (const json& span : scope.at("spans")) {
                    ExportedSpan one;
                    one.trace_id = span.at("traceId");
                    one.span_id = span.at("spanId");
                    one.parent = span.value("parentSpanId", "");
                    one.name = span.at("name");
                    one.kind = span.at("kind");
                    // 64-bit integers are strings in the protobuf JSON mapping.
                    one.start = std::stoll(span.at("startTimeUnixNano").get<std::string>());
                    one.end = std::stoll(span.at("endTimeUnixNano").get<std::string>());
                    one.attributes = span.value("attributes", json::array());
                    spans.push_back(std::move(one));
                }
            }
        }
    }
    return spans;
}

class KernelObserved : public ::testing::Test {
  protected:
    void SetUp() override {
        if (std::string why = m_guests.prepare(); !why.empty()) GTEST_SKIP() << why;
    }
    std::shared_ptr<const wasm::CompiledModule> build(const std::string& name, const char* code) {
        auto module = m_guests.build(name, code);
        if (!module) m_log = m_guests.log();
        return module;
    }

    testing::GuestCompiler m_guests;
    std::string m_log;
};

TEST_F(KernelObserved, O4_TraceCrossesThreeProcessesAndADriverCall) {
    auto relay = build("relay", kRelay);
    auto store = build("store", kStore);
    if (!relay || !store) {
        if (m_log.find("wasm-ld") != std::string::npos) GTEST_SKIP() << m_log;
        FAIL() << m_log;
    }
    observe::test_support::OtlpTestReceiver receiver;
    protocol::ManualClock clock(1'700'000'000'000'000'000);
    KernelTime time(clock);
    observe::MetricsRegistry metrics;
    observe::SeededIdSource ids(7);
    observe::AlwaysOnSampler sampler;
    observe::OtlpHttpOptions options;
    options.endpoint = receiver.endpoint();
    auto exporter = observe::OtlpHttpExporter::create(options);
    ASSERT_TRUE(exporter.has_value());
    observe::BatchSpanProcessor processor(**exporter, metrics);
    observe::Tracer tracer(time, ids, sampler, processor);
    observe::KernelTelemetry telemetry({&metrics, &time, &tracer, nullptr});
    testing::RecordingAudit recorded;
    ObservedCapabilityAudit audit(telemetry, &recorded);
    InMemoryDeadLetters dead_letters;
    KernelConfig config;
    config.threads = 1;
    SyscallServices services;
    services.observer = &telemetry;
    testing::KeyValueDriver driver;
    {
        Kernel kernel(clock, audit, dead_letters, config, services);
        auto port =
            DriverPort::create(ObjectId(1'000'000), ObjectType::RedisKeyspace, "leave", driver);
        ASSERT_TRUE(port.has_value());
        ProcessSpec a, b, c;
        a.module = relay;
        b.module = relay;
        c.module = store;
        c.grants.push_back(GrantSpec{"kv", *port, Right::Write});
        auto spawned_a = kernel.spawn(a);
        auto spawned_b = kernel.spawn(b);
        auto spawned_c = kernel.spawn(c);
        ASSERT_TRUE(spawned_a && spawned_b && spawned_c)
            << (spawned_c ? std::string() : spawned_c.error().to_string());
        ProcessId pa = *spawned_a, pb = *spawned_b, pc = *spawned_c;
        ASSERT_TRUE(kernel.grant(pa, GrantSpec{"next", kernel.endpoint(pb), Right::Write}));
        ASSERT_TRUE(kernel.grant(pb, GrantSpec{"next", kernel.endpoint(pc), Right::Write}));
        ASSERT_TRUE(kernel.send(pa, MessageType(0x30), {'4', '0'}));
        // One slice per millisecond of kernel time, so every hop has its own instant.
        for (int i = 0; i < 100; ++i) {
            clock.advance(kNanosPerMilli);
            auto ran = kernel.run_until_idle(1);
            ASSERT_TRUE(ran.has_value());
            if (*ran == 0) break;
        }
        for (ProcessId pid : {pa, pb, pc})
            EXPECT_EQ(kernel.process(pid)->exit->to_string(), "normal") << pid.value();
    }
    EXPECT_EQ(driver.values.at("hours"), (abi::ByteString{'4', '0'}));
    processor.flush();

    std::vector<ExportedSpan> spans = spans_of(receiver.requests());
    ASSERT_FALSE(spans.empty());
    for (const auto& request : receiver.requests())
        EXPECT_EQ(request.content_type, "application/json");
    const std::regex trace_hex("[0-9a-f]{32}");
    const std::regex span_hex("[0-9a-f]{16}");
    std::map<std::string, const ExportedSpan*> by_id;
    for (const ExportedSpan& span : spans) {
        EXPECT_TRUE(std::regex_match(span.trace_id, trace_hex)) << span.trace_id;
        EXPECT_TRUE(std::regex_match(span.span_id, span_hex)) << span.span_id;
        EXPECT_TRUE(span.parent.empty() || std::regex_match(span.parent, span_hex));
        EXPECT_LE(span.start, span.end) << span.name;
        EXPECT_TRUE(by_id.emplace(span.span_id, &span).second) << "duplicate " << span.span_id;
    }

    // The message's path, each span the parent of the next: the kernel's send, A handling
    // it, A's guest span, A's send, B handling ..., C handling, C's driver call.
    auto find = [&](const std::string& name, const std::string& parent) -> const ExportedSpan* {
        for (const ExportedSpan& span : spans) {
            if (span.name == name && span.parent == parent) return &span;
        }
        return nullptr;
    };
    const std::string a = "process/1", b = "process/2", c = "process/3";
    struct Hop {
        std::string name;
        int kind;
    };
    const std::vector<Hop> path = {
        {a + " publish", 4}, {a + " process", 5}, {"relay", 1},
        {b + " publish", 4}, {b + " process", 5}, {"relay", 1},
        {c + " publish", 4}, {c + " process", 5}, {"SET", 3},
    };
    std::vector<const ExportedSpan*> chain;
    std::string parent;
    for (const Hop& hop : path) {
        const ExportedSpan* span = find(hop.name, parent);
        ASSERT_NE(span, nullptr) << hop.name << " under " << parent;
        EXPECT_EQ(span->kind, hop.kind) << hop.name;
        chain.push_back(span);
        parent = span->span_id;
    }
    for (const ExportedSpan* span : chain) {
        EXPECT_EQ(span->trace_id, chain.front()->trace_id) << span->name;  // One trace.
    }
    // Timing on the injected clock: a child starts no earlier than its parent, a span
    // nested in a slice ends within its parent, and each process handles the message at a
    // later instant than the one before it.
    for (std::size_t i = 1; i < chain.size(); ++i)
        EXPECT_GE(chain[i]->start, chain[i - 1]->start) << chain[i]->name;
    EXPECT_LE(chain[2]->end, chain[1]->end);  // A's guest span inside A's handling.
    EXPECT_LE(chain[8]->end, chain[7]->end);  // The driver call inside C's handling.
    EXPECT_LT(chain[1]->start, chain[4]->start);
    EXPECT_LT(chain[4]->start, chain[7]->start);
    EXPECT_EQ(chain[0]->start, 1'700'000'000'000'000'000);  // Sent before the first tick.
    EXPECT_EQ((chain[1]->start - chain[0]->start) % kNanosPerMilli, 0);
    // Semantic-convention attributes.
    EXPECT_EQ(attribute(*chain[0], "messaging.system"), "estalogic");
    EXPECT_EQ(attribute(*chain[0], "messaging.operation"), "publish");
    EXPECT_EQ(attribute(*chain[0], "messaging.destination.name"), a);
    EXPECT_EQ(attribute(*chain[4], "messaging.operation"), "process");
    EXPECT_EQ(attribute(*chain[4], "messaging.message.body.size"), "2");
    EXPECT_EQ(attribute(*chain[8], "db.system"), "redis");
    EXPECT_EQ(attribute(*chain[8], "db.operation"), "SET");
    // Spawns and exits are spans of their own.
    int spawns = 0, exits = 0;
    for (const ExportedSpan& span : spans) {
        spawns += span.name == "process spawn";
        exits += span.name == "process exit";
    }
    EXPECT_EQ(spawns, 3);
    EXPECT_EQ(exits, 3);
}

}  // namespace
}  // namespace esta::kernel
