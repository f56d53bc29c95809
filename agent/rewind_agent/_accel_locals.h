/* Reading a function frame's locals by slot, the index of each local in its code's
 * "locals plus" array, instead of through PyFrame_GetLocals: on 3.11 that copies every local
 * into a dict at each call, on 3.13 it makes a proxy that finds each name by a scan.
 *
 * CPython 3.11 to 3.13 are read straight from the interpreter's frame, through its internal
 * headers (the accelerator is compiled per interpreter build, so the layout is the one that
 * runs). Other versions read the same slots by name through the locals mapping. Either way
 * a value is what frame.f_locals would show: a cell or free variable's content, not the cell. */
#ifndef REWIND_ACCEL_LOCALS_H
#define REWIND_ACCEL_LOCALS_H
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>

#if PY_VERSION_HEX < 0x030E0000 && !defined(REWIND_LOCALS_BY_NAME)  /* that one: to test the other way */
#define REWIND_FRAME_LAYOUT 1
#define Py_BUILD_CORE 1
#include "internal/pycore_frame.h"
#include "internal/pycore_code.h"
#undef Py_BUILD_CORE
#endif

/* The names of a code's slots, in slot order (new reference); cellmask[i] set for a cell or
 * free variable's slot (PyMem_Malloc'ed, the caller frees it). */
static PyObject *slot_names(PyCodeObject *co, char **cellmask) {
#ifdef REWIND_FRAME_LAYOUT
    PyObject *names = Py_NewRef(co->co_localsplusnames);
#else
    /* the order CPython lays them out in: arguments and locals, new cells, free variables */
    PyObject *vars = PyCode_GetVarnames(co), *cells = PyCode_GetCellvars(co),
             *frees = PyCode_GetFreevars(co), *names = vars ? PySequence_List(vars) : NULL;
    for (Py_ssize_t i = 0; names && i < PyTuple_GET_SIZE(cells); i++) {
        PyObject *c = PyTuple_GET_ITEM(cells, i);
        int in = PySequence_Contains(vars, c);
        if (in < 0 || (!in && PyList_Append(names, c))) Py_CLEAR(names);
    }
    if (names) {
        PyObject *all = frees ? PySequence_InPlaceConcat(names, frees) : NULL;  /* list += tuple */
        Py_SETREF(names, all ? PySequence_Tuple(all) : NULL);
        Py_XDECREF(all);
    }
    Py_XDECREF(vars); Py_XDECREF(cells); Py_XDECREF(frees);
    if (!names) return NULL;
#endif
    Py_ssize_t n = PyTuple_GET_SIZE(names);
    char *mask = PyMem_Calloc(n ? n : 1, 1);
    if (!mask) { Py_DECREF(names); PyErr_NoMemory(); return NULL; }
#ifdef REWIND_FRAME_LAYOUT
    for (Py_ssize_t i = 0; i < n; i++)
        mask[i] = (_PyLocals_GetKind(co->co_localspluskinds, (int)i) & (CO_FAST_CELL | CO_FAST_FREE)) != 0;
#endif
    *cellmask = mask;
    return names;
}

/* loc.get(name, MISSING) for a locals mapping: a new reference, or NULL (no error if missing) */
static PyObject *local_get(PyObject *loc, PyObject *name) {
    if (PyDict_CheckExact(loc)) return Py_XNewRef(PyDict_GetItemWithError(loc, name));
    PyObject *v = PyObject_GetItem(loc, name);
    if (!v && PyErr_ExceptionMatches(PyExc_KeyError)) PyErr_Clear();
    return v;
}

typedef struct {
    PyObject *frame;
#ifdef REWIND_FRAME_LAYOUT
    PyObject **fast;  /* the frame's slots */
    int made_cells;   /* its cells are made: a cell's slot holds the cell, not the argument */
#else
    PyObject *loc;    /* the locals mapping, read at the first get */
#endif
} Locals;

static inline void locals_open(Locals *L, PyObject *frame) {
    L->frame = frame;
#ifdef REWIND_FRAME_LAYOUT
    _PyInterpreterFrame *f = ((PyFrameObject *)frame)->f_frame;
    L->fast = _PyFrame_GetLocalsArray(f);
#if PY_VERSION_HEX < 0x030D0000
    /* before its first instruction (3.11's call event) MAKE_CELL has not run yet */
    L->made_cells = _PyInterpreterFrame_LASTI(f) >= 0;
#else
    L->made_cells = 1;
#endif
#else
    L->loc = NULL;
#endif
}

static inline void locals_close(Locals *L) {
#ifndef REWIND_FRAME_LAYOUT
    Py_CLEAR(L->loc);
#endif
}

/* The value in slot i (named names[i]): a new reference, or NULL (check PyErr_Occurred) */
static inline PyObject *locals_get(Locals *L, PyObject *names, const char *cellmask, int i) {
#ifdef REWIND_FRAME_LAYOUT
    (void)names;
    PyObject *v = L->fast[i];
    /* a comprehension's variable can share a cell's slot (3.12+): it is a cell only if it is one */
    if (v && cellmask[i] && L->made_cells && PyCell_Check(v)) v = PyCell_GET(v);
    return Py_XNewRef(v);
#else
    (void)cellmask;
    if (!L->loc && !(L->loc = PyFrame_GetLocals((PyFrameObject *)L->frame))) return NULL;
    return local_get(L->loc, PyTuple_GET_ITEM(names, i));
#endif
}

#endif
