/* estalogic_manifest.h: the module's own declaration, the custom section
 * `estalogic.manifest` (ABI.md), written from C at compile time.
 *
 * C has no way to put bytes into a custom section, but clang's wasm assembler does: a
 * section named `.custom_section.NAME` becomes the custom section NAME, and wasm-ld keeps
 * it. These macros spell the value encoding as assembler directives, so lengths are counted
 * by the assembler, not by hand. Clang for wasm32 only; toolchains that cannot emit custom
 * sections use `estalogic embed` instead.
 *
 *     ESTA_MANIFEST(
 *         ESTA_M_MAP(5)
 *         ESTA_M_KEY("abi") ESTA_M_I64(1)
 *         ESTA_M_KEY("name") ESTA_M_TEXT("accrual")
 *         ESTA_M_KEY("version") ESTA_M_TEXT("1.0.0")
 *         ESTA_M_KEY("needs") ESTA_M_MAP(1)
 *             ESTA_M_KEY("kv") ESTA_M_MAP(2)
 *                 ESTA_M_KEY("kind") ESTA_M_TEXT("keyspace")
 *                 ESTA_M_KEY("rights") ESTA_M_LIST(2) ESTA_M_TEXT("read") ESTA_M_TEXT("write")
 *         ESTA_M_KEY("exports") ESTA_M_TEXT("reactive"));
 *
 * The keys and their types are the kernel's (src/kernel/module_manifest.h): abi (i64), name
 * and version (text), needs (optional: grant name -> map of kind, a kind name as cap_info
 * reports it, and rights, a list of right names), exports ("reactive" or "actor").
 *
 * Strings are assembler string literals: plain ASCII, or escapes. One ESTA_MANIFEST per
 * module. */
#ifndef ESTALOGIC_MANIFEST_H
#define ESTALOGIC_MANIFEST_H

#include "estalogic.h"

#if defined(__wasm__) && defined(__clang__)

#define ESTA_M_STRINGIFY_(x) #x
#define ESTA_M_STRINGIFY(x) ESTA_M_STRINGIFY_(x)

/* The whole section; `body` is one value (a map), built from the macros below. */
#define ESTA_MANIFEST(body) \
    __asm__(".section .custom_section." ESTA_MANIFEST_SECTION ",\"\",@\n" body)

/* A map header: exactly `n` (ESTA_M_KEY, value) pairs follow. */
#define ESTA_M_MAP(n) ".int8 8\n.int32 " ESTA_M_STRINGIFY(n) "\n"
/* A list header: exactly `n` values follow. */
#define ESTA_M_LIST(n) ".int8 7\n.int32 " ESTA_M_STRINGIFY(n) "\n"
/* A map key: u32 length (counted by the assembler between local labels) and the bytes. */
#define ESTA_M_KEY(text) ".int32 2f - 1f\n1:\n.ascii \"" text "\"\n2:\n"
#define ESTA_M_TEXT(text) ".int8 5\n" ESTA_M_KEY(text)
/* An i64; `n` may be an expression of constants (ESTA_RIGHT_READ | ESTA_RIGHT_WRITE). */
#define ESTA_M_I64(n) ".int8 3\n.int64 " ESTA_M_STRINGIFY(n) "\n"
#define ESTA_M_BOOL(b) ".int8 " ESTA_M_STRINGIFY(1 + !!(b)) "\n"

#endif

#endif /* ESTALOGIC_MANIFEST_H */
