#ifndef C_ALLOCATION_COUNTER_H
#define C_ALLOCATION_COUNTER_H

/// The number of allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc) since the process
/// started. Linking this target into an executable replaces the C allocator's entry points for the process.
long rampart_allocation_count(void);

#endif
