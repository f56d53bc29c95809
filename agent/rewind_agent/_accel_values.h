/* values.Serializer in C: the same bytes for the same value, without calling user code. */
#ifndef REWIND_ACCEL_VALUES_H
#define REWIND_ACCEL_VALUES_H
#include "_accel_wire.h"
#include "_accel_hash.h"

/* A direct-mapped memo in front of a table: attribute names, a dict's keys and types are the
 * same objects, or equal strs, event after event; a memo hit skips the hash lookup and, for a
 * str seen before, the compare. It holds its keys, so no address is reused while it is in here. */
#define MEMO_BITS 8
#define MEMO (1 << MEMO_BITS)
typedef struct { PyObject *key, *val; } Memo;

typedef struct {
    PyObject *values;   /* the Python Serializer: leaves and new types go back to it */
    PyObject *names;    /* Recorder._names: str -> name id */
    PyObject *secrets;  /* Recorder._secret_cache: name -> bool */
    PyObject *types;    /* type -> its facts (a TypeFacts, in _accel_values.c), or None for a leaf type */
    PyObject *type_ids; /* type -> its name id, encoded */
    PyObject *attrs;    /* attribute name -> bytes: 1 if it is a secret's name else 0, then its name id encoded */
    PyObject *redacted; /* the encoded redaction marker */
    PyObject *firsts;   /* the first word of each secret pattern (lowercase ASCII strs) */
    unsigned char first_char[256];  /* 1 for a char some first word begins with */
    Py_ssize_t max_depth, max_items, max_string;
    Memo secret_memo[MEMO], key_memo[MEMO], attr_memo[MEMO], type_memo[MEMO];  /* in front of secrets, attrs, types */
} Encoder;

/* Set up from a values.Serializer, the recorder's name and secret caches and the first words
 * of its secret patterns. */
int encoder_init(Encoder *e, PyObject *values, PyObject *names, PyObject *secrets, PyObject *redacted,
                 PyObject *firsts);
int encoder_traverse(Encoder *e, visitproc visit, void *arg);
void encoder_clear(Encoder *e);

/* Serializer.encode(v), appended to b. -1 only for errors that are not an Exception (an
 * Exception while encoding gives the value's error marker, as in Python). */
int encode(Encoder *e, PyObject *v, Buf *b);

#endif
