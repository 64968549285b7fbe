#include "observe/trace/tracer.h"

#include <gtest/gtest.h>

#include <mutex>

#include "observe/trace/guest_spans.h"

namespace esta::observe {
namespace {

class MemorySink final : public SpanSink {
  public:
    void on_end(SpanData&& span) override {
        std::lock_guard lock(m_mutex);
        m_spans.push_back(std::move(span));
    }
    std::vector<SpanData> spans() const {
        std::lock_guard lock(m_mutex);
        return m_spans;
    }

  private:
    mutable std::mutex m_mutex;
    std::vector<SpanData> m_spans;
};

const AttributeValue* find(const std::vector<Attribute>& attributes, std::string_view key) {
    for (const Attribute& attribute : attributes)
        if (attribute.key == key) return &attribute.value;
    return nullptr;
}

struct Fixture {
    ManualClock clock{1'000};
    SeededIdSource ids{7};
    AlwaysOnSampler always_on;
    MemorySink sink;
    Tracer tracer{clock, ids, always_on, sink};
};

TEST(Tracer, O4_ChildKeepsTraceIdAndLinksToItsParent) {
    Fixture f;
    Span root = f.tracer.start_span("root", SpanKind::Server);
    ASSERT_TRUE(root.recording());
    EXPECT_TRUE(root.context().sampled());
    EXPECT_TRUE(root.context().trace_flags & kTraceFlagRandom);
    f.clock.advance(10);
    Span child = f.tracer.start_span("child", SpanKind::Internal, &root.context());
    EXPECT_EQ(child.context().trace_id, root.context().trace_id);
    EXPECT_NE(child.context().span_id, root.context().span_id);
    f.clock.advance(5);
    child.end();
    child.end();  // Idempotent.
    f.clock.advance(1);
    root.end();
    const auto spans = f.sink.spans();
    ASSERT_EQ(spans.size(), 2u);
    EXPECT_EQ(spans[0].name, "child");
    EXPECT_EQ(spans[0].parent_span_id, root.context().span_id);
    EXPECT_EQ(spans[0].start_ns, 1'010);
    EXPECT_EQ(spans[0].end_ns, 1'015);
    EXPECT_FALSE(spans[1].parent_span_id.valid());
    EXPECT_EQ(spans[1].kind, SpanKind::Server);
    EXPECT_EQ(spans[1].end_ns, 1'016);
}

TEST(Tracer, O4_UnsampledSpanRecordsNothingButPropagates) {
    Fixture f;
    AlwaysOffSampler off;
    Tracer tracer(f.clock, f.ids, off, f.sink);
    Span span = tracer.start_span("dropped");
    EXPECT_FALSE(span.recording());
    EXPECT_TRUE(span.context().valid());
    EXPECT_FALSE(span.context().sampled());
    span.set_attribute("k", i64{1});
    span.end();
    EXPECT_TRUE(f.sink.spans().empty());
}

TEST(Tracer, O4_RemoteParentTracestateAndFlagsCarryOver) {
    Fixture f;
    auto parent = parse_trace_headers("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                                      "vendor=opaque");
    ASSERT_TRUE(parent);
    {
        Span span = f.tracer.start_span("handle", SpanKind::Consumer, &*parent);
        EXPECT_EQ(span.context().trace_state.header(), "vendor=opaque");
        EXPECT_FALSE(span.context().remote);
    }  // The destructor ends it.
    const auto spans = f.sink.spans();
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_TRUE(spans[0].parent_remote);
    EXPECT_EQ(spans[0].parent_span_id.hex(), "00f067aa0ba902b7");
    EXPECT_EQ(spans[0].context.trace_id.hex(), "4bf92f3577b34da6a3ce929d0e0e4736");
}

TEST(Tracer, O4_AttributesEventsAndStatusAreBounded) {
    Fixture f;
    Span span = f.tracer.start_span(std::string(1000, 'n'));
    for (int i = 0; i < 100; ++i)
        span.set_attribute("key" + std::to_string(i), i64{i});
    span.set_attribute("key0", std::string(5000, 'v'));  // Replaces, truncated.
    for (int i = 0; i < 40; ++i)
        span.add_event("event");
    span.set_status(StatusCode::Error, "failed");
    span.end();
    const SpanData data = f.sink.spans().at(0);
    EXPECT_EQ(data.name.size(), kMaxSpanNameLength);
    EXPECT_EQ(data.attributes.size(), kMaxSpanAttributes);
    EXPECT_EQ(data.dropped_attributes, 100 - kMaxSpanAttributes);
    EXPECT_EQ(std::get<std::string>(*find(data.attributes, "key0")).size(),
              kMaxAttributeValueLength);
    EXPECT_EQ(data.events.size(), kMaxSpanEvents);
    EXPECT_EQ(data.dropped_events, 40 - kMaxSpanEvents);
    EXPECT_EQ(data.status, StatusCode::Error);
    EXPECT_EQ(data.status_message, "failed");
}

TEST(Tracer, O4_OkStatusIsFinalAndUnsetIsIgnored) {
    Fixture f;
    Span span = f.tracer.start_span("status");
    span.set_status(StatusCode::Error, "first");
    span.set_status(StatusCode::Unset);
    span.set_status(StatusCode::Ok, "message dropped for Ok");
    span.set_status(StatusCode::Error, "too late");
    span.end();
    const SpanData data = f.sink.spans().at(0);
    EXPECT_EQ(data.status, StatusCode::Ok);
    EXPECT_EQ(data.status_message, "");
}

TEST(Tracer, TruncationKeepsUtf8Whole) {
    EXPECT_EQ(truncate_utf8("ab\xC3\xA9", 3), "ab");
    EXPECT_EQ(truncate_utf8("ab\xC3\xA9", 4), "ab\xC3\xA9");
}

TEST(Semconv, O4_KafkaPostgresAndRedisAttributes) {
    const semconv::SpanShape kafka = semconv::kafka({semconv::KafkaOperation::Publish,
                                                     "orders",
                                                     3,
                                                     42,
                                                     "employee-7",
                                                     std::nullopt,
                                                     "esta",
                                                     {"broker", 9092}});
    EXPECT_EQ(kafka.name, "orders publish");
    EXPECT_EQ(kafka.kind, SpanKind::Producer);
    EXPECT_EQ(std::get<std::string>(*find(kafka.attributes, "messaging.system")), "kafka");
    EXPECT_EQ(std::get<std::string>(*find(kafka.attributes, "messaging.destination.name")),
              "orders");
    EXPECT_EQ(std::get<i64>(*find(kafka.attributes, "messaging.kafka.destination.partition")), 3);
    EXPECT_EQ(std::get<i64>(*find(kafka.attributes, "messaging.kafka.message.offset")), 42);
    EXPECT_EQ(std::get<std::string>(*find(kafka.attributes, "messaging.kafka.message.key")),
              "employee-7");
    EXPECT_EQ(std::get<i64>(*find(kafka.attributes, "server.port")), 9092);
    semconv::KafkaCall receive;
    receive.operation = semconv::KafkaOperation::Receive;
    receive.topic = "orders";
    receive.consumer_group = "accrual";
    const auto consume = semconv::kafka(receive);
    EXPECT_EQ(consume.kind, SpanKind::Consumer);
    EXPECT_EQ(std::get<std::string>(*find(consume.attributes, "messaging.kafka.consumer.group")),
              "accrual");

    semconv::PostgresCall select;
    select.database = "esta";
    select.operation = "SELECT";
    select.table = "balances";
    const auto pg = semconv::postgres(select);
    EXPECT_EQ(pg.name, "SELECT esta.balances");
    EXPECT_EQ(pg.kind, SpanKind::Client);
    EXPECT_EQ(std::get<std::string>(*find(pg.attributes, "db.system")), "postgresql");
    EXPECT_EQ(std::get<std::string>(*find(pg.attributes, "db.name")), "esta");
    EXPECT_EQ(std::get<std::string>(*find(pg.attributes, "db.operation")), "SELECT");
    EXPECT_EQ(std::get<std::string>(*find(pg.attributes, "db.sql.table")), "balances");

    semconv::RedisCall get;
    get.command = "GET";
    get.database_index = 2;
    const auto redis = semconv::redis(get);
    EXPECT_EQ(redis.name, "GET");
    EXPECT_EQ(std::get<std::string>(*find(redis.attributes, "db.system")), "redis");
    EXPECT_EQ(std::get<i64>(*find(redis.attributes, "db.redis.database_index")), 2);
}

TEST(GuestSpans, O4_GuestSpansNestUnderTheMessageContext) {
    Fixture f;
    Span receive = f.tracer.start_span("receive", SpanKind::Consumer);
    GuestSpans guest(f.tracer);
    guest.set_current_context(receive.context());
    auto outer = guest.begin("compute accrual");
    ASSERT_TRUE(outer);
    EXPECT_GT(*outer, 0);
    auto inner = guest.begin("look up balance");
    ASSERT_TRUE(inner);
    ASSERT_TRUE(guest.end(*inner, 0));
    ASSERT_TRUE(guest.end(*outer, 4));
    EXPECT_EQ(guest.end(*outer, 0).error().code, Status::NotFound);
    EXPECT_EQ(guest.end(12345, 0).error().code, Status::NotFound);
    EXPECT_EQ(guest.end(-1, 0).error().code, Status::NotFound);
    const auto spans = f.sink.spans();
    ASSERT_EQ(spans.size(), 2u);
    EXPECT_EQ(spans[0].name, "look up balance");
    EXPECT_GT(*inner, *outer);
    EXPECT_EQ(spans[0].parent_span_id, spans[1].context.span_id);
    EXPECT_EQ(spans[0].status, StatusCode::Unset);
    EXPECT_EQ(spans[1].parent_span_id, receive.context().span_id);
    EXPECT_EQ(spans[1].status, StatusCode::Error);
    EXPECT_EQ(std::get<i64>(*find(spans[1].attributes, "esta.guest.status")), 4);
}

TEST(GuestSpans, O4_OpenGuestSpansAreBoundedAndEndedAtExit) {
    Fixture f;
    {
        GuestSpans guest(f.tracer);
        for (std::size_t i = 0; i < kMaxOpenGuestSpans; ++i)
            ASSERT_TRUE(guest.begin("s"));
        auto over = guest.begin("one too many");
        ASSERT_FALSE(over);
        EXPECT_EQ(over.error().code, Status::Limit);
    }
    const auto spans = f.sink.spans();
    ASSERT_EQ(spans.size(), kMaxOpenGuestSpans);
    EXPECT_TRUE(std::get<bool>(*find(spans[0].attributes, "esta.guest.unended")));
}

// K-60: a critical process's message's spans are provisional until its replicas agree.
TEST(GuestSpans, K60_HeldSpansAreExportedOnSettleOrForgottenWithTheirIds) {
    Fixture f;
    GuestSpans guest(f.tracer);
    auto before = guest.begin("before");  // Begun by an earlier, released message.
    ASSERT_TRUE(before);
    guest.hold();
    auto first = guest.begin("held");
    ASSERT_TRUE(first);
    ASSERT_TRUE(guest.end(*first, 5));
    ASSERT_TRUE(guest.end(*before, 0));
    EXPECT_EQ(guest.end(*before, 0).error().code, Status::NotFound);  // Ended for the guest.
    EXPECT_TRUE(f.sink.spans().empty());
    guest.settle(false);  // Retried: none of it happened.
    EXPECT_TRUE(f.sink.spans().empty());
    EXPECT_EQ(guest.open_count(), 1u);  // "before" is open again.
    guest.hold();
    auto again = guest.begin("held");
    ASSERT_TRUE(again);
    EXPECT_EQ(*again, *first);  // The same id for the same request.
    ASSERT_TRUE(guest.end(*again, 5));
    const i64 ended_at = f.clock.now_ns();
    ASSERT_TRUE(guest.end(*before, 0));
    f.clock.advance(1'000);
    guest.settle(true);  // Released: exported as the guest ended them.
    const auto spans = f.sink.spans();
    ASSERT_EQ(spans.size(), 2u);
    EXPECT_EQ(spans[0].name, "held");
    EXPECT_EQ(spans[0].status, StatusCode::Error);
    EXPECT_EQ(spans[0].end_ns, ended_at);
    EXPECT_EQ(spans[0].parent_span_id, spans[1].context.span_id);
    EXPECT_EQ(spans[1].name, "before");
    EXPECT_EQ(guest.open_count(), 0u);
}

TEST(IdSource, SeededIdsAreDeterministicAndNonZero) {
    SeededIdSource a(99), b(99), c(100);
    const TraceId first = a.new_trace_id();
    EXPECT_EQ(first, b.new_trace_id());
    EXPECT_NE(first, c.new_trace_id());
    EXPECT_TRUE(first.valid());
    EXPECT_TRUE(a.new_span_id().valid());
}

}  // namespace
}  // namespace esta::observe
