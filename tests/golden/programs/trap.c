// Prints a line, then traps (unreachable, 4001): the digest records the trap and the
// memory as it was at the trap.
#include <stdio.h>

static volatile int sink;

int main(void) {
    printf("about to trap\n");
    fflush(stdout);
    for (int i = 0; i < 1000; ++i)
        sink += i;
    __builtin_trap();
}
