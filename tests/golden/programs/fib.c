// Recursion and 64-bit integer loops: fib(27) recursively, a xorshift loop, and a
// division-heavy digit sum, each printed so a wrong operator shows in the output digest.
#include <stdint.h>
#include <stdio.h>

static uint32_t fib(uint32_t n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(void) {
    printf("fib(27) = %u\n", fib(27));
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (int i = 0; i < 200000; ++i) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
    }
    printf("xorshift64 = %016llx\n", (unsigned long long)x);
    uint64_t digits = 0;
    for (uint64_t n = 1; n < 50000; ++n) {
        for (uint64_t m = n * 2654435761u; m != 0; m /= 10)
            digits += m % 10;
    }
    printf("digit sum = %llu\n", (unsigned long long)digits);
    return 0;
}
