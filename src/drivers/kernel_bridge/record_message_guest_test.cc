// A guest reads a consumed record the way ABI.md describes it, with the C SDK's value
// reader: the record value first (skipped as one self-delimiting value, fields found by
// name), then the payload bytes. The guest answers offset, partition, key and payload.
#include <gtest/gtest.h>

#include "drivers/kernel_bridge/guest_harness.h"
#include "drivers/kernel_bridge/record_message.h"

namespace esta::drivers::testing {
namespace {

constexpr const char* kRecordReader = R"(#include "estalogic.h"
#include "estalogic_value.h"
static unsigned char in[4096];
static unsigned char out[4096];
static esta_info info;
__attribute__((export_name("estalogic_handle"))) esta_i32 handle(void) {
    esta_i32 n = esta_recv(ESTA_RECV_POLL, 0x0100, in, sizeof in, &info);
    if (n < 0) return -1;
    esta_reader record;
    esta_reader_init(&record, in, (esta_u32)n);
    esta_reader field;
    esta_i64 offset = -1, partition = -1;
    if (esta_map_find(&record, "offset", 6, &field) == 1) offset = esta_get_i64(&field);
    if (esta_map_find(&record, "partition", 9, &field) == 1) partition = esta_get_i64(&field);
    esta_u32 key_len = 0;
    const esta_u8* key = 0;
    if (esta_map_find(&record, "key", 3, &field) == 1) key = esta_get_bytes(&field, &key_len);
    esta_skip_value(&record);
    if (record.error) return -2;
    esta_writer w;
    esta_writer_init(&w, out, sizeof out);
    esta_put_list(&w, 4);
    esta_put_i64(&w, offset);
    esta_put_i64(&w, partition);
    esta_put_bytes(&w, key, key_len);
    esta_put_bytes(&w, in + record.pos, (esta_u32)n - record.pos);
    esta_i32 len = esta_writer_finish(&w);
    if (len < 0) return -3;
    esta_handle sink = esta_cap_lookup("sink", 4);
    return esta_send(sink, 0x20, out, (esta_u32)len, 0, 0, 0) < 0 ? -4 : 0;
}
)";

TEST(RecordMessageGuest, D3_AGuestReadsTheRecordThenThePayload) {
    std::string log;
    auto module = compile_guest("record_reader", kRecordReader, log);
    if (!module) {
        if (log.rfind("skip: ", 0) == 0) GTEST_SKIP() << log;
        FAIL() << log;
    }
    GuestHarness harness(module);
    TopicRecord record;
    record.key = "emp-7";
    record.value = std::string("{\"hours\": 40}");
    record.headers = {{"source", "payroll"}};
    record.partition = 3;
    record.offset = 1234;
    record.timestamp = 1'700'000'000'000'000'000;
    auto answer = harness.deliver(kRecordMessageType, record_message_payload(record));
    ASSERT_TRUE(answer) << answer.error().to_string();
    auto decoded = kernel::abi::decode_value(ByteSpan(answer->data(), answer->size()));
    ASSERT_TRUE(decoded) << decoded.error().to_string();
    EXPECT_EQ(*decoded, Value(ValueList{i64{1234}, i64{3}, bytes_value("emp-7"),
                                        bytes_value("{\"hours\": 40}")}));
}

}  // namespace
}  // namespace esta::drivers::testing
