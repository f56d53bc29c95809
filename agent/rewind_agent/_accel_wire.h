/* The accelerator's byte buffer and msgpack writers: wire.py's encoders, in C. Shared by
 * _accel.c (events) and _accel_values.c (values). */
#ifndef REWIND_ACCEL_WIRE_H
#define REWIND_ACCEL_WIRE_H
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <string.h>

typedef struct { char *p; Py_ssize_t n, cap; char small[512]; } Buf;

static inline void buf_init(Buf *b) { b->p = b->small; b->n = 0; b->cap = sizeof b->small; }
static inline void buf_free(Buf *b) { if (b->p != b->small) PyMem_Free(b->p); }

/* room for `need` more bytes: doubles the buffer (off the hot path) */
static int buf_grow(Buf *b, Py_ssize_t need) {
    Py_ssize_t cap = b->cap * 2;
    while (cap < b->n + need) cap *= 2;
    char *p = PyMem_Malloc(cap);
    if (!p) { PyErr_NoMemory(); return -1; }
    memcpy(p, b->p, b->n);
    if (b->p != b->small) PyMem_Free(b->p);
    b->p = p; b->cap = cap;
    return 0;
}

static inline int buf_room(Buf *b, Py_ssize_t need) {
    return b->n + need <= b->cap ? 0 : buf_grow(b, need);
}

static inline int put(Buf *b, const void *data, Py_ssize_t n) {
    if (buf_room(b, n)) return -1;
    if (n <= 8) {  /* a name id, a header: most writes are this short, and a call to memcpy is not */
        const char *d = data;
        for (Py_ssize_t i = 0; i < n; i++) b->p[b->n + i] = d[i];
    } else {
        memcpy(b->p + b->n, data, n);
    }
    b->n += n;
    return 0;
}

static inline int put_byte(Buf *b, unsigned char c) {
    if (buf_room(b, 1)) return -1;
    b->p[b->n++] = (char)c;
    return 0;
}

static inline int put_bytes(Buf *b, PyObject *bytes) {
    return put(b, PyBytes_AS_STRING(bytes), PyBytes_GET_SIZE(bytes));
}

static inline int put_be(Buf *b, unsigned char head, unsigned long long v, int size) {
    if (buf_room(b, 1 + size)) return -1;
    unsigned char *o = (unsigned char *)b->p + b->n;
    o[0] = head;
    for (int i = 0; i < size; i++) o[1 + i] = (unsigned char)(v >> (8 * (size - 1 - i)));
    b->n += 1 + size;
    return 0;
}

static inline int put_uint(Buf *b, unsigned long long n) {
    if (n < 128) return put_byte(b, (unsigned char)n);
    if (n < 256) return put_be(b, 0xCC, n, 1);
    if (n < 65536) return put_be(b, 0xCD, n, 2);
    if (n <= 0xFFFFFFFFULL) return put_be(b, 0xCE, n, 4);
    return put_be(b, 0xCF, n, 8);
}

static inline int put_int(Buf *b, long long n) {
    if (n >= 0) return put_uint(b, (unsigned long long)n);
    if (n >= -32) return put_byte(b, (unsigned char)(n & 0xFF));
    if (n >= -128) return put_be(b, 0xD0, (unsigned long long)n & 0xFF, 1);
    if (n >= -32768) return put_be(b, 0xD1, (unsigned long long)n & 0xFFFF, 2);
    if (n >= -2147483648LL) return put_be(b, 0xD2, (unsigned long long)n & 0xFFFFFFFFULL, 4);
    return put_be(b, 0xD3, (unsigned long long)n, 8);
}

static inline int put_array_header(Buf *b, Py_ssize_t n) {
    if (n < 16) return put_byte(b, (unsigned char)(0x90 | n));
    if (n < 65536) return put_be(b, 0xDC, (unsigned long long)n, 2);
    return put_be(b, 0xDD, (unsigned long long)n, 4);
}

static inline int put_str_header(Buf *b, Py_ssize_t n) {
    if (n < 32) return put_byte(b, (unsigned char)(0xA0 | n));
    if (n < 256) return put_be(b, 0xD9, (unsigned long long)n, 1);
    if (n < 65536) return put_be(b, 0xDA, (unsigned long long)n, 2);
    return put_be(b, 0xDB, (unsigned long long)n, 4);
}

static inline int put_bin_header(Buf *b, Py_ssize_t n) {
    if (n < 256) return put_be(b, 0xC4, (unsigned long long)n, 1);
    if (n < 65536) return put_be(b, 0xC5, (unsigned long long)n, 2);
    return put_be(b, 0xC6, (unsigned long long)n, 4);
}

static inline int put_double(Buf *b, double x) {
    unsigned long long bits;
    memcpy(&bits, &x, 8);
    return put_byte(b, 0xD7) || put_be(b, 1, bits, 8);  /* fixext 8, EXT_FLOAT, big-endian bits */
}

#endif
