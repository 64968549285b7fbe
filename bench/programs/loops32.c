// 32-bit integer loops: arithmetic, shifts, compares and branches on locals.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
    uint32_t rounds = argc > 1 ? (uint32_t)atoi(argv[1]) : 20000000u;
    uint32_t x = 1, y = 0x9E3779B9u, acc = 0;
    for (uint32_t i = 0; i < rounds; ++i) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        y = y * 1664525u + 1013904223u;
        if ((x & 7u) < 3u)
            acc += x ^ y;
        else
            acc -= (y >> 3) | 1u;
        acc = (acc << 1) | (acc >> 31);
    }
    printf("loops32 %u -> %08x\n", rounds, acc);
    return 0;
}
