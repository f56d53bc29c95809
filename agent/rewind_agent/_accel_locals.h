/* Frames as the agent knows them, and reading a function frame's locals by slot, the index of
 * each local in its code's "locals plus" array, instead of through PyFrame_GetLocals: on 3.11
 * that copies every local into a dict at each call, on 3.13 it makes a proxy that finds each
 * name by a scan.
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

/* ---- frames --------------------------------------------------------------------------------- */

/* A Frame is what the agent knows a running frame by: its key in the frames table, where its
 * locals are read. On 3.12 and 3.13 it is the interpreter's own frame: sys.monitoring callbacks
 * find it without the frame object PyEval_GetFrame makes for every frame it is asked about (an
 * allocation, garbage-collector tracking and a free per traced call). Elsewhere, and on
 * settrace's 3.11, it is the frame object, which settrace makes anyway. */
#if defined(REWIND_FRAME_LAYOUT) && PY_VERSION_HEX >= 0x030C0000
#define REWIND_IFRAME 1
typedef _PyInterpreterFrame Frame;
#else
typedef PyFrameObject Frame;
#endif

/* a settrace event's frame */
static inline Frame *frame_of(PyFrameObject *f) {
#ifdef REWIND_IFRAME
    return f->f_frame;
#else
    return f;
#endif
}

/* the running frame, borrowed; NULL with an error if there is none */
static inline Frame *frame_current(void) {
#ifdef REWIND_IFRAME
    PyThreadState *ts = PyThreadState_Get();
#if PY_VERSION_HEX >= 0x030D0000
    _PyInterpreterFrame *f = ts->current_frame;
#else
    _PyInterpreterFrame *f = ts->cframe->current_frame;
#endif
    while (f && _PyFrame_IsIncomplete(f)) f = f->previous;
#else
    PyFrameObject *f = PyEval_GetFrame();
#endif
    if (!f) PyErr_SetString(PyExc_RuntimeError, "no frame");
    return f;
}

/* its caller, borrowed, or NULL */
static inline Frame *frame_back(Frame *f) {
#ifdef REWIND_IFRAME
    do f = f->previous; while (f && _PyFrame_IsIncomplete(f));
    return f;
#else
    PyFrameObject *back = PyFrame_GetBack(f);
    Py_XDECREF(back);  /* its interpreter frame holds it while it runs */
    return back;
#endif
}

/* its code, borrowed */
static inline PyCodeObject *frame_code(Frame *f) {
#if defined(REWIND_IFRAME) && PY_VERSION_HEX >= 0x030D0000
    return _PyFrame_GetCode(f);
#elif defined(REWIND_IFRAME)
    return f->f_code;
#else
    PyCodeObject *code = PyFrame_GetCode(f);
    Py_DECREF(code);  /* the frame holds it */
    return code;
#endif
}

/* the generator, coroutine or async generator that owns it, a new reference; NULL (and no
 * error) if none does */
static inline PyObject *frame_generator(Frame *f) {
#ifdef REWIND_IFRAME
    if (f->owner != FRAME_OWNED_BY_GENERATOR) return NULL;
    return Py_NewRef((PyObject *)_PyFrame_GetGenerator(f));
#else
    return PyFrame_GetGenerator(f);
#endif
}

/* its globals, borrowed */
static inline PyObject *frame_globals(Frame *f) {
#ifdef REWIND_IFRAME
    return f->f_globals;
#else
    PyObject *g = PyFrame_GetGlobals(f);
    Py_XDECREF(g);  /* the frame holds them */
    return g;
#endif
}

static inline int frame_line(Frame *f) {
#ifdef REWIND_IFRAME
    return PyUnstable_InterpreterFrame_GetLine(f);
#else
    return PyFrame_GetLineNumber(f);
#endif
}

/* its frame object, borrowed, made if need be: for what only the object gives (f_locals of a
 * module or class body). NULL with an error if it cannot be had. */
static PyFrameObject *frame_object(Frame *f) {
#ifdef REWIND_IFRAME
    if (f->frame_obj) return f->frame_obj;
    /* made by walking from the running frame: f is on this thread's stack */
    for (PyFrameObject *o = PyEval_GetFrame(); o; ) {
        if (o->f_frame == f) return o;
        PyFrameObject *back = PyFrame_GetBack(o);
        Py_XDECREF(back);  /* its interpreter frame holds it */
        o = back;
    }
    if (!PyErr_Occurred()) PyErr_SetString(PyExc_RuntimeError, "a frame not on this thread's stack");
    return NULL;
#else
    return f;
#endif
}

/* ---- locals by slot --------------------------------------------------------------------------- */

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
    Frame *frame;
#ifdef REWIND_FRAME_LAYOUT
    PyObject **fast;  /* the frame's slots */
    int made_cells;   /* its cells are made: a cell's slot holds the cell, not the argument */
#else
    PyObject *loc;    /* the locals mapping, read at the first get */
#endif
} Locals;

static inline void locals_open(Locals *L, Frame *frame) {
    L->frame = frame;
#ifdef REWIND_FRAME_LAYOUT
#ifdef REWIND_IFRAME
    _PyInterpreterFrame *f = frame;
#else
    _PyInterpreterFrame *f = frame->f_frame;
#endif
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
    if (!L->loc && !(L->loc = PyFrame_GetLocals(L->frame))) return NULL;
    return local_get(L->loc, PyTuple_GET_ITEM(names, i));
#endif
}

#endif
