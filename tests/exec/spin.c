// Never ends on its own: the target of the fuel and timeout tests.
int main(void) {
    volatile unsigned counter = 0;
    for (;;)
        counter = counter + 1;
}
