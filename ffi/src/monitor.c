/* Placeholder entry so the Makefile target exists; the monitor is built in ffi/src/monitor*.c. */
int main(void) { return 0; }
