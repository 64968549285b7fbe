// Reads the clocks and the random source through WASI. Under `exec --deterministic` (the
// way the golden test runs it) both are fixed sequences, so the output never changes.
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    struct timespec first, second, wall;
    clock_gettime(CLOCK_MONOTONIC, &first);
    clock_gettime(CLOCK_MONOTONIC, &second);
    clock_gettime(CLOCK_REALTIME, &wall);
    long long step =
        (second.tv_sec - first.tv_sec) * 1000000000LL + (second.tv_nsec - first.tv_nsec);
    printf("monotonic step %lld ns, realtime %lld s\n", step, (long long)wall.tv_sec);
    unsigned char bytes[16];
    if (getentropy(bytes, sizeof bytes) != 0) return 2;
    for (unsigned i = 0; i < sizeof bytes; ++i)
        printf("%02x", bytes[i]);
    printf("\n");
    return 0;
}
