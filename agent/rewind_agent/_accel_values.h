/* values.Serializer in C: the same bytes for the same value, without calling user code. */
#ifndef REWIND_ACCEL_VALUES_H
#define REWIND_ACCEL_VALUES_H
#include "_accel_wire.h"
#include "_accel_hash.h"

/* An int of one digit (or zero) is read from the int itself, as CPython's own fast paths do */
#if PY_VERSION_HEX >= 0x030C0000
#define compact_int(v) PyUnstable_Long_IsCompact((PyLongObject *)(v))
#define compact_value(v) ((long long)PyUnstable_Long_CompactValue((PyLongObject *)(v)))
#else
#define compact_int(v) (Py_SIZE(v) >= -1 && Py_SIZE(v) <= 1)
#define compact_value(v) ((long long)Py_SIZE(v) * (long long)((PyLongObject *)(v))->ob_digit[0])
#endif

/* A direct-mapped memo in front of a table: attribute names, a dict's keys and types are the
 * same objects, or equal strs, event after event; a memo hit skips the hash lookup and, for a
 * str seen before, the compare. It holds its keys, so no address is reused while it is in here. */
#define MEMO_BITS 8
#define MEMO (1 << MEMO_BITS)
typedef struct { PyObject *key, *val; } Memo;

/* A value's shadow: what encoding it read, in the order it read it (each container's type and
 * size, each str key, each scalar, held by reference so that its address stays its own), so
 * that a later look can tell that the value would encode to the same bytes without encoding it
 * (shadow_holds): a test run's large objects and dicts are looked at again at most lines and
 * have mostly not changed. Nothing in it is a program's container or object: only immutable
 * scalars are held, which cannot run code when they are freed. */
typedef struct { int kind; PyObject *obj; Py_ssize_t n, at, len; } ShadowNode;
typedef struct {
    ShadowNode *nodes;
    Py_ssize_t n, cap;
    Buf leaves;  /* the bytes of the leaves the Python serializer encoded */
    int broken;  /* the value holds something a shadow cannot stand for */
} Shadow;

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
    Memo type_id_memo[MEMO];  /* in front of type_ids */
    Shadow *build;      /* the shadow being made as a value is encoded, or NULL */
} Encoder;

/* Set up from a values.Serializer, the recorder's name and secret caches and the first words
 * of its secret patterns. */
int encoder_init(Encoder *e, PyObject *values, PyObject *names, PyObject *secrets, PyObject *redacted,
                 PyObject *firsts);
int encoder_traverse(Encoder *e, visitproc visit, void *arg);
void encoder_clear(Encoder *e);
void encoder_forget_types(Encoder *e);

/* Serializer.encode(v), appended to b. -1 only for errors that are not an Exception (an
 * Exception while encoding gives the value's error marker, as in Python). */
int encode(Encoder *e, PyObject *v, Buf *b);

/* encode, making the value's shadow as it goes: *shadow is NULL if the value cannot have one */
int encode_shadowed(Encoder *e, PyObject *v, Buf *b, Shadow **shadow);

/* 1 if v would encode to the bytes its shadow was made with, 0 if it may not, -1 on an error
 * that is not an Exception */
int shadow_holds(Encoder *e, Shadow *s, PyObject *v);

void shadow_free(Shadow *s);

#endif
