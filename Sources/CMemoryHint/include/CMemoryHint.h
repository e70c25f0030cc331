#ifndef C_MEMORY_HINT_H
#define C_MEMORY_HINT_H

/// Asks the CPU to start loading the cache line at `address` for a coming write, without waiting for it and
/// without faulting: the address may be stale (a table that has since been freed), and then nothing happens
/// but a wasted fetch. Swift has no spelling of its own for a prefetch.
static inline void rampart_prefetch_for_write(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

#endif
