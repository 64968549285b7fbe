// Prints a greeting and a few formatted numbers: stdout through fd_write, printf's
// integer and floating-point paths.
#include <stdio.h>

int main(void) {
    printf("hello, world\n");
    double sum = 0.0;
    for (int i = 1; i <= 10; ++i)
        sum += 1.0 / i;
    printf("H(10) = %.6f, 2^40 = %lld, -7 / 2 = %d\n", sum, 1LL << 40, -7 / 2);
    fprintf(stderr, "a line on stderr\n");
    return 0;
}
