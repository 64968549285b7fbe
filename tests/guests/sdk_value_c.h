/* C functions built from sdk_value_c.c by the host's C compiler, for sdk_value_test.cc. */
#pragma once

#include "estalogic.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A map with one entry per value tag (all 12), as the SDK writes it: the length or -status. */
esta_i32 sdk_c_write_all_tags(esta_u8* out, esta_u32 cap);
/* Reads that map back: *sum = the i64 entry + the decimal's unscaled + scale; 0 or -status. */
esta_i32 sdk_c_read_all_tags(const esta_u8* data, esta_u32 len, esta_i64* sum);
esta_i32 sdk_c_decode_info(const esta_u8* raw, esta_u32 len, esta_info* out);

#ifdef __cplusplus
}
#endif
