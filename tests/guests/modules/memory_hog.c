/* The memory hog (actor): grows its memory a page at a time until the kernel's limit for its
 * memory class refuses (memory.grow gives -1), reports how far it got, then touches the
 * first byte past its memory, which traps (E-5): the kernel and other processes go on. */
#include "guest.h"

GUEST_EXPORT("_start") void start(void) {
    esta_i64 grows = 0;
    while (__builtin_wasm_memory_grow(0, 1) != (__SIZE_TYPE__)-1 && grows < 65536)
        ++grows;
    esta_i64 again = (esta_i64)(long)__builtin_wasm_memory_grow(0, 1);
    esta_u32 pages = (esta_u32)__builtin_wasm_memory_size(0);
    guest_report_begin();
    guest_report("grows", grows);
    guest_report("pages", pages);
    guest_report("last_grow_by_one", again);
    guest_report_send();
    volatile esta_u8* beyond = (volatile esta_u8*)(pages * 65536u);
    *beyond = 1;
    esta_exit(0);
}
