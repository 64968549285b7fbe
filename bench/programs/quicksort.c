// Sorting: a hand-written quicksort (median of three, insertion sort for small runs).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void insertion(int32_t* v, int lo, int hi) {
    for (int i = lo + 1; i <= hi; ++i) {
        int32_t x = v[i];
        int j = i - 1;
        while (j >= lo && v[j] > x) {
            v[j + 1] = v[j];
            --j;
        }
        v[j + 1] = x;
    }
}

static void quicksort(int32_t* v, int lo, int hi) {
    while (hi - lo > 16) {
        int mid = lo + (hi - lo) / 2;
        if (v[mid] < v[lo]) {
            int32_t t = v[mid];
            v[mid] = v[lo];
            v[lo] = t;
        }
        if (v[hi] < v[lo]) {
            int32_t t = v[hi];
            v[hi] = v[lo];
            v[lo] = t;
        }
        if (v[hi] < v[mid]) {
            int32_t t = v[hi];
            v[hi] = v[mid];
            v[mid] = t;
        }
        int32_t pivot = v[mid];
        int i = lo, j = hi;
        while (i <= j) {
            while (v[i] < pivot)
                ++i;
            while (v[j] > pivot)
                --j;
            if (i <= j) {
                int32_t t = v[i];
                v[i] = v[j];
                v[j] = t;
                ++i;
                --j;
            }
        }
        if (j - lo < hi - i) {
            quicksort(v, lo, j);
            lo = i;
        } else {
            quicksort(v, i, hi);
            hi = j;
        }
    }
    insertion(v, lo, hi);
}

int main(int argc, char** argv) {
    int n = argc > 1 ? atoi(argv[1]) : 1000000;
    int32_t* v = malloc(sizeof(int32_t) * n);
    uint32_t seed = 7;
    for (int i = 0; i < n; ++i) {
        seed ^= seed << 13;
        seed ^= seed >> 17;
        seed ^= seed << 5;
        v[i] = (int32_t)seed;
    }
    quicksort(v, 0, n - 1);
    uint32_t check = 0;
    for (int i = 0; i < n; ++i) {
        if (i > 0 && v[i - 1] > v[i]) {
            printf("not sorted at %d\n", i);
            return 1;
        }
        check = check * 31u + (uint32_t)v[i];
    }
    printf("quicksort(%d) check = %08x\n", n, check);
    free(v);
    return 0;
}
