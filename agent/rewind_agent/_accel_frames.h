/* The frames being recorded, by the address of their frame: core.Recorder.frames (a dict by
 * id(frame)) as a C hash table, so that a call and its return cost no int objects and no dict
 * operations. Open addressing with linear probing; values are strong references. */
#ifndef REWIND_ACCEL_FRAMES_H
#define REWIND_ACCEL_FRAMES_H
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include "_accel_hash.h"

typedef struct { void *frame; PyObject *value; } FrameEntry;
typedef struct { FrameEntry *e; size_t cap, used, live; } FrameTable;  /* used: live + deleted */

#define FT_DELETED ((void *)1)  /* a removed entry: probing goes on past it */

static inline size_t ft_slot(const FrameTable *t, void *frame) {
    return address_hash(frame, __builtin_ctzll(t->cap));  /* cap: a power of two, at least 64 */
}

/* borrowed, or NULL */
static inline PyObject *ft_get(const FrameTable *t, void *frame) {
    if (!t->cap) return NULL;
    for (size_t i = ft_slot(t, frame);; i = (i + 1) & (t->cap - 1)) {
        if (t->e[i].frame == frame) return t->e[i].value;
        if (!t->e[i].frame) return NULL;
    }
}

/* rebuilds the table with room for twice the live entries (at least 64), dropping deleted ones */
static int ft_rebuild(FrameTable *t) {
    size_t cap = 64;
    while (cap < t->live * 4) cap *= 2;
    FrameEntry *e = PyMem_Calloc(cap, sizeof(FrameEntry)), *old = t->e;
    if (!e) { PyErr_NoMemory(); return -1; }
    size_t old_cap = t->cap;
    t->e = e;
    t->cap = cap;
    t->used = t->live;
    for (size_t k = 0; k < old_cap; k++) {
        if (!old[k].frame || old[k].frame == FT_DELETED) continue;
        size_t i = ft_slot(t, old[k].frame);
        while (e[i].frame) i = (i + 1) & (cap - 1);
        e[i] = old[k];
    }
    PyMem_Free(old);
    return 0;
}

/* table[frame] = value (a new reference is taken; one there before is released) */
static int ft_put(FrameTable *t, void *frame, PyObject *value) {
    if ((t->used + 1) * 2 > t->cap && ft_rebuild(t)) return -1;
    size_t i = ft_slot(t, frame), free_at = (size_t)-1;
    for (;; i = (i + 1) & (t->cap - 1)) {
        if (t->e[i].frame == frame) { Py_SETREF(t->e[i].value, Py_NewRef(value)); return 0; }
        if (t->e[i].frame == FT_DELETED && free_at == (size_t)-1) free_at = i;
        if (!t->e[i].frame) break;
    }
    if (free_at != (size_t)-1) i = free_at; else t->used++;
    t->e[i].frame = frame;
    t->e[i].value = Py_NewRef(value);
    t->live++;
    return 0;
}

/* removes frame's entry if its value is `only` (any value for NULL); returns the owned value */
static PyObject *ft_pop(FrameTable *t, void *frame, PyObject *only) {
    if (!t->cap) return NULL;
    for (size_t i = ft_slot(t, frame);; i = (i + 1) & (t->cap - 1)) {
        if (!t->e[i].frame) return NULL;
        if (t->e[i].frame != frame) continue;
        PyObject *v = t->e[i].value;
        if (only && v != only) return NULL;
        t->e[i].frame = FT_DELETED;
        t->e[i].value = NULL;
        t->live--;
        return v;
    }
}

static int ft_traverse(FrameTable *t, visitproc visit, void *arg) {
    for (size_t i = 0; i < t->cap; i++) Py_VISIT(t->e[i].value);
    return 0;
}

static void ft_clear(FrameTable *t) {
    FrameEntry *e = t->e;
    size_t cap = t->cap;
    t->e = NULL;
    t->cap = t->used = t->live = 0;
    for (size_t i = 0; i < cap; i++) Py_XDECREF(e[i].value);  /* may run code: the table is empty by then */
    PyMem_Free(e);
}

#endif
