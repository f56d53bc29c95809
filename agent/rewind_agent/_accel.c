/* The agent's C accelerator: the hot paths of core.py and transport.py, in C.
 *
 * The pure-Python agent is the reference; this module must produce the same bytes. It holds
 * no logic of its own: each function here is a port of the Python method named beside it, and
 * anything rare (tables, exceptions, threads, generators resuming, containers and objects as
 * values) is handed back to that Python code. accel.py compiles this file on first use with
 * the running interpreter's headers; core.recorder_class() and the back ends plug it in.
 *
 * It uses the public C API, the thread state's recursion counter (a public struct field) and,
 * to read a function's locals by slot, the interpreter's frame layout of 3.11 to 3.13
 * (_accel_locals.h). Where it does not build, the pure-Python agent runs.
 * The GIL is held throughout; every entry point turns its own errors into rec.fail(backend),
 * never into an exception in the traced program. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>
#include <frameobject.h>
#include <pythread.h>
#include <string.h>
#include <math.h>
#include <sched.h>
#include "_accel_wire.h"
#include "_accel_values.h"
#include "_accel_locals.h"
#include "_accel_frames.h"

#if PY_VERSION_HEX < 0x030B0000
#error "the accelerator needs CPython 3.11 or newer (PyFrame_GetLocals)"
#endif

/* PEP 523's per-code scratch slots, under their names of each version */
#if PY_VERSION_HEX >= 0x030C0000
#define CODE_GET_EXTRA PyUnstable_Code_GetExtra
#define CODE_SET_EXTRA PyUnstable_Code_SetExtra
#define REQUEST_CODE_EXTRA_INDEX PyUnstable_Eval_RequestCodeExtraIndex
#else
#define CODE_GET_EXTRA _PyCode_GetExtra
#define CODE_SET_EXTRA _PyCode_SetExtra
#define REQUEST_CODE_EXTRA_INDEX _PyEval_RequestCodeExtraIndex
#endif

/* wire.py: event kinds and value tags used here */
enum { K_CALL = 7, K_LINE = 8, K_RETURN = 9, K_YIELD = 11, K_RESUME = 12, T_UNBOUND = 15, T_PATCH = 18, T_CALLER = 19 };

/* An event at the recursion limit (the RecursionError itself, the frames it unwinds) would
 * fail in the first Python code or comparison it runs: such an event gets room above the limit.
 * Reading the counter is cheap; changing the limit is not, so it happens only there. */
static inline int recursion_remaining(void) {
    PyThreadState *ts = PyThreadState_Get();
#if PY_VERSION_HEX >= 0x030C0000
    return ts->py_recursion_remaining;  /* C-level checks have a counter of their own */
#else
    return ts->recursion_remaining;
#endif
}

static int headroom_begin(void) {
    if (recursion_remaining() >= 50) return -1;
    int limit = Py_GetRecursionLimit();
    Py_SetRecursionLimit(limit + 100);
    return limit;
}

static void headroom_end(int limit) { if (limit >= 0) Py_SetRecursionLimit(limit); }

/* ---- the raw stream sink (transport.RawWriter.write) ----------------------------------------- */

typedef struct {
    PyObject_HEAD
    PyObject *writer;           /* the RawWriter: it maps the stage and places it, this copies into it */
    Py_buffer hdr, stage;
    int open;                   /* hdr and stage are held */
    Py_ssize_t off;             /* bytes in the stage */
    unsigned long long total;   /* committed stream bytes */
    int placing;                /* a thread is placing the stage (in Python code) */
} Sink;

static void sink_release(Sink *s) {
    if (s->open) { PyBuffer_Release(&s->stage); PyBuffer_Release(&s->hdr); s->open = 0; }
}

/* RawWriter._place / _place_whole, which can let other threads run: they wait for it. */
static int sink_place(Sink *s, const char *method, PyObject *arg) {
    s->placing = 1;
    PyObject *r = PyObject_CallMethod(s->writer, method, "O", arg);
    s->placing = 0;
    Py_XDECREF(r);
    return r ? 0 : -1;
}

static int sink_write(Sink *s, const char *data, Py_ssize_t n) {
    while (s->placing) {
        Py_BEGIN_ALLOW_THREADS
        sched_yield();
        Py_END_ALLOW_THREADS
    }
    if (!s->open) {
        PyErr_SetString(PyExc_ValueError, "the raw stream is closed");
        return -1;
    }
    if (s->off + n > s->stage.len) {
        PyObject *k = PyLong_FromSsize_t(s->off);
        int r = k ? sink_place(s, "_place", k) : -1;
        Py_XDECREF(k);
        if (r) return -1;
        s->off = 0;
    }
    if (n <= s->stage.len) {
        memcpy((char *)s->stage.buf + s->off, data, n);
        s->off += n;
    } else {
        PyObject *b = PyBytes_FromStringAndSize(data, n);
        int r = b ? sink_place(s, "_place_whole", b) : -1;
        Py_XDECREF(b);
        if (r) return -1;
    }
    s->total += (unsigned long long)n;
    /* The committed length, u64 LE, in one aligned store that comes after the event's bytes:
     * the recorder, reading concurrently, never sees half of it or a length ahead of them. */
    uint64_t le = s->total;
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    le = __builtin_bswap64(le);
#endif
    __atomic_store_n((uint64_t *)((char *)s->hdr.buf + 16), le, __ATOMIC_RELEASE);
    return 0;
}

static int Sink_init(Sink *s, PyObject *args, PyObject *kw) {
    PyObject *writer, *hdr = NULL, *stage = NULL, *o = NULL;
    if (!PyArg_ParseTuple(args, "O", &writer)) return -1;
    sink_release(s);
    Py_INCREF(writer);
    Py_XSETREF(s->writer, writer);
    int ok = (hdr = PyObject_GetAttrString(writer, "_hdr")) && (stage = PyObject_GetAttrString(writer, "_stage"))
        && (o = PyObject_GetAttrString(writer, "total"));
    if (ok) {
        s->total = PyLong_AsUnsignedLongLong(o);
        Py_DECREF(o);
        ok = (o = PyObject_GetAttrString(writer, "_off")) != NULL;
    }
    if (ok) s->off = PyLong_AsSsize_t(o);
    ok = ok && !PyErr_Occurred() && PyObject_GetBuffer(hdr, &s->hdr, PyBUF_WRITABLE) == 0;
    if (ok && PyObject_GetBuffer(stage, &s->stage, PyBUF_WRITABLE)) { PyBuffer_Release(&s->hdr); ok = 0; }
    Py_XDECREF(o); Py_XDECREF(hdr); Py_XDECREF(stage);
    if (!ok) return -1;
    s->open = 1;
    if (s->hdr.len < 24) { sink_release(s); PyErr_SetString(PyExc_ValueError, "header too small"); return -1; }
    return 0;
}

static void Sink_dealloc(Sink *s) {
    PyObject_GC_UnTrack(s);
    sink_release(s);
    Py_CLEAR(s->writer);
    Py_TYPE(s)->tp_free((PyObject *)s);
}

static int Sink_traverse(Sink *s, visitproc visit, void *arg) { Py_VISIT(s->writer); return 0; }
static int Sink_clear(Sink *s) { sink_release(s); Py_CLEAR(s->writer); return 0; }

static PyObject *Sink_write(Sink *s, PyObject *data) {
    Py_buffer view;
    if (PyObject_GetBuffer(data, &view, PyBUF_SIMPLE)) return NULL;
    int r = sink_write(s, view.buf, view.len);
    PyBuffer_Release(&view);
    if (r) return NULL;
    Py_RETURN_NONE;
}

/* Lets go of the mappings before they close; (committed bytes, bytes in the stage) */
static PyObject *Sink_release_m(Sink *s, PyObject *unused) {
    sink_release(s);
    return Py_BuildValue("Kn", s->total, s->off);
}

static PyMethodDef Sink_methods[] = {
    {"write", (PyCFunction)Sink_write, METH_O, "Append one whole event and commit it."},
    {"release", (PyCFunction)Sink_release_m, METH_NOARGS, "Let go of the mappings: (committed bytes, bytes in the stage)."},
    {NULL}
};

static PyTypeObject SinkType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_rewind_accel.Sink",
    .tp_basicsize = sizeof(Sink),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Copies events into a RawWriter's mapped stage.",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Sink_init,
    .tp_dealloc = (destructor)Sink_dealloc,
    .tp_traverse = (traverseproc)Sink_traverse,
    .tp_clear = (inquiry)Sink_clear,
    .tp_methods = Sink_methods,
};

/* ---- CodeInfo and FrameState with C layouts (core.py) ---------------------------------------- */

/* What a line can change (static.LineInfo), looked up without a dict at every line event.
 * The tuples are borrowed from LineInfo's dicts, which the Info holds. In a function's, `ix`
 * has the same names as slots (-1: not a local): nst stores, then nld loads. `calls`: 0, 1 (the
 * line may mutate objects in place) or ANYTHING (static.ANYTHING: it may also bind names it does
 * not name, `from m import *`; after it every name is looked at). */
enum { ANYTHING = 2 };
/* gl: the line (of a function) rebinds module globals (GL_STORES), or only reads some (GL_LOADS):
 * LineInfo.globals has it */
typedef struct { PyObject *stores, *loads, *gloads; char calls, gl; int *ix; int nst, nld; } LineFacts;
enum { GL_STORES = 1, GL_LOADS = 2 };

/* The facts of a back-jump region (LineInfo.region), kept: its tuples owned */
typedef struct { long from, to; LineFacts f; } Region;

typedef struct {
    PyObject_HEAD
    PyObject *id, *id_enc, *code, *lines, *cells, *frees, *args;
    char function, generator;
    PyObject *l_lines, *l_stores, *l_loads, *l_calls, *l_globals;  /* lines' dicts, read once */
    LineFacts *l_facts;  /* the same by line - l_first, for l_n lines (NULL: use the dicts) */
    long l_first, l_n;
    int *jline;  /* sys.monitoring: the line of each offset / 2 (-1: none), for JUMP events */
    long njline;
    /* the module globals its frames ran with last (borrowed: the recorder's Namespace holds
     * them for good) and that Namespace's enc, whose keys are the globals that can change in place */
    PyObject *g_dict, *g_enc;
    Region **regions;
    int nregions;
    /* a function's locals by slot (_accel_locals.h), set up at its first call */
    PyObject *slots;   /* the slots' names */
    char *cellmask;
    PyObject **keys;   /* per slot: Recorder._key(name), once asked */
    int nslots, ncells;
    int *cells_ix;     /* the slots of `cells` */
} Info;

static int Info_traverse(Info *o, visitproc visit, void *arg) {
    Py_VISIT(o->id); Py_VISIT(o->id_enc); Py_VISIT(o->code); Py_VISIT(o->lines);
    Py_VISIT(o->cells); Py_VISIT(o->frees); Py_VISIT(o->args); Py_VISIT(o->l_lines); Py_VISIT(o->l_stores);
    Py_VISIT(o->l_loads); Py_VISIT(o->l_calls); Py_VISIT(o->l_globals); Py_VISIT(o->g_enc); Py_VISIT(o->slots);
    for (int i = 0; i < o->nregions; i++) { Py_VISIT(o->regions[i]->f.stores); Py_VISIT(o->regions[i]->f.loads); }
    for (int i = 0; o->keys && i < o->nslots; i++) Py_VISIT(o->keys[i]);
    return 0;
}

static int Info_clear(Info *o) {
    Py_CLEAR(o->id); Py_CLEAR(o->id_enc); Py_CLEAR(o->code); Py_CLEAR(o->lines);
    for (long i = 0; o->l_facts && i < o->l_n; i++) PyMem_Free(o->l_facts[i].ix);
    PyMem_Free(o->l_facts);
    o->l_facts = NULL;
    for (int i = 0; i < o->nregions; i++) {
        Py_CLEAR(o->regions[i]->f.stores); Py_CLEAR(o->regions[i]->f.loads);
        PyMem_Free(o->regions[i]->f.ix);
        PyMem_Free(o->regions[i]);
    }
    PyMem_Free(o->regions);
    o->regions = NULL;
    o->nregions = 0;
    for (int i = 0; o->keys && i < o->nslots; i++) Py_CLEAR(o->keys[i]);
    PyMem_Free(o->keys); PyMem_Free(o->cellmask); PyMem_Free(o->cells_ix);
    o->keys = NULL; o->cellmask = NULL; o->cells_ix = NULL;
    o->nslots = o->ncells = 0;
    Py_CLEAR(o->slots);
    Py_CLEAR(o->cells); Py_CLEAR(o->frees); Py_CLEAR(o->args); Py_CLEAR(o->l_lines); Py_CLEAR(o->l_stores);
    Py_CLEAR(o->l_loads); Py_CLEAR(o->l_calls); Py_CLEAR(o->l_globals); Py_CLEAR(o->g_enc);
    PyMem_Free(o->jline);
    o->jline = NULL;
    o->njline = 0;
    o->g_dict = NULL;
    return 0;
}

static void Info_dealloc(Info *o) {
    PyObject_GC_UnTrack(o);
    Info_clear(o);
    Py_TYPE(o)->tp_free((PyObject *)o);
}

static PyMemberDef Info_members[] = {
    {"id", T_OBJECT, offsetof(Info, id), 0, NULL},
    {"id_enc", T_OBJECT, offsetof(Info, id_enc), 0, NULL},
    {"code", T_OBJECT, offsetof(Info, code), 0, NULL},
    {"lines", T_OBJECT, offsetof(Info, lines), 0, NULL},
    {"cells", T_OBJECT, offsetof(Info, cells), 0, NULL},
    {"frees", T_OBJECT, offsetof(Info, frees), 0, NULL},
    {"args", T_OBJECT, offsetof(Info, args), 0, NULL},
    {"function", T_BOOL, offsetof(Info, function), 0, NULL},
    {"generator", T_BOOL, offsetof(Info, generator), 0, NULL},
    {NULL}
};

static PyTypeObject InfoType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_rewind_accel.Info",
    .tp_basicsize = sizeof(Info),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE,
    .tp_doc = "core.CodeInfo's fields in a C layout (core.py gives it CodeInfo's __init__).",
    .tp_new = PyType_GenericNew,
    .tp_dealloc = (destructor)Info_dealloc,
    .tp_traverse = (traverseproc)Info_traverse,
    .tp_clear = (inquiry)Info_clear,
    .tp_members = Info_members,
};

/* The slot of a local's name, -1 if it is not one (a global a function assigns, say) */
static int slot_of(Info *info, PyObject *name) {
    PyObject *names = info->slots;
    for (int i = 0; i < info->nslots; i++)
        if (PyTuple_GET_ITEM(names, i) == name) return i;  /* names are mostly interned */
    for (int i = 0; i < info->nslots; i++) {
        int eq = PyObject_RichCompareBool(PyTuple_GET_ITEM(names, i), name, Py_EQ);
        if (eq) { if (eq < 0) PyErr_Clear(); else return i; }
    }
    return -1;
}

/* f->ix from f's tuples, for a function's code */
static int facts_slots(Info *info, LineFacts *f) {
    f->nst = f->stores ? (int)PyTuple_GET_SIZE(f->stores) : 0;
    f->nld = f->loads ? (int)PyTuple_GET_SIZE(f->loads) : 0;
    f->ix = NULL;
    if (!info->function || !(f->nst + f->nld)) return 0;
    if (!(f->ix = PyMem_Malloc(sizeof(int) * (f->nst + f->nld)))) { PyErr_NoMemory(); return -1; }
    for (int k = 0; k < f->nst; k++) f->ix[k] = slot_of(info, PyTuple_GET_ITEM(f->stores, k));
    for (int k = 0; k < f->nld; k++) f->ix[f->nst + k] = slot_of(info, PyTuple_GET_ITEM(f->loads, k));
    return 0;
}

/* A function's slots, at its first call */
static int info_slots(Info *info) {
    if (info->slots || !info->function) return 0;
    char *mask;
    PyObject *names = slot_names((PyCodeObject *)info->code, &mask);
    if (!names) return -1;
    Py_ssize_t n = PyTuple_GET_SIZE(names), nc = PyTuple_GET_SIZE(info->cells);
    PyObject **keys = PyMem_Calloc(n ? n : 1, sizeof(PyObject *));
    int *cells_ix = PyMem_Malloc(sizeof(int) * (nc ? nc : 1));
    if (!keys || !cells_ix) {
        Py_DECREF(names); PyMem_Free(mask); PyMem_Free(keys); PyMem_Free(cells_ix);
        PyErr_NoMemory();
        return -1;
    }
    info->slots = names;
    info->cellmask = mask;
    info->keys = keys;
    info->nslots = (int)n;
    info->cells_ix = cells_ix;
    info->ncells = (int)nc;
    for (Py_ssize_t i = 0; i < nc; i++) cells_ix[i] = slot_of(info, PyTuple_GET_ITEM(info->cells, i));
    return 0;
}

/* core.FrameState. A module or class body's keeps what it saw in dicts by name, as core.py
 * does; a function's by slot, in the object itself (one allocation per call). */
typedef struct {
    PyObject_VAR_HEAD
    long long id;
    void *frame;  /* the frame's address: its key in the frames table */
    PyObject *info, *exc;
    long rfrom, rto;  /* the (start, end) offsets of the back-jump of the last line event; rfrom -1: none */
    PyObject *snap, *enc;  /* a module or class body's (core.py's): enc's keys are its mutable names */
    PyObject *watch;  /* a generator's: core._Watch on it, from its first yield */
    long prev;  /* -1: no line event yet */
    char suspended, fresh;
    /* a function's: per slot the object seen last and, if it can change in place, its last
     * encoding and that encoding's shadow (judge); `order` has the slots with an encoding in the
     * order they got one, as enc's keys */
    int nslots, nmut;
    PyObject **seen, **encs;
    Shadow **shadows;
    int *order;
} State;

/* A slot's shadow, besides a Shadow: NULL (none: the value is new, or changed at the last
 * look), or */
#define SHADOW_STILL ((Shadow *)1)  /* it held still at the last look: the next one makes one */
#define SHADOW_NEVER ((Shadow *)2)  /* the value cannot have one (a bytearray...) */
#define HAS_SHADOW(p) ((p) && (p) != SHADOW_STILL && (p) != SHADOW_NEVER)

static void shadow_drop(Shadow **sh) {
    if (!sh) return;
    if (HAS_SHADOW(*sh)) shadow_free(*sh);
    *sh = NULL;
}

/* A State is not tracked by the garbage collector: no program object can refer to one, so it
 * is never part of a cycle, and a call costs no tracking. */
static void State_dealloc(State *o) {
    Py_CLEAR(o->info); Py_CLEAR(o->snap); Py_CLEAR(o->enc);
    Py_CLEAR(o->exc); Py_CLEAR(o->watch);
    for (int i = 0; i < o->nslots; i++) { Py_CLEAR(o->seen[i]); Py_CLEAR(o->encs[i]); shadow_drop(&o->shadows[i]); }
    Py_TYPE(o)->tp_free((PyObject *)o);
}

static PyObject *State_get_prev(State *o, void *c) {
    if (o->prev < 0) Py_RETURN_NONE;
    return PyLong_FromLong(o->prev);
}

static PyObject *State_get_key(State *o, void *c) { return PyLong_FromVoidPtr(o->frame); }

static PyObject *State_get_region(State *o, void *c) {
    if (o->rfrom < 0) Py_RETURN_NONE;
    return Py_BuildValue("ll", o->rfrom, o->rto);
}

static PyMemberDef State_members[] = {
    {"id", T_LONGLONG, offsetof(State, id), 0, NULL},
    {"info", T_OBJECT, offsetof(State, info), 0, NULL},
    {"snap", T_OBJECT, offsetof(State, snap), READONLY, NULL},
    {"enc", T_OBJECT, offsetof(State, enc), READONLY, NULL},
    {"exc", T_OBJECT, offsetof(State, exc), 0, NULL},
    {"suspended", T_BOOL, offsetof(State, suspended), 0, NULL},
    {"fresh", T_BOOL, offsetof(State, fresh), 0, NULL},
    {"watch", T_OBJECT, offsetof(State, watch), 0, NULL},
    {NULL}
};

static PyGetSetDef State_getset[] = {
    {"prev", (getter)State_get_prev, NULL, "line of the frame's previous line event", NULL},
    {"key", (getter)State_get_key, NULL, "the frame's address, its key in the frames table", NULL},
    {"region", (getter)State_get_region, NULL, "(start, end) offsets if the last line event was a loop back-jump", NULL},
    {NULL}
};

static PyTypeObject StateType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_rewind_accel.State",
    .tp_basicsize = sizeof(State),
    .tp_itemsize = 1,  /* a function's slots, in bytes */
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "core.FrameState in a C layout.",
    .tp_dealloc = (destructor)State_dealloc,
    .tp_members = State_members,
    .tp_getset = State_getset,
};

static PyObject *zero, *empty;  /* the int 0, () */

static State *state_new(long long fid, void *frame, Info *info) {
    int n = info->function ? info->nslots : 0;
    size_t bytes = (size_t)n * (2 * sizeof(PyObject *) + sizeof(Shadow *) + sizeof(int));
    State *st = PyObject_NewVar(State, &StateType, (Py_ssize_t)bytes);
    if (!st) return NULL;
    st->id = fid;
    st->frame = frame;
    st->info = Py_NewRef((PyObject *)info);
    st->exc = Py_NewRef(zero);
    st->rfrom = st->rto = -1;
    st->watch = NULL;
    st->prev = -1;
    st->suspended = 0;
    st->fresh = 1;
    st->nslots = n;
    st->nmut = 0;
    st->seen = (PyObject **)(st + 1);  /* the variable part, right after the struct */
    st->encs = st->seen + n;
    st->shadows = (Shadow **)(st->encs + n);
    st->order = (int *)(st->shadows + n);
    memset(st->seen, 0, bytes);
    st->snap = info->function ? NULL : PyDict_New();
    st->enc = info->function ? NULL : PyDict_New();
    if (!info->function && (!st->snap || !st->enc)) { Py_DECREF(st); return NULL; }
    return st;
}

/* slot i of a function's state got (was_mut == 0) or lost its encoding: `order` follows */
static void order_moved(State *st, int i, int was_mut) {
    if (!was_mut) { st->order[st->nmut++] = i; return; }
    int k = 0;
    while (k < st->nmut && st->order[k] != i) k++;
    if (k == st->nmut) return;
    memmove(st->order + k, st->order + k + 1, sizeof(int) * (st->nmut - k - 1));
    st->nmut--;
}

static inline int has_mutable(State *st) {
    return st->snap ? PyDict_GET_SIZE(st->enc) > 0 : st->nmut > 0;
}

/* ---- the recorder (core.Recorder's hot paths) -------------------------------------------------- */

typedef struct {
    PyObject_HEAD
    /* attributes core.Recorder sets, in C slots so C reads them directly */
    PyObject *last, *keys, *encode, *codes, *w, *unwinding;
    PyObject *dropped;  /* Recorder._dropped: core._Watch of generators freed since the last event */
    FrameTable frames;  /* Recorder.frames */
    long long next_frame;
    char enabled;
    unsigned long cur_ident;
    char has_cur;
    /* set once by _accel_setup */
    Sink *sink;
    PyObject *atoms, *redacted, *line_info, *is_yield, *disable;
    Encoder enc;  /* Serializer.encode */
    PyObject *named_shadows;  /* a module's or class body's values' shadows, by encoding (named_shadow) */
    /* the back end in use, for fail(), and its helpers */
    PyObject *backend, *on_exception, *jump_lines;
    /* frames[id(cached_frame)] is cached_state, kept so while both are set: most events come
     * from the frame of the event before. Dropped whenever frames may change elsewhere. */
    void *cached_frame;
    State *cached_state;
    Py_ssize_t extra_index;  /* this recorder's co_extra slot (code_info), or -1 */
} Core;

static inline void forget_cached(Core *self) {
    self->cached_frame = NULL;
    Py_CLEAR(self->cached_state);
}

static inline void cache_state(Core *self, void *frame, State *st) {
    Py_XSETREF(self->cached_state, (State *)Py_NewRef((PyObject *)st));
    self->cached_frame = frame;
}

static PyObject *s_code_info, *s_key, *s_on_unwind, *s_on_exception, *s_fail,
    *s_emit_switching, *s_stores, *s_loads, *s_calls, *s_globals, *s_f_trace_lines,
    *s_global_changes, *s_module_body_namespace, *s_namespace, *s_enc, *s_watch;

static void core_fail(Core *self) {
    /* rec.fail(backend): recording stops, the program carries on */
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (value && tb) PyException_SetTraceback(value, tb);
    PyObject *r = PyObject_CallMethodObjArgs((PyObject *)self, s_fail, self->backend ? self->backend : Py_None,
                                             value ? value : Py_None, NULL);
    if (!r) PyErr_Clear(); else Py_DECREF(r);
    if (getenv("REWIND_AGENT_DEBUG") && type) {
        /* PyErr_Print needs Python frames, which may be what ran out */
        PyObject *text = value ? PyObject_Str(value) : NULL;
        fprintf(stderr, "rewind agent (C): %s: %s\n", ((PyTypeObject *)type)->tp_name,
                text && PyUnicode_Check(text) ? PyUnicode_AsUTF8(text) : "?");
        Py_XDECREF(text);
        PyErr_Clear();
    }
    Py_XDECREF(type); Py_XDECREF(value); Py_XDECREF(tb);
}

/* Recorder.emit */
static int core_emit(Core *self, const char *data, Py_ssize_t n) {
    if (!self->enabled) return 0;
    unsigned long ident = PyThread_get_thread_ident();
    if (!self->has_cur || ident != self->cur_ident || !self->sink
        || (self->dropped && PyList_GET_SIZE(self->dropped))) {
        /* another thread's turn (or a writer of the Python kind, or DROPPED to write first):
         * the locked Python path */
        PyObject *bytes = PyBytes_FromStringAndSize(data, n);
        if (!bytes) return -1;
        PyObject *r = PyObject_CallMethodOneArg((PyObject *)self, s_emit_switching, bytes);
        Py_DECREF(bytes);
        if (!r) return -1;
        Py_DECREF(r);
        return 0;
    }
    return sink_write(self->sink, data, n);
}

/* Recorder._key: (encoded name id, is secret), borrowed */
static PyObject *core_key(Core *self, PyObject *name) {
    PyObject *k = PyDict_GetItemWithError(self->keys, name);
    if (k || PyErr_Occurred()) return k;
    k = PyObject_CallMethodOneArg((PyObject *)self, s_key, name);
    if (!k) return NULL;
    Py_DECREF(k);  /* the cache holds it */
    return PyDict_GetItemWithError(self->keys, name);
}

/* wire.patch: enc, a local's encoding, as a patch of base (bn bytes), the one it had before,
 * when enc is PATCH_MIN bytes or more and the patch takes at most half of them; else enc. The
 * same hunks as wire.patch finds. */
#define PATCH_SUB 8
#define PATCH_RUN 4
#define PATCH_MIN 128
static Py_ssize_t common(const char *a, const char *b, Py_ssize_t limit) {
    Py_ssize_t r = 0;
    while (r < limit && a[r] == b[r]) r++;
    return r;
}
static int put_hunk(Buf *out, Py_ssize_t at, Py_ssize_t cut, const char *p, Py_ssize_t n) {
    return put_uint(out, (unsigned long long)at) || put_uint(out, (unsigned long long)cut) || put_bin_header(out, n) || put(out, p, n);
}
static int put_patch(Buf *out, const char *base, Py_ssize_t bn, const Buf *enc) {
    if (enc->n < PATCH_MIN) return put(out, enc->p, enc->n);
    const char *e = enc->p;
    Py_ssize_t n = enc->n, m = bn < n ? bn : n, i = common(base, e, m), tail = 0, start = out->n;
    while (tail < m - i && base[bn - 1 - tail] == e[n - 1 - tail]) tail++;
    Py_ssize_t be = bn - tail, ne = n - tail, j = i, hunks = 0;
    Buf h;  /* the hunks, to count them first */
    buf_init(&h);
    while (i < be && j < ne) {
        int k = 1;
        for (; k <= PATCH_SUB; k++) {
            if (i + k + PATCH_RUN > be || j + k + PATCH_RUN > ne) { k = PATCH_SUB + 1; break; }
            if (!memcmp(base + i + k, e + j + k, PATCH_RUN)) break;
        }
        if (k > PATCH_SUB) break;
        if (put_hunk(&h, i, k, e + j, k)) goto fail;
        if (2 * h.n > n) goto whole;  /* already more than half */
        hunks++;
        Py_ssize_t mid = be - i < ne - j ? be - i : ne - j;
        Py_ssize_t run = common(base + i + k, e + j + k, mid - k);
        i += k + run;
        j += k + run;
    }
    if (i < be || j < ne) {
        if (put_hunk(&h, i, be - i, e + j, ne - j)) goto fail;
        hunks++;
    }
    if (put_array_header(out, 2 + 3 * hunks) || put_uint(out, T_PATCH) || put_uint(out, (unsigned long long)bn)
        || put(out, h.p, h.n)) goto fail;
    if (2 * (out->n - start) <= n) { buf_free(&h); return 0; }
whole:
    buf_free(&h);
    out->n = start;
    return put(out, e, n);
fail:
    buf_free(&h);
    return -1;
}

/* a local's (name id, value) pair, k its Recorder._key; a secret's value is redacted; base: the
 * encoding it had before, to send the value as a patch of (a function's local; else NULL) */
static int put_pair(Core *self, Buf *out, PyObject *k, Buf *enc, PyObject *base) {
    if (!k) { if (!PyErr_Occurred()) PyErr_SetString(PyExc_KeyError, "name"); return -1; }
    if (put_bytes(out, PyTuple_GET_ITEM(k, 0))) return -1;
    if (PyTuple_GET_ITEM(k, 1) == Py_True) return put_bytes(out, self->redacted);
    if (base) return put_patch(out, PyBytes_AS_STRING(base), PyBytes_GET_SIZE(base), enc);
    return put(out, enc->p, enc->n);
}

/* Recorder._key of a function's slot i, kept by slot, borrowed */
static PyObject *slot_key(Core *self, Info *info, int i) {
    if (!info->keys[i]) {
        PyObject *k = core_key(self, PyTuple_GET_ITEM(info->slots, i));
        if (!k) return NULL;
        info->keys[i] = Py_NewRef(k);
    }
    return info->keys[i];
}

static inline int is_atom(Core *self, PyTypeObject *t) {
    if (t == &PyLong_Type || t == &PyFloat_Type || t == &PyUnicode_Type) return 1;  /* checked in accel_setup */
    return PySet_Contains(self->atoms, (PyObject *)t);
}

/* encoding in b == was (bytes, or NULL) */
static inline int same_encoding(Buf *b, PyObject *was) {
    return was && PyBytes_GET_SIZE(was) == b->n && memcmp(PyBytes_AS_STRING(was), b->p, b->n) == 0;
}

/* v (not old itself) equals old, both of one of the types compared by value (core._EQ_TYPES,
 * and floats to the bit, but for NaN) */
static int same_scalar(PyObject *v, PyObject *old) {
    PyTypeObject *t = Py_TYPE(v);
    if (t != Py_TYPE(old)) return 0;
    if (t == &PyFloat_Type) {
        double a = PyFloat_AS_DOUBLE(v), b = PyFloat_AS_DOUBLE(old);
        return a == b && (a != 0.0 || copysign(1.0, a) == copysign(1.0, b));
    }
    if (t == &PyLong_Type && compact_int(v) && compact_int(old)) return compact_value(v) == compact_value(old);
    if (t == &PyLong_Type || t == &PyUnicode_Type || t == &PyBytes_Type) {
        PyObject *r = t->tp_richcompare(v, old, Py_EQ);  /* the same exact type: no dispatch needed */
        if (!r) return -1;
        int eq = r == Py_True;
        Py_DECREF(r);
        return eq;
    }
    return 0;  /* bools and None are equal only when they are the same object */
}

/* The same object looked at again: 1 if it changed in place (its encoding in tmp and *was),
 * 0 if not. Through its shadow (sh: NULL where there is none to keep) when it has one. One is
 * made as it is encoded once it held still at a look: not for a value that changes at each
 * look, nor in a short call that looks at its arguments once or twice. */
static int look_again(Core *self, PyObject *v, PyObject **was, Shadow **sh, Buf *tmp) {
    if (sh && HAS_SHADOW(*sh)) {
        int holds = shadow_holds(&self->enc, *sh, v);
        if (holds) return holds < 0 ? -1 : 0;
        shadow_free(*sh);
        *sh = NULL;
    }
    Shadow *made = NULL;
    int make = sh && *sh == SHADOW_STILL;
    if (make ? encode_shadowed(&self->enc, v, tmp, &made) : encode(&self->enc, v, tmp)) return -1;
    if (same_encoding(tmp, *was)) {
        if (make) *sh = made ? made : SHADOW_NEVER;
        else if (sh && !*sh) *sh = SHADOW_STILL;
        return 0;
    }
    shadow_free(made);
    if (sh && *sh != SHADOW_NEVER) *sh = NULL;
    PyObject *e = PyBytes_FromStringAndSize(tmp->p, tmp->n);
    if (!e) return -1;
    Py_SETREF(*was, e);
    return 1;
}

/* One local against what its frame saw last: the body of Recorder._changes' loop. v is its
 * value (NULL: unbound), *old the object seen last, *was that object's last encoding if it can
 * change in place (else NULL), *sh that encoding's shadow (sh NULL: none kept); all are
 * updated (owned references). Returns 1 with the encoding to report in tmp, 0 if nothing
 * changed, -1 on error; *in_place if the same object changed in place. */
static int judge(Core *self, PyObject *v, PyObject **old, PyObject **was, Shadow **sh, Buf *tmp, int *in_place) {
    tmp->n = 0;
    if (v == *old) {
        if (!v || !*was) return 0;
        int r = look_again(self, v, was, sh, tmp);
        if (r > 0) *in_place = 1;
        return r;
    }
    shadow_drop(sh);  /* rebound: a shadow is made at the next look at the new object */
    if (!v) {
        Py_CLEAR(*old);
        Py_CLEAR(*was);
        return put_array_header(tmp, 1) || put_uint(tmp, T_UNBOUND) ? -1 : 1;
    }
    PyObject *prev = *old;  /* owned until compared */
    *old = Py_NewRef(v);
    int equal = prev ? same_scalar(v, prev) : 0;
    Py_XDECREF(prev);
    if (equal) return equal < 0 ? -1 : 0;
    int atom = is_atom(self, Py_TYPE(v));
    if (atom < 0 || encode(&self->enc, v, tmp)) return -1;
    if (atom) { Py_CLEAR(*was); return 1; }
    if (same_encoding(tmp, *was)) return 0;  /* rebound to an equal value */
    PyObject *e = PyBytes_FromStringAndSize(tmp->p, tmp->n);
    if (!e) return -1;
    Py_XSETREF(*was, e);
    return 1;
}

/* d[name] = v, or del d[name] for NULL; `had` whether d had name */
static int dict_put(PyObject *d, PyObject *name, PyObject *v, int had) {
    if (v) return PyDict_SetItem(d, name, v);
    return had ? PyDict_DelItem(d, name) : 0;
}

/* A module's or class body's names are kept in dicts that Python code of the recorder writes
 * too (a function's GLOBALS), so a name's shadow is kept with the encoding it stands for, and
 * used only while that is the name's last encoding. Small encodings have none (a few dict
 * operations would cost what encoding them does), and the table is bounded. */
#define NAMED_SHADOW_MIN 64
#define NAMED_SHADOWS_MAX 512

typedef struct { PyObject_HEAD PyObject *was; Shadow *s; } ShadowBox;
static void ShadowBox_dealloc(ShadowBox *b) { Py_XDECREF(b->was); shadow_drop(&b->s); PyObject_Free(b); }
static PyTypeObject ShadowBoxType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_rewind_accel.ShadowBox",
    .tp_basicsize = sizeof(ShadowBox),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_dealloc = (destructor)ShadowBox_dealloc,
};

/* takes the shadow kept for `name` if it stands for `was` (NULL, SHADOW_STILL, SHADOW_NEVER or one) */
static Shadow *take_named_shadow(Core *self, PyObject *name, PyObject *was) {
    ShadowBox *box = (ShadowBox *)PyDict_GetItemWithError(self->named_shadows, name);
    if (!box) { PyErr_Clear(); return NULL; }
    if (box->was != was) return NULL;
    Shadow *s = box->s;
    box->s = NULL;
    return s;
}

/* keeps sh for `name`, whose last encoding is `was`; takes sh (NULL: forgets the name's) */
static void keep_named_shadow(Core *self, PyObject *name, PyObject *was, Shadow *sh) {
    if (!sh) {  /* (no KeyError made for a name without one: most values that change have none) */
        PyObject *had = PyDict_GetItemWithError(self->named_shadows, name);
        if (had ? PyDict_DelItem(self->named_shadows, name) : PyErr_Occurred() != NULL) PyErr_Clear();
        return;
    }
    ShadowBox *box = PyObject_New(ShadowBox, &ShadowBoxType);
    if (!box) { PyErr_Clear(); shadow_drop(&sh); return; }
    box->was = Py_NewRef(was);
    box->s = sh;
    if (PyDict_GET_SIZE(self->named_shadows) >= NAMED_SHADOWS_MAX) PyDict_Clear(self->named_shadows);
    if (PyDict_SetItem(self->named_shadows, name, (PyObject *)box)) PyErr_Clear();
    Py_DECREF(box);
}

/* judge for a module or class body's local, kept in its state's dicts by name */
static int judge_named(Core *self, State *st, PyObject *name, PyObject *v, Buf *tmp, int *in_place) {
    PyObject *old0 = PyDict_GetItemWithError(st->snap, name), *was0 = NULL;
    if (!old0 && PyErr_Occurred()) return -1;
    if (!(was0 = PyDict_GetItemWithError(st->enc, name)) && PyErr_Occurred()) return -1;
    PyObject *old = Py_XNewRef(old0), *was = Py_XNewRef(was0);
    int shadowed = v && v == old && was && PyBytes_CheckExact(was) && PyBytes_GET_SIZE(was) >= NAMED_SHADOW_MIN;
    Shadow *sh = shadowed ? take_named_shadow(self, name, was) : NULL;
    int r = judge(self, v, &old, &was, shadowed ? &sh : NULL, tmp, in_place);
    if (shadowed && r >= 0) keep_named_shadow(self, name, was, r == 0 ? sh : NULL);
    if (r != 0) shadow_drop(&sh);
    if (r >= 0 && old != old0 && dict_put(st->snap, name, old, old0 != NULL)) r = -1;
    if (r >= 0 && was != was0 && dict_put(st->enc, name, was, was0 != NULL)) r = -1;
    Py_XDECREF(old);
    Py_XDECREF(was);
    return r;
}

static int is_dunder(PyObject *name) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(name);
    return n >= 2 && PyUnicode_READ_CHAR(name, 0) == '_' && PyUnicode_READ_CHAR(name, 1) == '_'
        && PyUnicode_READ_CHAR(name, n - 2) == '_' && PyUnicode_READ_CHAR(name, n - 1) == '_';
}

/* The names _changes looks at in a module or class body when `full`: its whole namespace (it
 * can change from anywhere), and the names gone from it. */
static PyObject *all_names(State *st, PyObject *loc) {
    PyObject *names = PyList_New(0);
    if (!names) return NULL;
    Py_ssize_t pos = 0;
    PyObject *k, *x;
    while (PyDict_Next(loc, &pos, &k, &x))
        if (PyUnicode_Check(k) && !is_dunder(k) && PyList_Append(names, k)) goto fail;
    pos = 0;
    while (PyDict_Next(st->snap, &pos, &k, &x)) {
        int in = PyDict_Contains(loc, k);
        if (in < 0 || (!in && PyList_Append(names, k))) goto fail;
    }
    return names;
fail:
    Py_DECREF(names);
    return NULL;
}

/* stores, and the mutable locals among loads that are not stores too */
static PyObject *stores_and_loads(State *st, PyObject *stores, PyObject *loads) {
    PyObject *names = PySequence_List(stores);
    if (!names) return NULL;
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(loads); i++) {
        PyObject *n = PyTuple_GET_ITEM(loads, i);
        int in_mut = PyDict_Contains(st->enc, n);
        int in_stores = in_mut > 0 ? PySequence_Contains(stores, n) : 0;
        if (in_mut < 0 || in_stores < 0 || (in_mut && !in_stores && PyList_Append(names, n))) {
            Py_DECREF(names);
            return NULL;
        }
    }
    return names;
}

typedef struct { void *ids[32]; int n; PyObject *set; } IdSet;  /* ids of objects changed in place */

/* not `= {...}`: that would zero ids[] at every line event */
static inline void idset_init(IdSet *s) { s->n = 0; s->set = NULL; }

static int idset_add(IdSet *s, void *id) {
    if (!s->set && s->n < 32) { s->ids[s->n++] = id; return 0; }
    if (!s->set) {  /* more than fit: all of them go into a set of ids */
        if (!(s->set = PySet_New(NULL))) return -1;
        for (int i = 0; i < s->n; i++)
            if (idset_add(s, s->ids[i])) return -1;
    }
    PyObject *key = PyLong_FromVoidPtr(id);
    int r = key ? PySet_Add(s->set, key) : -1;
    Py_XDECREF(key);
    return r;
}

static int idset_has(IdSet *s, void *id) {
    if (!s->set) {
        for (int i = 0; i < s->n; i++) if (s->ids[i] == id) return 1;
        return 0;
    }
    PyObject *key = PyLong_FromVoidPtr(id);
    int r = key ? PySet_Contains(s->set, key) : -1;
    Py_XDECREF(key);
    return r;
}

static inline int idset_empty(IdSet *s) { return !s->n && !s->set; }

/* A list of a function's slots, on the stack while it is short */
typedef struct { int *ix; int n, cap; int small[64]; } Slots;

static void slots_init(Slots *l) { l->ix = l->small; l->n = 0; l->cap = 64; }
static void slots_free(Slots *l) { if (l->ix != l->small) PyMem_Free(l->ix); }

static int slots_has(const int *ix, int n, int i) {
    for (int k = 0; k < n; k++) if (ix[k] == i) return 1;
    return 0;
}

static int slots_add(Slots *l, int i) {
    if (l->n == l->cap) {
        int *p = PyMem_Malloc(sizeof(int) * l->cap * 2);
        if (!p) { PyErr_NoMemory(); return -1; }
        memcpy(p, l->ix, sizeof(int) * l->n);
        slots_free(l);
        l->ix = p;
        l->cap *= 2;
    }
    l->ix[l->n++] = i;
    return 0;
}

/* Recorder._changes for a function's frame: appends (name id, value)* of the locals in slots
 * ix[0..n) (-1: not a local, so never bound) that changed since the frame's previous event. */
static int changes_slots(Core *self, State *st, Locals *L, const int *ix, int n, int full, Buf *out,
                         Py_ssize_t *pairs) {
    Info *info = (Info *)st->info;
    IdSet mutated;
    Slots aliases;
    idset_init(&mutated);
    slots_init(&aliases);
    Buf tmp;  /* the value's encoding */
    buf_init(&tmp);
    int rc = -1;
    for (int k = 0; k < n; k++) {
        int i = ix[k];
        if (i < 0) continue;
        PyObject *v = locals_get(L, info->slots, info->cellmask, i);
        if (!v && PyErr_Occurred()) goto done;
        PyObject *base = Py_XNewRef(st->encs[i]);  /* its encoding before: a patch's base */
        int was_mut = base != NULL, in_place = 0;
        int r = judge(self, v, &st->seen[i], &st->encs[i], &st->shadows[i], &tmp, &in_place);
        if (r > 0 && in_place && idset_add(&mutated, v)) r = -1;
        Py_XDECREF(v);
        if (r > 0) {  /* a patch only from one container or object's encoding to another's, as core.py */
            int patch = base && st->encs[i];
            r = put_pair(self, out, slot_key(self, info, i), &tmp, patch ? base : NULL) ? -1 : 1;
        }
        Py_XDECREF(base);
        if (r < 0) goto done;
        if ((st->encs[i] != NULL) != was_mut) order_moved(st, i, was_mut);
        if (!r) continue;
        (*pairs)++;
    }
    if (!idset_empty(&mutated) && !full) {
        /* other names of this frame that hold an object that changed in place */
        for (int k = 0; k < st->nmut; k++) {
            int i = st->order[k];
            if (slots_has(ix, n, i)) continue;
            int hit = idset_has(&mutated, st->seen[i]);
            if (hit < 0 || (hit && slots_add(&aliases, i))) goto done;
        }
        if (aliases.n && changes_slots(self, st, L, aliases.ix, aliases.n, 0, out, pairs)) goto done;
    }
    rc = 0;
done:
    Py_XDECREF(mutated.set);
    slots_free(&aliases);
    buf_free(&tmp);
    return rc;
}

/* Recorder._changes for a module or class body: the same by name, `names` as Python computes
 * them, loc the namespace. */
static int changes_named(Core *self, State *st, PyObject *names, PyObject *loc, int full, Buf *out,
                         Py_ssize_t *pairs) {
    PyObject *it = NULL, *name = NULL, *v = NULL;
    IdSet mutated;
    Buf tmp;
    idset_init(&mutated);
    buf_init(&tmp);
    int rc = -1;
    it = PyObject_GetIter(names);
    if (!it) goto done;
    while ((name = PyIter_Next(it))) {
        v = local_get(loc, name);
        if (!v && PyErr_Occurred()) goto done;
        int in_place = 0;
        int r = judge_named(self, st, name, v, &tmp, &in_place);
        if (r > 0 && in_place && idset_add(&mutated, v)) r = -1;
        if (r < 0) goto done;
        if (r && put_pair(self, out, core_key(self, name), &tmp, NULL)) goto done;
        *pairs += r;
        Py_CLEAR(v);
        Py_CLEAR(name);
    }
    if (PyErr_Occurred()) goto done;
    if (!idset_empty(&mutated) && !full) {
        PyObject *aliases = PyList_New(0), *n, *was;
        Py_ssize_t pos = 0;
        int r = aliases ? 0 : -1;
        while (!r && PyDict_Next(st->enc, &pos, &n, &was)) {
            int in_names = PySequence_Contains(names, n);
            PyObject *held = in_names == 0 ? PyDict_GetItemWithError(st->snap, n) : NULL;
            int hit = held ? idset_has(&mutated, held) : 0;
            r = in_names < 0 || hit < 0 || PyErr_Occurred() || (hit > 0 && PyList_Append(aliases, n));
        }
        if (!r && PyList_GET_SIZE(aliases)) r = changes_named(self, st, aliases, loc, 0, out, pairs);
        Py_XDECREF(aliases);
        if (r) goto done;
    }
    rc = 0;
done:
    Py_XDECREF(v);
    Py_XDECREF(name);
    Py_XDECREF(it);
    Py_XDECREF(mutated.set);
    buf_free(&tmp);
    return rc;
}

/* The namespace _changes reads in a module or class body: f_locals, or for a comprehension
 * inlined into a module body (3.13+: f_locals then shows only the comprehension's variables)
 * the module's. NULL without an error when there is none to read (the same inside a class
 * body). New reference. */
static PyObject *namespace_of(Frame *frame, Info *info) {
    PyFrameObject *fo = frame_object(frame);
    PyObject *loc = fo ? PyFrame_GetLocals(fo) : NULL;
    if (!loc || PyDict_CheckExact(loc)) return loc;
    Py_DECREF(loc);
    PyObject *name = PyObject_GetAttrString(info->code, "co_name");
    if (!name) return NULL;
    int module = PyUnicode_Check(name) && PyUnicode_CompareWithASCIIString(name, "<module>") == 0;
    Py_DECREF(name);
    return module ? PyFrame_GetGlobals(fo) : NULL;
}

/* The range of line numbers a LineInfo dict has keys for; 0 if a key is not a line number */
static int key_range(PyObject *d, long *lo, long *hi) {
    if (!PyDict_Check(d)) return 0;
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (PyDict_Next(d, &pos, &k, &v)) {
        if (!PyLong_CheckExact(k)) return 0;
        long line = PyLong_AsLong(k);
        if (line < 0) { PyErr_Clear(); return 0; }
        if (line < *lo) *lo = line;
        if (line > *hi) *hi = line;
    }
    return 1;
}

/* a LineInfo.globals value, a pair of tuples (stores, loads): GL_STORES or GL_LOADS */
static char globals_of(PyObject *v) {
    return PyTuple_GET_SIZE(PyTuple_GET_ITEM(v, 0)) ? GL_STORES : GL_LOADS;
}

/* a LineInfo.calls value: 1 (true), or ANYTHING if it has that bit (the line may bind names it
 * does not name; its GLOBALS bit is not needed here: l_globals is read instead) */
static char calls_of(PyObject *v) { return PyLong_Check(v) && (PyLong_AsLong(v) & ANYTHING) ? ANYTHING : 1; }

/* info->l_facts from the dicts; left NULL (the dicts are read instead) for odd line numbers */
static int line_table(Info *info) {
    long lo = LONG_MAX, hi = -1;
    if (!key_range(info->l_stores, &lo, &hi) || !key_range(info->l_loads, &lo, &hi)
        || !key_range(info->l_calls, &lo, &hi) || !key_range(info->l_globals, &lo, &hi)
        || hi < lo || hi - lo >= 1000000) return 0;
    LineFacts *t = PyMem_Calloc(hi - lo + 1, sizeof(LineFacts));
    if (!t) { PyErr_NoMemory(); return -1; }
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (PyDict_Next(info->l_stores, &pos, &k, &v)) t[PyLong_AsLong(k) - lo].stores = v;
    for (pos = 0; PyDict_Next(info->l_loads, &pos, &k, &v);) t[PyLong_AsLong(k) - lo].loads = v;
    for (pos = 0; PyDict_Next(info->l_calls, &pos, &k, &v);) t[PyLong_AsLong(k) - lo].calls = calls_of(v);
    for (pos = 0; PyDict_Next(info->l_globals, &pos, &k, &v);) {
        LineFacts *f = &t[PyLong_AsLong(k) - lo];
        f->gl = globals_of(v);
        f->gloads = PyTuple_GET_ITEM(v, 1);
    }
    info->l_facts = t;
    info->l_first = lo;
    info->l_n = hi - lo + 1;
    for (long i = 0; i < info->l_n; i++)
        if (facts_slots(info, &t[i])) return -1;
    return 0;
}

static int info_lines(Core *self, Info *info) {
    if (info->l_stores) return 0;
    if (!info->lines || info->lines == Py_None) {
        PyObject *lines = PyObject_CallOneArg(self->line_info, info->code);
        if (!lines) return -1;
        Py_XSETREF(info->lines, lines);
    }
    Py_XSETREF(info->l_lines, Py_NewRef(info->lines));
    if (!(info->l_stores = PyObject_GetAttr(info->lines, s_stores))) return -1;
    if (!(info->l_loads = PyObject_GetAttr(info->lines, s_loads))) return -1;
    if (!(info->l_calls = PyObject_GetAttr(info->lines, s_calls))) return -1;
    if (!(info->l_globals = PyObject_GetAttr(info->lines, s_globals))) return -1;
    return line_table(info);
}

/* LineInfo.region(from, to), kept on the Info: comprehensions jump back once per item */
static LineFacts *region_facts(Info *info, long from, long to) {
    for (int i = 0; i < info->nregions; i++)
        if (info->regions[i]->from == from && info->regions[i]->to == to) return &info->regions[i]->f;
    PyObject *facts = PyObject_CallMethod(info->lines, "region", "ll", from, to);
    if (!facts) return NULL;
    Region *r = PyMem_Calloc(1, sizeof(Region));
    Region **all = r ? PyMem_Realloc(info->regions, sizeof(Region *) * (info->nregions + 1)) : NULL;
    PyObject *c = PyTuple_GET_ITEM(facts, 2);
    int calls = PyObject_IsTrue(c);
    if (calls > 0) calls = calls_of(c);
    if (!all || calls < 0) {
        if (!PyErr_Occurred()) PyErr_NoMemory();
        PyMem_Free(r);
        Py_DECREF(facts);
        return NULL;
    }
    info->regions = all;
    r->from = from;
    r->to = to;
    r->f.stores = Py_NewRef(PyTuple_GET_ITEM(facts, 0));
    r->f.loads = Py_NewRef(PyTuple_GET_ITEM(facts, 1));
    r->f.calls = (char)calls;
    Py_DECREF(facts);
    all[info->nregions++] = r;
    return facts_slots(info, &r->f) ? NULL : &r->f;
}

static LineFacts no_facts;  /* a line that stores and loads nothing: empty tuples, set at import */

/* The facts of what ran since the frame's previous line event `prev`: that line's or, if
 * both events are back-jumps within it, those of the code from where the previous one
 * landed to where this one jumped. Borrowed, or in *tmp (release with facts_done). */
static LineFacts *facts_since(Info *info, long prev, long prev_from, long from, long to, LineFacts *tmp) {
    if (from >= 0 && prev_from >= 0 && prev_from <= to) return region_facts(info, prev_from, to);
    if (info->l_facts) {
        long i = prev - info->l_first;
        return i >= 0 && i < info->l_n ? &info->l_facts[i] : &no_facts;
    }
    PyObject *key = PyLong_FromLong(prev);  /* no table: the dicts */
    if (!key) return NULL;
    tmp->stores = PyDict_GetItemWithError(info->l_stores, key);
    tmp->loads = tmp->stores || !PyErr_Occurred() ? PyDict_GetItemWithError(info->l_loads, key) : NULL;
    PyObject *c = !PyErr_Occurred() ? PyDict_GetItemWithError(info->l_calls, key) : NULL;
    int calls = c ? calls_of(c) : PyErr_Occurred() ? -1 : 0;
    PyObject *g = calls >= 0 ? PyDict_GetItemWithError(info->l_globals, key) : NULL;
    Py_DECREF(key);
    if (calls < 0 || (!g && PyErr_Occurred())) return NULL;
    tmp->gl = g ? globals_of(g) : 0;
    tmp->gloads = g ? PyTuple_GET_ITEM(g, 1) : NULL;
    if (!tmp->stores) tmp->stores = empty;
    if (!tmp->loads) tmp->loads = empty;
    tmp->calls = (char)calls;
    return facts_slots(info, tmp) ? NULL : tmp;
}

static void facts_done(LineFacts *tmp) { PyMem_Free(tmp->ix); tmp->ix = NULL; }

/* The locals to look at in a function's frame: the facts' stores; if `full` (other traced code
 * ran since) also every mutable local and cell; else if with_loads, the mutable locals the line
 * loaded. The order is core.py's. */
static int slots_to_check(State *st, LineFacts *f, int full, int with_loads, Slots *l) {
    Info *info = (Info *)st->info;
    for (int k = 0; k < f->nst; k++)
        if (slots_add(l, f->ix[k])) return -1;
    if (full) {
        for (int k = 0; k < st->nmut; k++)
            if (!slots_has(l->ix, l->n, st->order[k]) && slots_add(l, st->order[k])) return -1;
        for (int k = 0; k < info->ncells; k++)
            if (!slots_has(l->ix, l->n, info->cells_ix[k]) && slots_add(l, info->cells_ix[k])) return -1;
    } else if (with_loads) {
        for (int k = 0; k < f->nld; k++) {
            int i = f->ix[f->nst + k];
            if (i >= 0 && st->encs[i] && !slots_has(f->ix, f->nst, i) && slots_add(l, i)) return -1;
        }
    }
    return 0;
}

/* Does the state's code have free variables to show at its first line (its slots set up)? */
static int info_frees(State *st) {
    Info *info = (Info *)st->info;
    return info->function && info->frees && PyTuple_GET_SIZE(info->frees) && info->slots
        && PyTuple_GET_SIZE(info->frees) <= info->ncells;
}

/* Would Recorder.global_changes find anything to look at after a line with facts f? A line that
 * rebinds globals, yes; one that read globals and called, if one of those can change in place
 * (the Python method is called for these lines only: most lines that read a global call a
 * function or a builtin, which never change in place). 1 yes, 0 no, -1 error. */
static int globals_to_check(Core *self, Frame *frame, Info *info, LineFacts *f) {
    if (f->gl == GL_STORES) return 1;
    if (f->gl != GL_LOADS || !f->calls) return 0;
    PyObject *g = frame_globals(frame);
    if (!g) return PyErr_Occurred() ? -1 : 0;
    if (g != info->g_dict) {
        PyObject *ns = PyObject_CallMethodOneArg((PyObject *)self, s_namespace, g);
        if (!ns) return -1;
        PyObject *enc = ns == Py_None ? NULL : PyObject_GetAttr(ns, s_enc);
        int none = ns == Py_None;
        Py_DECREF(ns);
        if (none) return 0;  /* not a module's globals: not followed */
        if (!enc) return -1;
        info->g_dict = g;
        Py_XSETREF(info->g_enc, enc);
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(f->gloads); i++) {
        int in = PyDict_Contains(info->g_enc, PyTuple_GET_ITEM(f->gloads, i));
        if (in) return in;
    }
    return 0;
}

/* Recorder.global_changes(frame, st, line, calls) after `line`, whose facts are f */
static int global_changes(Core *self, Frame *frame, State *st, long line, LineFacts *f) {
    int check = globals_to_check(self, frame, (Info *)st->info, f);
    if (check <= 0) return check;
    PyFrameObject *fo = frame_object(frame);
    PyObject *ln = fo ? PyLong_FromLong(line) : NULL;
    if (!ln) return -1;
    forget_cached(self);  /* Python code runs */
    PyObject *r = PyObject_CallMethodObjArgs((PyObject *)self, s_global_changes, (PyObject *)fo, (PyObject *)st,
                                             ln, f->calls ? Py_True : Py_False, NULL);
    Py_DECREF(ln);
    if (!r) return -1;
    Py_DECREF(r);
    return 0;
}

/* Recorder._leaving: a function's frame returns, yields or unwinds; what its last line did to
 * module globals */
static int leaving(Core *self, Frame *frame, State *st) {
    Info *info = (Info *)st->info;
    if (st->prev < 0 || !info->function) return 0;
    if (info_lines(self, info)) return -1;
    LineFacts tmp = {0};
    LineFacts *f = facts_since(info, st->prev, -1, -1, -1, &tmp);
    int rc = f ? global_changes(self, frame, st, st->prev, f) : -1;
    facts_done(&tmp);
    return rc;
}

/* A module body's state keeps what it saw in its module's Namespace (Recorder.on_call) */
static int share_namespace(Core *self, Frame *frame, State *st) {
    PyFrameObject *fo = frame_object(frame);
    PyObject *r = fo ? PyObject_CallMethodOneArg((PyObject *)self, s_module_body_namespace, (PyObject *)fo) : NULL;
    if (!r) return -1;
    if (r != Py_None) {
        Py_SETREF(st->snap, Py_NewRef(PyTuple_GET_ITEM(r, 0)));
        Py_SETREF(st->enc, Py_NewRef(PyTuple_GET_ITEM(r, 1)));
    }
    Py_DECREF(r);
    return 0;
}

/* Recorder.on_line. from, to: the (start, end) offsets of a back-jump within the line, or -1 */
static int on_line(Core *self, Frame *frame, State *st, long line, long from, long to) {
    st->fresh = 0;
    if (st->exc != zero) {
        /* kept while a finally or except block handles it (core.py's on_line) */
        PyObject *h = PyErr_GetHandledException();
        int same = h && h != Py_None && PyLong_AsVoidPtr(st->exc) == (void *)h;
        Py_XDECREF(h);
        if (PyErr_Occurred()) PyErr_Clear();
        if (!same) Py_SETREF(st->exc, Py_NewRef(zero));
    }
    Py_SETREF(self->unwinding, Py_NewRef(Py_None));
    long prev = st->prev;
    long prev_from = st->rfrom;
    st->prev = line;
    st->rfrom = from;
    st->rto = to;
    Buf out;
    buf_init(&out);
    Py_ssize_t pairs = 0;
    int rc = -1;
    LineFacts tmp = {0};
    if (prev >= 0) {
        Info *info = (Info *)st->info;
        if (info_lines(self, info)) goto done;
        LineFacts *f = facts_since(info, prev, prev_from, from, to, &tmp);
        if (!f || (f->gl && global_changes(self, frame, st, prev, f))) goto done;
        int full = self->last != (PyObject *)st || f->calls == ANYTHING;
        int has_stores = PyTuple_GET_SIZE(f->stores ? f->stores : empty) > 0;
        int with_loads = !full && f->calls && has_mutable(st);
        if (!full && !with_loads && !has_stores) {
            /* nothing can have changed: no look */
        } else if (info->function) {
            Slots l;
            slots_init(&l);
            Locals L;
            locals_open(&L, frame);
            /* mostly just the line's stores: those are looked at as they are */
            int r = full || with_loads
                ? slots_to_check(st, f, full, with_loads, &l)
                  || changes_slots(self, st, &L, l.ix, l.n, full, &out, &pairs)
                : changes_slots(self, st, &L, f->ix, f->nst, 0, &out, &pairs);
            locals_close(&L);
            slots_free(&l);
            if (r) goto done;
        } else {
            PyObject *stores = f->stores ? f->stores : empty, *loads = f->loads ? f->loads : empty;
            PyObject *loc = namespace_of(frame, info);
            if (!loc) { if (PyErr_Occurred()) goto done; }
            else {
                PyObject *names = full ? all_names(st, loc)
                    : with_loads ? stores_and_loads(st, stores, loads) : Py_NewRef(stores);
                int r = !names || changes_named(self, st, names, loc, full, &out, &pairs);
                Py_XDECREF(names);
                Py_DECREF(loc);
                if (r) goto done;
            }
        }
    } else if (info_frees(st)) {
        /* a closure's first line: the values of its free variables, the last of `cells` */
        Info *info = (Info *)st->info;
        Py_ssize_t nfree = PyTuple_GET_SIZE(info->frees);
        Locals L;
        locals_open(&L, frame);
        int r = changes_slots(self, st, &L, info->cells_ix + info->ncells - nfree, (int)nfree, 0, &out, &pairs);
        locals_close(&L);
        if (r) goto done;
    }
    Py_SETREF(self->last, Py_NewRef((PyObject *)st));
    {
        /* a bare line number when nothing changed, else [LINE, line, (name id, value)*] */
        Buf ev;
        buf_init(&ev);
        int r = (pairs ? put_array_header(&ev, 2 * pairs + 2) || put_uint(&ev, K_LINE) : 0)
                || put_uint(&ev, line) || put(&ev, out.p, out.n) || core_emit(self, ev.p, ev.n);
        buf_free(&ev);
        if (r) goto done;
    }
    rc = 0;
done:
    facts_done(&tmp);
    buf_free(&out);
    return rc;
}

/* Tests (REWIND_AGENT_WHOLE_ARGS): every CALL's arguments whole, as core.py's _CALLER_REFS */
static int caller_refs;

/* Recorder.state_of(frame.f_back): the state of the frame's caller if it is recorded, borrowed */
static State *caller_state(Core *self, Frame *frame) {
    Frame *back = frame_back(frame);
    State *cs = back ? (State *)ft_get(&self->frames, back) : NULL;
    return cs && ((Info *)cs->info)->code == (PyObject *)frame_code(back) ? cs : NULL;
}

/* Recorder._callers_name: in *same (borrowed), the name id (encoded) of the first of the
 * caller's locals, in the order they got an encoding, that is v and was last given as `enc`;
 * NULL if none is, or it is a secret's */
static int callers_name(Core *self, State *cs, PyObject *v, Buf *enc, PyObject **same) {
    *same = NULL;
    PyObject *k = NULL;
    if (!cs->snap) {
        for (int n = 0; n < cs->nmut; n++) {
            int j = cs->order[n];
            if (cs->seen[j] == v && same_encoding(enc, cs->encs[j])) {
                if (!(k = slot_key(self, (Info *)cs->info, j))) return -1;
                break;
            }
        }
    } else {
        Py_ssize_t pos = 0;
        PyObject *name, *was;
        while (PyDict_Next(cs->enc, &pos, &name, &was)) {
            PyObject *seen = PyDict_GetItemWithError(cs->snap, name);
            if (!seen && PyErr_Occurred()) return -1;
            if (seen == v && PyBytes_Check(was) && same_encoding(enc, was)) {
                if (!(k = core_key(self, name))) return -1;
                break;
            }
        }
    }
    if (k && PyTuple_GET_ITEM(k, 1) != Py_True) *same = PyTuple_GET_ITEM(k, 0);
    return 0;
}

/* A function caller's slot that is v and can change in place, the first in the order they got
 * an encoding; -1 if none */
static int callers_slot(State *cs, PyObject *v) {
    if (cs->snap) return -1;
    for (int n = 0; n < cs->nmut; n++)
        if (cs->seen[cs->order[n]] == v) return cs->order[n];
    return -1;
}

/* Argument i of a new frame, v, is the caller's slot j, which its shadow says is unchanged since
 * it was last given: the frame takes that encoding, not encoding v again, and gives it as the
 * caller's local (callers_name would find it: the first that is v, and equal) */
static int given_by_caller(Core *self, State *st, int i, PyObject *v, State *cs, int j, Buf *out) {
    Info *info = (Info *)st->info;
    PyObject *k = slot_key(self, info, i), *ck = k ? slot_key(self, (Info *)cs->info, j) : NULL;
    if (!ck) return -1;
    Py_XSETREF(st->seen[i], Py_NewRef(v));
    Py_XSETREF(st->encs[i], Py_NewRef(cs->encs[j]));
    shadow_drop(&st->shadows[i]);
    order_moved(st, i, 0);
    if (put_bytes(out, PyTuple_GET_ITEM(k, 0))) return -1;
    if (PyTuple_GET_ITEM(k, 1) == Py_True) return put_bytes(out, self->redacted);
    if (PyTuple_GET_ITEM(ck, 1) == Py_True) return put_bytes(out, cs->encs[j]);
    return put_array_header(out, 2) || put_uint(out, T_CALLER) || put_bytes(out, PyTuple_GET_ITEM(ck, 0));
}

/* Recorder.on_call: a new frame of in-scope code starts. Returns a new reference. */
static State *on_call(Core *self, Frame *frame, Info *info) {
    if (info_slots(info)) return NULL;
    State *st = state_new(self->next_frame++, frame, info);
    if (!st) return NULL;
    if (!info->function && share_namespace(self, frame, st)) { Py_DECREF(st); return NULL; }
    Locals L;
    locals_open(&L, frame);
    Buf out, tmp;
    buf_init(&out);
    buf_init(&tmp);
    Py_ssize_t n = 3;
    if (ft_put(&self->frames, frame, (PyObject *)st)) goto fail;
    cache_state(self, frame, st);
    if (put_uint(&out, K_CALL) || put_uint(&out, (unsigned long long)st->id) || put_bytes(&out, info->id_enc)) goto fail;
    /* each argument's value becomes the frame's first known value; arguments are the first slots */
    int nargs = (int)PyTuple_GET_SIZE(info->args);
    State *caller = NULL;
    int caller_found = 0;
    for (int i = 0; i < nargs && i < st->nslots; i++) {
        PyObject *v = locals_get(&L, info->slots, info->cellmask, i);
        if (!v) { if (PyErr_Occurred()) goto fail; continue; }
        int j = -1;  /* a function caller's first slot that is v */
        if (caller_refs && !is_atom(self, Py_TYPE(v))) {  /* (as judge gives it an encoding) */
            if (!caller_found) { caller = caller_state(self, frame); caller_found = 1; }
            j = caller ? callers_slot(caller, v) : -1;
            int holds = j >= 0 && HAS_SHADOW(caller->shadows[j]) ? shadow_holds(&self->enc, caller->shadows[j], v) : 0;
            if (holds > 0) {
                int rc = given_by_caller(self, st, i, v, caller, j, &out);
                Py_DECREF(v);
                if (rc) goto fail;
                n += 2;
                continue;
            }
            if (holds < 0) { Py_DECREF(v); goto fail; }
        }
        int in_place = 0;
        int r = judge(self, v, &st->seen[i], &st->encs[i], &st->shadows[i], &tmp, &in_place);
        Py_DECREF(v);  /* (st->seen[i] holds it) */
        if (r < 0) goto fail;
        if (st->encs[i]) order_moved(st, i, 0);  /* it can change in place: compared by encoding */
        PyObject *k = slot_key(self, info, i), *same = NULL;
        if (!k) goto fail;
        if (caller && st->encs[i] && (caller->snap || j >= 0) && PyTuple_GET_ITEM(k, 1) != Py_True
            && callers_name(self, caller, v, &tmp, &same)) goto fail;
        if (same ? put_bytes(&out, PyTuple_GET_ITEM(k, 0)) || put_array_header(&out, 2) || put_uint(&out, T_CALLER)
                || put_bytes(&out, same)
            : put_pair(self, &out, k, &tmp, NULL)) goto fail;
        n += 2;
    }
    Py_SETREF(self->last, Py_NewRef((PyObject *)st));
    {
        Buf ev;
        buf_init(&ev);
        int r = put_array_header(&ev, n) || put(&ev, out.p, out.n) || core_emit(self, ev.p, ev.n);
        buf_free(&ev);
        if (r) goto fail;
    }
    locals_close(&L);
    buf_free(&out);
    buf_free(&tmp);
    return st;
fail:
    locals_close(&L);
    buf_free(&out);
    buf_free(&tmp);
    Py_DECREF(st);
    return NULL;
}

/* Recorder._forget: st's frame is over */
static void forget(Core *self, State *st) {
    Py_CLEAR(st->watch);
    if (st == self->cached_state) forget_cached(self);
    Py_XDECREF(ft_pop(&self->frames, st->frame, (PyObject *)st));
}

/* Recorder.watch, at a generator's first yield: learn when the generator is freed */
static int watch_generator(Core *self, State *st, Frame *fr) {
    if (st->watch) return 0;
    PyObject *gen = frame_generator(fr);
    if (!gen) return PyErr_Occurred() ? -1 : 0;
    PyObject *r = PyObject_CallMethodObjArgs((PyObject *)self, s_watch, (PyObject *)st, gen, NULL);
    Py_DECREF(gen);
    Py_XDECREF(r);
    return r ? 0 : -1;
}

/* Recorder.end_frame */
static int end_frame(Core *self, State *st, Buf *ev) {
    if (!st->suspended) forget(self, st);
    Py_SETREF(self->last, Py_NewRef((PyObject *)st));
    return core_emit(self, ev->p, ev->n);
}

#if PY_VERSION_HEX < 0x030C0000
#include <opcode.h>  /* RESUME, YIELD_VALUE */

/* The opcode a settrace frame stopped at, frame.f_code.co_code[frame.f_lasti], with its
 * argument in *arg; -1 before its first instruction, -2 on an error. */
static int lasti_opcode(PyFrameObject *frame, int *arg) {
    int lasti = PyFrame_GetLasti(frame);
    if (lasti < 0) return -1;
    PyCodeObject *code = PyFrame_GetCode(frame);
    PyObject *bytes = PyCode_GetCode(code);  /* kept by the code object after its first use */
    Py_DECREF(code);
    if (!bytes) return -2;
    const unsigned char *op = (const unsigned char *)PyBytes_AS_STRING(bytes);
    int r = lasti + 1 < PyBytes_GET_SIZE(bytes) ? op[lasti] : -1;
    *arg = r >= 0 ? op[lasti + 1] : 0;
    Py_DECREF(bytes);
    return r;
}
#endif

/* backend_settrace._starts: a generator's CALL event is its first run, not a resume */
static int generator_starts(PyFrameObject *frame) {
#if PY_VERSION_HEX < 0x030C0000
    int arg, op = lasti_opcode(frame, &arg);
    return op == -2 ? -1 : op == -1 || (op == RESUME && arg == 0);
#else
    return 1;  /* no settrace back end here */
#endif
}

/* core._is_yield: a settrace 'return' of a generator frame is a yield if it stops on one */
static int is_yield(Core *self, PyFrameObject *frame) {
#if PY_VERSION_HEX < 0x030C0000
    int arg, op = lasti_opcode(frame, &arg);
    return op == -2 ? -1 : op == YIELD_VALUE;
#else
    PyObject *y = PyObject_CallOneArg(self->is_yield, (PyObject *)frame);
    int yes = y ? PyObject_IsTrue(y) : -1;
    Py_XDECREF(y);
    return yes;
#endif
}

/* Recorder.out_of: does the frame return (or unwind) into code that is not recorded? */
static int returns_out(Core *self, Frame *frame) {
    Frame *back = frame_back(frame);
    PyObject *st = back ? ft_get(&self->frames, back) : NULL;
    return !st || ((State *)st)->suspended || ((Info *)((State *)st)->info)->code != (PyObject *)frame_code(back);
}

/* [RETURN or YIELD, value] or, `out` (to a caller that is not recorded), [..., value, true] */
static int put_leave(Core *self, Buf *ev, int kind, PyObject *value, int out) {
    return put_array_header(ev, out ? 3 : 2) || put_uint(ev, kind) || encode(&self->enc, value, ev)
        || (out && put(ev, "\xc3", 1));
}

/* Recorder.on_return: frame given (settrace) to tell a generator's yield from its return */
static int on_return(Core *self, State *st, PyObject *value, Frame *fr, PyFrameObject *frame, int out) {
    if (fr && leaving(self, fr, st)) return -1;
    Buf ev;
    buf_init(&ev);
    int kind = K_RETURN, rc = -1;
    if (frame && ((Info *)st->info)->generator) {
        int yes = is_yield(self, frame);
        if (yes < 0) goto done;
        if (yes) {
            st->suspended = 1;
            kind = K_YIELD;
            if (fr && watch_generator(self, st, fr)) goto done;
        }
    }
    if (put_leave(self, &ev, kind, value, out)) goto done;
    rc = end_frame(self, st, &ev);
done:
    buf_free(&ev);
    return rc;
}

/* ---- lookups shared by both back ends ------------------------------------------------------------- */

/* rec.code_info(code), borrowed (None if out of scope) */
static PyObject *code_info(Core *self, PyObject *code) {
    /* Hashing a code object is slow (on 3.12+ it reads all the bytecode): the answer is kept on
     * the code object itself, in a co_extra slot of this recorder's, borrowed from rec._codes,
     * which keeps it as long as this recorder lives. */
    void *kept = NULL;
    if (self->extra_index >= 0) {
        if (CODE_GET_EXTRA(code, self->extra_index, &kept) == 0) { if (kept) return (PyObject *)kept; }
        else PyErr_Clear();
    }
    PyObject *id = PyLong_FromVoidPtr(code);  /* rec._codes is by identity: see core.py */
    if (!id) return NULL;
    PyObject *info = PyDict_GetItemWithError(self->codes, id);
    if (!info && !PyErr_Occurred()) {
        info = PyObject_CallMethodOneArg((PyObject *)self, s_code_info, code);
        if (info) {
            Py_DECREF(info);  /* the table holds it */
            info = PyDict_GetItemWithError(self->codes, id);
        }
    }
    Py_DECREF(id);
    if (info && self->extra_index >= 0 && CODE_SET_EXTRA(code, self->extra_index, info)) PyErr_Clear();
    return info;
}

/* rec.frames.get(id(frame)), borrowed */
static State *frame_state(Core *self, Frame *frame) {
    if (frame == self->cached_frame && self->cached_state) return self->cached_state;
    PyObject *st = ft_get(&self->frames, frame);
    if (!st) return NULL;
    cache_state(self, frame, (State *)st);
    return (State *)st;
}

/* MonitoringBackend._state: frame_state unless the state belongs to other code. A generator
 * freed while suspended may give no event (3.11 closes one at a yield outside any try without
 * running it), so its state stays behind, and its frame's address may come back with a frame
 * of other code: such a stale state is dropped. */
static State *state_of(Core *self, Frame *frame, PyObject *code) {
    State *st = frame_state(self, frame);
    if (st && ((Info *)st->info)->code != code) {
        forget_cached(self);
        Py_XDECREF(ft_pop(&self->frames, frame, NULL));
        return NULL;
    }
    return st;
}

static State *live_state(Core *self, Frame *frame) {
    return state_of(self, frame, (PyObject *)frame_code(frame));
}

/* Recorder.on_resume: a suspended generator or coroutine runs again */
static int on_resume(Core *self, State *st) {
    st->suspended = 0;
    Py_SETREF(self->last, Py_NewRef((PyObject *)st));
    Buf ev;
    buf_init(&ev);
    int rc = put_array_header(&ev, 2) || put_uint(&ev, K_RESUME) || put_uint(&ev, (unsigned long long)st->id)
        || core_emit(self, ev.p, ev.n) ? -1 : 0;
    buf_free(&ev);
    return rc;
}

/* Recorder.on_unwind(st, out, exc): out if the frame's caller is not recorded; exc may be NULL */
static int call_unwind(Core *self, State *st, Frame *frame, PyObject *exc) {
    if (leaving(self, frame, st)) return -1;
    Py_INCREF(st);
    forget_cached(self);
    PyObject *r = PyObject_CallMethodObjArgs((PyObject *)self, s_on_unwind, (PyObject *)st,
                                             returns_out(self, frame) ? Py_True : Py_False,
                                             exc ? exc : Py_None, NULL);
    Py_DECREF(st);
    if (!r) return -1;
    Py_DECREF(r);
    return 0;
}

/* ---- settrace back end (3.11 and older): a C trace function ----------------------------------- */

static int c_trace(PyObject *obj, PyFrameObject *frame, int what, PyObject *arg) {
    Core *self = (Core *)obj;
    PyObject *f = (PyObject *)frame;  /* the object, for Python */
    Frame *fr = frame_of(frame);      /* the key */
    State *st;
    int rc = 0;
    int limit = headroom_begin();
    switch (what) {
    case PyTrace_CALL: {
        if (!self->enabled) break;
        PyCodeObject *code = PyFrame_GetCode(frame);
        PyObject *info = code_info(self, (PyObject *)code);
        Py_DECREF(code);
        if (!info) { rc = PyErr_Occurred() ? -1 : 0; break; }
        if (info == Py_None) {
            /* out of scope: no line events for this frame */
            if (PyObject_SetAttr(f, s_f_trace_lines, Py_False)) rc = -1;
            break;
        }
        Py_INCREF(info);
        if (((Info *)info)->generator) {
            st = frame_state(self, fr);
            if (!st && PyErr_Occurred()) { rc = -1; Py_DECREF(info); break; }
            int starts = st && st->suspended && st->info == info ? generator_starts(frame) : 1;
            if (starts < 0) { rc = -1; Py_DECREF(info); break; }
            if (!starts) {
                rc = on_resume(self, st);
                Py_DECREF(info);
                break;
            }
        }
        State *nst = on_call(self, fr, (Info *)info);
        Py_DECREF(info);
        if (!nst) rc = -1; else Py_DECREF(nst);
        break;
    }
    case PyTrace_LINE:  /* only in scope, where CALL has replaced any stale state */
        st = frame_state(self, fr);
        if (!st) { rc = PyErr_Occurred() ? -1 : 0; break; }
        Py_INCREF(st);
        rc = on_line(self, fr, st, PyFrame_GetLineNumber(frame), -1, -1);
        Py_DECREF(st);
        break;
    case PyTrace_RETURN:  /* this and EXCEPTION come for frames out of scope too */
        st = live_state(self, fr);
        if (!st) { rc = PyErr_Occurred() ? -1 : 0; break; }
        Py_INCREF(st);
        /* the interpreter passes no value when the frame exits through an exception */
        if (!arg) rc = call_unwind(self, st, fr, NULL);
        else rc = on_return(self, st, arg ? arg : Py_None, fr, frame, returns_out(self, fr));
        Py_DECREF(st);
        break;
    case PyTrace_EXCEPTION:
        st = live_state(self, fr);
        if (!st) { rc = PyErr_Occurred() ? -1 : 0; break; }
        if (self->on_exception) {
            Py_INCREF(st);
            forget_cached(self);  /* Python code runs */
            PyObject *r = PyObject_CallFunctionObjArgs(self->on_exception, f, (PyObject *)st, arg, NULL);
            if (!r) rc = -1; else Py_DECREF(r);
            Py_DECREF(st);
        }
        break;
    default:
        break;
    }
    if (rc) core_fail(self);
    headroom_end(limit);
    return 0;  /* never an error into the program */
}

/* rec._c_settrace(backend, on_exception) starts the C trace function on this thread;
 * rec._c_settrace(None, None) stops it. */
static PyObject *Core_c_settrace(Core *self, PyObject *args) {
    PyObject *backend, *on_exc;
    if (!PyArg_ParseTuple(args, "OO", &backend, &on_exc)) return NULL;
    if (backend == Py_None) {
        PyEval_SetTrace(NULL, NULL);
        Py_RETURN_NONE;
    }
    Py_XSETREF(self->backend, Py_NewRef(backend));
    Py_XSETREF(self->on_exception, Py_NewRef(on_exc));
    PyEval_SetTrace(c_trace, (PyObject *)self);
    Py_RETURN_NONE;
}

/* threading.settrace(rec._c_thread_trace): the first event of a new thread installs the C trace
 * function there and is handled by it. */
static PyObject *Core_c_thread_trace(Core *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3) { PyErr_SetString(PyExc_TypeError, "frame, event, arg"); return NULL; }
    PyEval_SetTrace(c_trace, (PyObject *)self);
    const char *event = PyUnicode_Check(args[1]) ? PyUnicode_AsUTF8(args[1]) : NULL;
    if (event && strcmp(event, "call") == 0 && PyFrame_Check(args[0]))
        c_trace((PyObject *)self, (PyFrameObject *)args[0], PyTrace_CALL, NULL);
    Py_RETURN_NONE;
}

/* ---- sys.monitoring back end (3.12+): callbacks in C ------------------------------------------ */

/* MonitoringBackend._first_line: borrowed state, or NULL (check PyErr_Occurred) */
static State *first_line(Core *self, Frame *frame) {
    State *st = live_state(self, frame);
    if (!st) return NULL;
    Py_INCREF(st);
    int rc = 0;
    if (st->suspended) rc = on_resume(self, st);
    if (!rc && st->fresh) rc = on_line(self, frame, st, frame_line(frame), -1, -1);
    Py_DECREF(st);
    return rc ? NULL : st;  /* the frames table still holds it */
}

static PyObject *mon_done(Core *self, int rc) {
    if (rc) core_fail(self);
    Py_RETURN_NONE;
}

static PyObject *disable_or_none(Core *self, PyObject *code) {
    PyObject *info = code_info(self, code);
    if (!info) return mon_done(self, PyErr_Occurred() ? -1 : 0);
    if (info == Py_None) return Py_NewRef(self->disable);
    Py_RETURN_NONE;
}

static PyObject *m_start(Core *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *info = code_info(self, args[0]);
    if (!info) return mon_done(self, PyErr_Occurred() ? -1 : 0);
    if (info == Py_None) return Py_NewRef(self->disable);
    Frame *frame = frame_current();
    if (!frame) return mon_done(self, -1);
    Py_INCREF(info);
    Frame *caller = frame_back(frame);
    int rc = 0;
    if (caller) {
        first_line(self, caller);
        rc = PyErr_Occurred() ? -1 : 0;
    }
    if (!rc) {
        State *st = on_call(self, frame, (Info *)info);
        if (!st) rc = -1; else Py_DECREF(st);
    }
    Py_DECREF(info);
    return mon_done(self, rc);
}

static PyObject *m_return(Core *self, PyObject *const *args, Py_ssize_t nargs) {
    Frame *frame = frame_current();
    if (!frame) return mon_done(self, -1);
    State *st = first_line(self, frame);
    if (st) {
        Py_INCREF(st);
        int rc = on_return(self, st, args[2], frame, NULL, returns_out(self, frame));
        Py_DECREF(st);
        return mon_done(self, rc);
    }
    if (PyErr_Occurred()) return mon_done(self, -1);
    return disable_or_none(self, args[0]);
}

static PyObject *m_line(Core *self, PyObject *const *args, Py_ssize_t nargs) {
    Frame *frame = frame_current();
    if (!frame) return mon_done(self, -1);
    State *st = state_of(self, frame, args[0]);
    if (!st) {
        if (PyErr_Occurred()) return mon_done(self, -1);
        return disable_or_none(self, args[0]);
    }
    Py_INCREF(st);
    int rc = 0;
    if (st->suspended) rc = on_resume(self, st);
    if (!rc) rc = on_line(self, frame, st, PyLong_AsLong(args[1]), -1, -1);
    Py_DECREF(st);
    return mon_done(self, rc);
}

/* MonitoringBackend._resume (and _throw) */
static PyObject *m_resume(Core *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *info = code_info(self, args[0]);
    if (!info) return mon_done(self, PyErr_Occurred() ? -1 : 0);
    if (info == Py_None) return Py_NewRef(self->disable);
    Frame *frame = frame_current();
    if (!frame) return mon_done(self, -1);
    State *st = state_of(self, frame, args[0]);
    if (!st) return mon_done(self, PyErr_Occurred() ? -1 : 0);
    return mon_done(self, on_resume(self, st));
}

/* MonitoringBackend._yield, with Recorder.on_yield */
static PyObject *m_yield(Core *self, PyObject *const *args, Py_ssize_t nargs) {
    Frame *frame = frame_current();
    if (!frame) return mon_done(self, -1);
    State *st = first_line(self, frame);
    if (!st) {
        if (PyErr_Occurred()) return mon_done(self, -1);
        return disable_or_none(self, args[0]);
    }
    Py_INCREF(st);
    int rc = leaving(self, frame, st);
    st->suspended = 1;
    rc = rc || watch_generator(self, st, frame);
    Buf ev;
    buf_init(&ev);
    rc = rc || put_leave(self, &ev, K_YIELD, args[2], returns_out(self, frame)) || end_frame(self, st, &ev);
    buf_free(&ev);
    Py_DECREF(st);
    return mon_done(self, rc);
}

/* MonitoringBackend._unwind and _raise: the state, then Recorder's Python method */
static PyObject *m_unwind(Core *self, PyObject *const *args, Py_ssize_t nargs) {
    Frame *frame = frame_current();
    if (!frame) return mon_done(self, -1);
    State *st = first_line(self, frame);
    if (!st) return mon_done(self, PyErr_Occurred() ? -1 : 0);
    return mon_done(self, call_unwind(self, st, frame, nargs > 2 ? args[2] : NULL));
}

static PyObject *m_raise(Core *self, PyObject *const *args, Py_ssize_t nargs) {
    Frame *frame = frame_current();
    if (!frame) return mon_done(self, -1);
    State *st = first_line(self, frame);
    if (!st) return mon_done(self, PyErr_Occurred() ? -1 : 0);
    forget_cached(self);  /* Python code runs */
    PyObject *r = PyObject_CallMethodObjArgs((PyObject *)self, s_on_exception, (PyObject *)st, args[2], NULL);
    Py_XDECREF(r);
    return mon_done(self, r ? 0 : -1);
}

/* MonitoringBackend._jump: settrace reports a line after every backward jump; LINE misses the
 * ones that stay on their line. Every other jump is switched off where it stands. */
/* info->jline from the back end's table of the code (offset -> line), made once */
static int jump_lines(Core *self, Info *info, PyObject *code) {
    PyObject *lines = PyDict_GetItemWithError(self->jump_lines, code);
    if (!lines) {
        if (PyErr_Occurred()) return -1;
        forget_cached(self);  /* Python code runs */
        PyObject *made = PyObject_CallMethod(self->backend, "_offset_lines_of", "O", code);
        if (!made) return -1;
        Py_DECREF(made);
        if (!(lines = PyDict_GetItemWithError(self->jump_lines, code))) return -1;
    }
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    long n = 0;
    while (PyDict_Next(lines, &pos, &k, &v)) {
        long off = PyLong_AsLong(k);
        if (off < 0) return PyErr_Occurred() ? -1 : 0;
        if (off / 2 + 1 > n) n = off / 2 + 1;
    }
    int *jl = PyMem_Malloc(sizeof(int) * (n ? n : 1));
    if (!jl) { PyErr_NoMemory(); return -1; }
    for (long i = 0; i < n; i++) jl[i] = -1;
    for (pos = 0; PyDict_Next(lines, &pos, &k, &v);) {
        long off = PyLong_AsLong(k), line = PyLong_AsLong(v);
        if (PyErr_Occurred()) { PyMem_Free(jl); return -1; }
        if (off % 2 == 0 && line >= 0 && line <= INT_MAX) jl[off / 2] = (int)line;
    }
    info->jline = jl;
    info->njline = n;
    return 0;
}

/* the line of offset off, -1 if none */
static inline long line_at(Info *info, long off) {
    return off >= 0 && off % 2 == 0 && off / 2 < info->njline ? info->jline[off / 2] : -1;
}

/* MonitoringBackend._jump: settrace reports a line after every backward jump; LINE misses the
 * ones that stay on their line. Every other jump is switched off where it stands. */
static PyObject *m_jump(Core *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *code = args[0];
    long src = PyLong_AsLong(args[1]), dest = PyLong_AsLong(args[2]);
    if (PyErr_Occurred()) return mon_done(self, -1);
    if (dest >= src) return Py_NewRef(self->disable);
    PyObject *o = code_info(self, code);
    if (!o) return mon_done(self, PyErr_Occurred() ? -1 : 0);
    if (o == Py_None) return Py_NewRef(self->disable);
    Info *info = (Info *)o;
    if (!info->jline && jump_lines(self, info, code)) return mon_done(self, -1);
    long line = line_at(info, dest);
    if (line < 0 || line != line_at(info, src)) return Py_NewRef(self->disable);
    Frame *frame = frame_current();
    if (!frame) return mon_done(self, -1);
    State *st = state_of(self, frame, code);
    if (!st) return mon_done(self, PyErr_Occurred() ? -1 : 0);
    Py_INCREF(st);
    int rc = on_line(self, frame, st, line, dest, src);
    Py_DECREF(st);
    return mon_done(self, rc);
}

/* The callbacks as sys.monitoring calls them: (code, offset|line[, value|dest]) */
#define CALLBACK(name, n)                                                                   \
    static PyObject *Core_##name(Core *self, PyObject *const *args, Py_ssize_t nargs) {    \
        if (nargs != n) { PyErr_SetString(PyExc_TypeError, #name ": wrong arguments"); return NULL; } \
        int limit = headroom_begin();                                                       \
        PyObject *r = name(self, args, nargs);                                              \
        headroom_end(limit);                                                                \
        return r;                                                                           \
    }
CALLBACK(m_start, 2)
CALLBACK(m_return, 3)
CALLBACK(m_line, 2)
CALLBACK(m_jump, 3)
CALLBACK(m_resume, 2)
CALLBACK(m_yield, 3)
CALLBACK(m_unwind, 3)
CALLBACK(m_raise, 3)
static PyObject *m_throw(Core *self, PyObject *const *args, Py_ssize_t nargs) {
    PyObject *r = m_resume(self, args, 2);
    if (r == self->disable) Py_SETREF(r, Py_NewRef(Py_None));  /* not a local event: 3.12 drops a callback that disables it */
    return r;
}
CALLBACK(m_throw, 3)

/* rec._c_monitor(backend, jump_lines): the back end the callbacks report failures to */
static PyObject *Core_c_monitor(Core *self, PyObject *args) {
    PyObject *backend, *jump_lines;
    if (!PyArg_ParseTuple(args, "OO!", &backend, &PyDict_Type, &jump_lines)) return NULL;
    Py_XSETREF(self->backend, Py_NewRef(backend));
    Py_XSETREF(self->jump_lines, Py_NewRef(jump_lines));
    Py_RETURN_NONE;
}

/* ---- Python-visible methods of the recorder ----------------------------------------------------- */

static PyObject *Core_emit(Core *self, PyObject *data) {
    if (!PyBytes_Check(data)) { PyErr_SetString(PyExc_TypeError, "emit takes bytes"); return NULL; }
    if (core_emit(self, PyBytes_AS_STRING(data), PyBytes_GET_SIZE(data))) return NULL;
    Py_RETURN_NONE;
}

/* rec._c_encode(v): Serializer.encode by the C encoder, for tests that hold the two together */
static PyObject *Core_c_encode(Core *self, PyObject *v) {
    if (!self->enc.values) { PyErr_SetString(PyExc_RuntimeError, "not set up"); return NULL; }
    Buf b;
    buf_init(&b);
    PyObject *r = encode(&self->enc, v, &b) ? NULL : PyBytes_FromStringAndSize(b.p, b.n);
    buf_free(&b);
    return r;
}

static PyObject *Core_on_line(Core *self, PyObject *args) {
    PyObject *frame, *region = Py_None;
    State *st;
    long line;
    if (!PyArg_ParseTuple(args, "O!O!l|O", &PyFrame_Type, &frame, &StateType, &st, &line, &region)) return NULL;
    long from = -1, to = -1;
    if (region != Py_None && !PyArg_ParseTuple(region, "ll", &from, &to)) return NULL;
    if (on_line(self, frame_of((PyFrameObject *)frame), st, line, from, to)) return NULL;
    Py_RETURN_NONE;
}

static PyObject *Core_on_call(Core *self, PyObject *args) {
    PyObject *frame;
    Info *info;
    if (!PyArg_ParseTuple(args, "O!O!", &PyFrame_Type, &frame, &InfoType, &info)) return NULL;
    return (PyObject *)on_call(self, frame_of((PyFrameObject *)frame), info);
}

static PyObject *Core_forget(Core *self, PyObject *st) {
    if (Py_TYPE(st) != &StateType) { PyErr_SetString(PyExc_TypeError, "a State"); return NULL; }
    forget(self, (State *)st);
    Py_RETURN_NONE;
}

/* Recorder.state_of: the state of a frame being recorded, or None */
static PyObject *Core_state_of(Core *self, PyObject *frame) {
    if (!PyFrame_Check(frame)) { PyErr_SetString(PyExc_TypeError, "a frame"); return NULL; }
    State *st = live_state(self, frame_of((PyFrameObject *)frame));
    if (!st && PyErr_Occurred()) return NULL;
    return Py_NewRef(st ? (PyObject *)st : Py_None);
}

/* Recorder.prune: forget every state that is neither suspended nor in the set `keep` */
static PyObject *Core_prune(Core *self, PyObject *keep) {
    if (keep != Py_None && !PySet_Check(keep)) { PyErr_SetString(PyExc_TypeError, "a set or None"); return NULL; }
    forget_cached(self);
    for (size_t i = 0; i < self->frames.cap; i++) {
        FrameEntry *e = &self->frames.e[i];
        if (!e->frame || e->frame == FT_DELETED) continue;
        if (keep != Py_None) {  /* None: every state */
            if (((State *)e->value)->suspended) continue;
            int in = PySet_Contains(keep, e->value);
            if (in < 0) return NULL;
            if (in) continue;
        }
        Py_CLEAR(((State *)e->value)->watch);
        Py_DECREF(ft_pop(&self->frames, e->frame, NULL));
    }
    Py_RETURN_NONE;
}

static PyObject *Core_forget_types(Core *self, PyObject *unused) {
    encoder_forget_types(&self->enc);
    Py_RETURN_NONE;
}

/* Recorder._state_at: the state in the frames table at a frame's address (State.key), borrowed */
static PyObject *Core_state_at(Core *self, PyObject *key) {
    void *frame = PyLong_AsVoidPtr(key);
    if (!frame && PyErr_Occurred()) return NULL;
    PyObject *st = ft_get(&self->frames, frame);
    return Py_NewRef(st ? st : Py_None);
}

static PyObject *Core_on_return(Core *self, PyObject *args) {
    PyObject *value, *frame = Py_None;
    State *st;
    int out = 0;
    if (!PyArg_ParseTuple(args, "O!O|Op", &StateType, &st, &value, &frame, &out)) return NULL;
    if (frame != Py_None && !PyFrame_Check(frame)) { PyErr_SetString(PyExc_TypeError, "a frame or None"); return NULL; }
    PyFrameObject *fo = frame == Py_None ? NULL : (PyFrameObject *)frame;
    if (on_return(self, st, value, fo ? frame_of(fo) : NULL, fo, out)) return NULL;
    Py_RETURN_NONE;
}

static void keep_nothing(void *borrowed) { (void)borrowed; }  /* co_extra slots hold borrowed infos */

/* rec._accel_setup(sink, atoms, redacted, LineInfo, is_yield, DISABLE, values, names, secrets,
 *                  first words of the secret patterns) */
static PyObject *Core_accel_setup(Core *self, PyObject *args) {
    PyObject *sink, *atoms, *redacted, *line_info, *is_yield, *disable, *values, *names, *secrets, *firsts;
    if (!PyArg_ParseTuple(args, "OO!O!OOOOO!O!O!", &sink, &PyFrozenSet_Type, &atoms, &PyBytes_Type, &redacted,
                          &line_info, &is_yield, &disable, &values, &PyDict_Type, &names,
                          &PyDict_Type, &secrets, &PyTuple_Type, &firsts)) return NULL;
    if (sink != Py_None && Py_TYPE(sink) != &SinkType) { PyErr_SetString(PyExc_TypeError, "sink"); return NULL; }
    if (!PySet_Contains(atoms, (PyObject *)&PyLong_Type) || !PySet_Contains(atoms, (PyObject *)&PyFloat_Type)
        || !PySet_Contains(atoms, (PyObject *)&PyUnicode_Type)) {
        PyErr_SetString(PyExc_ValueError, "atoms: is_atom takes int, float and str for atoms");
        return NULL;
    }
    if (encoder_init(&self->enc, values, names, secrets, redacted, firsts)) return NULL;
    Py_XSETREF(self->named_shadows, PyDict_New());
    if (!self->named_shadows) return NULL;
    if (self->extra_index < 0) self->extra_index = REQUEST_CODE_EXTRA_INDEX(keep_nothing);
    Py_XSETREF(self->sink, (Sink *)(sink == Py_None ? NULL : Py_NewRef(sink)));
    Py_XSETREF(self->atoms, Py_NewRef(atoms));
    Py_XSETREF(self->redacted, Py_NewRef(redacted));
    Py_XSETREF(self->line_info, Py_NewRef(line_info));
    Py_XSETREF(self->is_yield, Py_NewRef(is_yield));
    Py_XSETREF(self->disable, Py_NewRef(disable));
    Py_RETURN_NONE;
}

static PyObject *Core_get_cur(Core *self, void *c) {
    if (!self->has_cur) Py_RETURN_NONE;
    return PyLong_FromUnsignedLong(self->cur_ident);
}

static int Core_set_cur(Core *self, PyObject *v, void *c) {
    if (!v || v == Py_None) { self->has_cur = 0; return 0; }
    unsigned long x = PyLong_AsUnsignedLong(v);
    if (x == (unsigned long)-1 && PyErr_Occurred()) return -1;
    self->cur_ident = x;
    self->has_cur = 1;
    return 0;
}

static int Core_traverse(Core *o, visitproc visit, void *arg) {
    Py_VISIT(o->last); Py_VISIT(o->keys); Py_VISIT(o->encode); Py_VISIT(o->dropped);
    Py_VISIT(o->codes); Py_VISIT(o->w); Py_VISIT(o->unwinding); Py_VISIT(o->sink);
    Py_VISIT(o->named_shadows);
    Py_VISIT(o->atoms); Py_VISIT(o->redacted); Py_VISIT(o->line_info); Py_VISIT(o->is_yield);
    Py_VISIT(o->disable); Py_VISIT(o->backend); Py_VISIT(o->on_exception); Py_VISIT(o->jump_lines);
    Py_VISIT(o->cached_state);
    if (ft_traverse(&o->frames, visit, arg)) return -1;
    return encoder_traverse(&o->enc, visit, arg);
}

static int Core_clear(Core *o) {
    Py_CLEAR(o->last); Py_CLEAR(o->keys); Py_CLEAR(o->encode); Py_CLEAR(o->dropped);
    Py_CLEAR(o->codes); Py_CLEAR(o->w); Py_CLEAR(o->unwinding); Py_CLEAR(o->sink);
    Py_CLEAR(o->named_shadows);
    Py_CLEAR(o->atoms); Py_CLEAR(o->redacted); Py_CLEAR(o->line_info); Py_CLEAR(o->is_yield);
    Py_CLEAR(o->disable); Py_CLEAR(o->backend); Py_CLEAR(o->on_exception); Py_CLEAR(o->jump_lines);
    forget_cached(o);
    ft_clear(&o->frames);
    encoder_clear(&o->enc);
    return 0;
}

static void Core_dealloc(Core *o) {
    PyObject_GC_UnTrack(o);
    Core_clear(o);
    Py_TYPE(o)->tp_free((PyObject *)o);
}

static PyObject *Core_new(PyTypeObject *type, PyObject *args, PyObject *kw) {
    Core *self = (Core *)type->tp_alloc(type, 0);
    if (self) { self->enabled = 1; self->next_frame = 1; self->extra_index = -1; }
    return (PyObject *)self;
}

static PyMethodDef Core_methods[] = {
    {"emit", (PyCFunction)Core_emit, METH_O, "Emit an event that happens on the calling thread."},
    {"on_line", (PyCFunction)Core_on_line, METH_VARARGS, "A line is about to run."},
    {"on_call", (PyCFunction)Core_on_call, METH_VARARGS, "A new frame of in-scope code starts."},
    {"on_return", (PyCFunction)Core_on_return, METH_VARARGS, "A frame returns or yields."},
    {"_forget", (PyCFunction)Core_forget, METH_O, "A frame is over: out of the frames table."},
    {"state_of", (PyCFunction)Core_state_of, METH_O, "The state of a frame being recorded, or None."},
    {"prune", (PyCFunction)Core_prune, METH_O, "Forget the states neither suspended nor kept (None: all)."},
    {"_forget_types", (PyCFunction)Core_forget_types, METH_NOARGS, "The program is over: forget its types."},
    {"_state_at", (PyCFunction)Core_state_at, METH_O, "The state at a frame's address, or None."},
    {"_accel_setup", (PyCFunction)Core_accel_setup, METH_VARARGS, NULL},
    {"_c_encode", (PyCFunction)Core_c_encode, METH_O, "Serializer.encode, by the C encoder."},
    {"_c_settrace", (PyCFunction)Core_c_settrace, METH_VARARGS, NULL},
    {"_c_thread_trace", (PyCFunction)(void (*)(void))Core_c_thread_trace, METH_FASTCALL, NULL},
    {"_c_monitor", (PyCFunction)Core_c_monitor, METH_VARARGS, NULL},
    {"_m_start", (PyCFunction)(void (*)(void))Core_m_start, METH_FASTCALL, NULL},
    {"_m_return", (PyCFunction)(void (*)(void))Core_m_return, METH_FASTCALL, NULL},
    {"_m_line", (PyCFunction)(void (*)(void))Core_m_line, METH_FASTCALL, NULL},
    {"_m_jump", (PyCFunction)(void (*)(void))Core_m_jump, METH_FASTCALL, NULL},
    {"_m_resume", (PyCFunction)(void (*)(void))Core_m_resume, METH_FASTCALL, NULL},
    {"_m_throw", (PyCFunction)(void (*)(void))Core_m_throw, METH_FASTCALL, NULL},
    {"_m_yield", (PyCFunction)(void (*)(void))Core_m_yield, METH_FASTCALL, NULL},
    {"_m_unwind", (PyCFunction)(void (*)(void))Core_m_unwind, METH_FASTCALL, NULL},
    {"_m_raise", (PyCFunction)(void (*)(void))Core_m_raise, METH_FASTCALL, NULL},
    {NULL}
};

static PyMemberDef Core_members[] = {
    {"last", T_OBJECT, offsetof(Core, last), 0, NULL},
    {"_keys", T_OBJECT, offsetof(Core, keys), 0, NULL},
    {"encode", T_OBJECT, offsetof(Core, encode), 0, NULL},
    {"_codes", T_OBJECT, offsetof(Core, codes), 0, NULL},
    {"w", T_OBJECT, offsetof(Core, w), 0, NULL},
    {"_unwinding", T_OBJECT, offsetof(Core, unwinding), 0, NULL},
    {"_dropped", T_OBJECT, offsetof(Core, dropped), 0, NULL},
    {"_next_frame", T_LONGLONG, offsetof(Core, next_frame), 0, NULL},
    {"enabled", T_BOOL, offsetof(Core, enabled), 0, NULL},
    {NULL}
};

static PyGetSetDef Core_getset[] = {
    {"_cur_thread", (getter)Core_get_cur, (setter)Core_set_cur, "ident of the thread of the last event", NULL},
    {NULL}
};

static PyTypeObject CoreType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_rewind_accel.Core",
    .tp_basicsize = sizeof(Core),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_BASETYPE,
    .tp_doc = "The C half of an accelerated core.Recorder.",
    .tp_new = Core_new,
    .tp_dealloc = (destructor)Core_dealloc,
    .tp_traverse = (traverseproc)Core_traverse,
    .tp_clear = (inquiry)Core_clear,
    .tp_methods = Core_methods,
    .tp_members = Core_members,
    .tp_getset = Core_getset,
};

/* ---- the module ---------------------------------------------------------------------------------- */

/* patch(base, new): the bytes put_patch sends for new, a local's encoding that was base (bytes),
 * for the tests, against the golden vectors of wire.patch */
static PyObject *module_patch(PyObject *mod, PyObject *args) {
    const char *base, *enc;
    Py_ssize_t bn, n;
    if (!PyArg_ParseTuple(args, "y#y#", &base, &bn, &enc, &n)) return NULL;
    Buf in = {.p = (char *)enc, .n = n, .cap = n}, out;
    buf_init(&out);
    PyObject *r = put_patch(&out, base, bn, &in) ? NULL : PyBytes_FromStringAndSize(out.p, out.n);
    buf_free(&out);
    return r;
}

static PyMethodDef module_methods[] = {
    {"patch", module_patch, METH_VARARGS, "The bytes sent for a local's encoding `new` that was `base` (wire.patch)."},
    {NULL}
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_rewind_accel", "The Rewind agent's C accelerator.", -1, module_methods,
};

PyMODINIT_FUNC PyInit__rewind_accel(void) {
    caller_refs = getenv("REWIND_AGENT_WHOLE_ARGS") == NULL;
    if (PyType_Ready(&SinkType) || PyType_Ready(&InfoType) || PyType_Ready(&StateType)
        || PyType_Ready(&CoreType) || PyType_Ready(&ShadowBoxType)) return NULL;
#define INTERN(var, s) if (!(var = PyUnicode_InternFromString(s))) return NULL
    INTERN(s_code_info, "code_info"); INTERN(s_key, "_key");
    INTERN(s_on_unwind, "on_unwind"); INTERN(s_on_exception, "on_exception"); INTERN(s_fail, "fail");
    INTERN(s_emit_switching, "_emit_switching"); INTERN(s_watch, "watch");
    INTERN(s_stores, "stores"); INTERN(s_loads, "loads"); INTERN(s_calls, "calls");
    INTERN(s_globals, "globals"); INTERN(s_global_changes, "global_changes");
    INTERN(s_module_body_namespace, "module_body_namespace");
    INTERN(s_namespace, "namespace"); INTERN(s_enc, "enc");
    INTERN(s_f_trace_lines, "f_trace_lines");
    if (!(zero = PyLong_FromLong(0)) || !(empty = PyTuple_New(0))) return NULL;
    no_facts.stores = no_facts.loads = empty;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    if (PyModule_AddObjectRef(m, "Sink", (PyObject *)&SinkType) < 0
        || PyModule_AddObjectRef(m, "Info", (PyObject *)&InfoType) < 0
        || PyModule_AddObjectRef(m, "State", (PyObject *)&StateType) < 0
        || PyModule_AddObjectRef(m, "Core", (PyObject *)&CoreType) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
