// Heap memory and the C library: fills a malloc'd array from an LCG, sorts it with qsort,
// formats doubles, and leaves the sorted data in memory for the final-memory hash.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int compare(const void* a, const void* b) {
    uint32_t x = *(const uint32_t*)a;
    uint32_t y = *(const uint32_t*)b;
    return (x > y) - (x < y);
}

int main(void) {
    enum { kCount = 20000 };
    uint32_t* values = malloc(kCount * sizeof *values);
    if (values == NULL) return 1;
    uint32_t state = 12345;
    for (int i = 0; i < kCount; ++i) {
        state = state * 1103515245u + 12345u;
        values[i] = state >> 8;
    }
    qsort(values, kCount, sizeof *values, compare);
    uint64_t weighted = 0;
    for (int i = 0; i < kCount; ++i)
        weighted += (uint64_t)values[i] * (uint64_t)(i + 1);
    double mean = 0.0;
    for (int i = 0; i < kCount; ++i)
        mean += values[i] / (double)kCount;
    char text[64];
    snprintf(text, sizeof text, "%.4e", mean);
    printf("min %u max %u weighted %llu mean %s (%zu chars)\n", values[0], values[kCount - 1],
           (unsigned long long)weighted, text, strlen(text));
    return 0;
}
