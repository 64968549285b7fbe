/* The SDK's value header compiled as C by the host compiler (gcc): sdk_value_test.cc checks
 * what this writes against the kernel's decoder, byte for byte. */
#include "sdk_value_c.h"

#include "estalogic_message.h"
#include "estalogic_value.h"

esta_i32 sdk_c_write_all_tags(esta_u8* out, esta_u32 cap) {
    static const esta_u8 kUuid[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 0xFF};
    esta_writer w;
    esta_writer_init(&w, out, cap);
    esta_put_map(&w, 12);
    esta_put_key(&w, "null", 4);
    esta_put_null(&w);
    esta_put_key(&w, "false", 5);
    esta_put_bool(&w, 0);
    esta_put_key(&w, "true", 4);
    esta_put_bool(&w, 1);
    esta_put_key(&w, "i64", 3);
    esta_put_i64(&w, -1234567890123LL);
    esta_put_key(&w, "f64", 3);
    esta_put_f64(&w, -0.5);
    esta_put_key(&w, "text", 4);
    esta_put_text(&w, "h\xC3\xA9llo", 6);
    esta_put_key(&w, "bytes", 5);
    esta_put_bytes(&w, "\x00\x01\xFF", 3);
    esta_put_key(&w, "list", 4);
    esta_put_list(&w, 2);
    esta_put_i64(&w, 1);
    esta_put_list(&w, 0);
    esta_put_key(&w, "map", 3);
    esta_put_map(&w, 1);
    esta_put_key(&w, "k", 1);
    esta_put_text(&w, "", 0);
    esta_put_key(&w, "timestamp", 9);
    esta_put_timestamp(&w, 1700000000123456789LL);
    esta_put_key(&w, "uuid", 4);
    esta_put_uuid(&w, kUuid);
    esta_put_key(&w, "decimal", 7);
    esta_put_decimal(&w, -12345, 2);
    return esta_writer_finish(&w);
}

esta_i32 sdk_c_read_all_tags(const esta_u8* data, esta_u32 len, esta_i64* sum) {
    esta_reader r;
    esta_reader_init(&r, data, len);
    esta_u32 n;
    esta_reader value;
    *sum = 0;
    if (esta_map_find(&r, "decimal", 7, &value) == 1) {
        esta_i64 unscaled;
        esta_u8 scale;
        esta_get_decimal(&value, &unscaled, &scale);
        *sum += unscaled + scale;
    }
    if (esta_get_map(&r) != 12) return -100;
    for (esta_u32 i = 0; i < 12; ++i) {
        (void)esta_get_key(&r, &n);
        if (esta_peek_tag(&r) == ESTA_VALUE_I64)
            *sum += esta_get_i64(&r);
        else
            esta_skip_value(&r);
    }
    return esta_reader_finish(&r);
}

esta_i32 sdk_c_decode_info(const esta_u8* raw, esta_u32 len, esta_info* out) {
    return esta_info_decode(raw, len, out);
}
