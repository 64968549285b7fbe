// Double-precision matrix multiply: float loads, multiplies and adds in a triple loop.
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char** argv) {
    int n = argc > 1 ? atoi(argv[1]) : 160;
    double* a = malloc(sizeof(double) * n * n);
    double* b = malloc(sizeof(double) * n * n);
    double* c = malloc(sizeof(double) * n * n);
    for (int i = 0; i < n * n; ++i) {
        a[i] = (double)(i % 17) * 0.25 - 1.0;
        b[i] = (double)(i % 13) * 0.5 + 0.125;
    }
    for (int rep = 0; rep < 4; ++rep) {
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < n; ++j) {
                double sum = 0.0;
                for (int k = 0; k < n; ++k)
                    sum += a[i * n + k] * b[k * n + j];
                c[i * n + j] = sum;
            }
        double* t = a;
        a = c;
        c = t;
        for (int i = 0; i < n * n; ++i)
            a[i] *= 1.0 / 64.0;
    }
    double trace = 0.0;
    for (int i = 0; i < n; ++i)
        trace += a[i * n + i];
    printf("matmul(%d) trace = %.6e\n", n, trace);
    free(a);
    free(b);
    free(c);
    return 0;
}
