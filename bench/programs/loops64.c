// 64-bit integer loops: multiply, divide, remainder and rotates on 64-bit values.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
    uint64_t rounds = argc > 1 ? (uint64_t)atoll(argv[1]) : 10000000u;
    uint64_t state = 0x853C49E6748FEA9Bull, acc = 0;
    for (uint64_t i = 0; i < rounds; ++i) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t v = state ^ (state >> 29);
        acc += v / ((i & 0xFF) + 1) + v % 1000003ull;
        acc = (acc << 7) | (acc >> 57);
    }
    printf("loops64 %llu -> %016llx\n", (unsigned long long)rounds, (unsigned long long)acc);
    return 0;
}
