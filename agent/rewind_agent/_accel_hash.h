/* Hashing an address for the accelerator's tables (frames, memos). */
#ifndef REWIND_ACCEL_HASH_H
#define REWIND_ACCEL_HASH_H
#include <stdint.h>

/* the top `bits` bits of a mixed address: objects of one size sit at the same offsets of many
 * allocator pools, so the address's low bits alone collide */
static inline size_t address_hash(const void *p, int bits) {
    uint64_t h = (uint64_t)(uintptr_t)p;
    h ^= h >> 29;
    h *= 0x9E3779B97F4A7C15ull;
    h ^= h >> 32;
    h *= 0xBF58476D1CE4E5B9ull;
    return (size_t)(h >> (64 - bits));
}

#endif
