/* A module that declares needs the application does not grant (K-22): its
 * `estalogic.manifest` section asks for a read-write key-value store "kv" and a topic
 * "decisions" it may write; the kernel refuses to admit it unless both are granted, and
 * names what is missing. Run anyway, it only exits. */
#include "estalogic_manifest.h"
#include "guest.h"

/* The layout shows the manifest's nesting. */
// clang-format off
ESTA_MANIFEST(
    ESTA_M_MAP(5)
    ESTA_M_KEY("abi") ESTA_M_I64(1)
    ESTA_M_KEY("name") ESTA_M_TEXT("undeclared_needs")
    ESTA_M_KEY("version") ESTA_M_TEXT("0.1.0")
    ESTA_M_KEY("needs") ESTA_M_MAP(2)
        ESTA_M_KEY("kv") ESTA_M_MAP(2)
            ESTA_M_KEY("kind") ESTA_M_TEXT("keyspace")
            ESTA_M_KEY("rights") ESTA_M_LIST(2) ESTA_M_TEXT("read") ESTA_M_TEXT("write")
        ESTA_M_KEY("decisions") ESTA_M_MAP(2)
            ESTA_M_KEY("kind") ESTA_M_TEXT("topic")
            ESTA_M_KEY("rights") ESTA_M_LIST(1) ESTA_M_TEXT("write")
    ESTA_M_KEY("exports") ESTA_M_TEXT("actor"));
// clang-format on

GUEST_EXPORT("_start") void start(void) {
    esta_exit(guest_lookup("kv") > 0 ? 0 : 1);
}
