/* values.Serializer in C (see values.py, the reference: same bytes, same order of table entries).
 *
 * Builtin scalars, containers, dicts and user objects (through the C descriptors of __dict__ and
 * __slots__, found once per type by values.type_info) are encoded here. Leaves with rules of
 * their own (ints beyond 64 bits, strs that are not ASCII, safe reprs, opaque labels, the
 * builtin part of a subclassed scalar) are encoded by the Python Serializer: they never contain
 * other values, so its cycle path is not needed for them. */
#include "_accel_values.h"

#include <structmember.h>  /* PyMemberDef before 3.12 */
#undef T_OBJECT  /* a member type there, a value tag here */
#ifndef Py_T_OBJECT_EX  /* before 3.12 */
#define Py_T_OBJECT_EX T_OBJECT_EX
#define Py_READONLY READONLY
#endif

/* wire.py value tags */
enum { T_LIST = 1, T_TUPLE = 2, T_SET = 3, T_FROZENSET = 4, T_DICT = 5, T_STR = 6, T_BYTES = 7,
       T_BYTEARRAY = 8, T_OBJECT = 9, T_DEEP = 10, T_CYCLE = 11, T_OPAQUE = 13, T_ERROR = 16, T_SUBCLASS = 17 };
/* values.Serializer.leaf_kind */
enum { LEAF_PYTHON, LEAF_CONSTANT, LEAF_FUNCTION, LEAF_BUILTIN, LEAF_METHOD, LEAF_MODULE, LEAF_TYPE };

static PyObject *s_name_id, *s_secret, *s_secret_key, *s_type_id, *s_type_info, *s_value, *s_leaf, *s_builtin_part,
    *s_dict_get, *s_slots, *s_base, *s_self, *s_leaf_kind, *s_qualname, *s_name, *s_builtins;
static PyObject *type_module, *type_qualname;  /* type.__dict__['__module__'] and ['__qualname__'] */

/* The containers being encoded, outermost first (Serializer._path): for cycles. */
typedef struct { PyObject *obj; Py_ssize_t depth; } Step;
typedef struct { Step *steps; Py_ssize_t n, cycle; } Path;  /* cycle: enter's last distance */

static int value(Encoder *e, PyObject *v, Py_ssize_t depth, Buf *b, Path *path);
static PyTypeObject FactsType;  /* a user type's facts (below) */

/* values.<name>, a non-negative int */
static int read_bound(PyObject *values, const char *name, Py_ssize_t *out) {
    PyObject *v = PyObject_GetAttrString(values, name);
    *out = v ? PyLong_AsSsize_t(v) : -1;
    Py_XDECREF(v);
    if (*out >= 0) return 0;
    if (!PyErr_Occurred()) PyErr_Format(PyExc_ValueError, "serializer bound %s", name);
    return -1;
}

int encoder_init(Encoder *e, PyObject *values, PyObject *names, PyObject *secrets, PyObject *redacted,
                 PyObject *firsts) {
    if (!s_name_id) {
#define INTERN(var, s) if (!(var = PyUnicode_InternFromString(s))) return -1
        INTERN(s_name_id, "name_id"); INTERN(s_secret, "secret"); INTERN(s_secret_key, "secret_key"); INTERN(s_type_id, "type_id");
        INTERN(s_type_info, "type_info"); INTERN(s_value, "_value"); INTERN(s_leaf, "_leaf");
        INTERN(s_builtin_part, "_builtin_part"); INTERN(s_dict_get, "dict_get");
        INTERN(s_slots, "slots"); INTERN(s_base, "base"); INTERN(s_self, "__self__");
        INTERN(s_leaf_kind, "leaf_kind"); INTERN(s_qualname, "__qualname__"); INTERN(s_name, "__name__");
        INTERN(s_builtins, "builtins");
#undef INTERN
        PyObject *d = PyObject_GetAttrString((PyObject *)&PyType_Type, "__dict__");
        PyObject *m = PyUnicode_InternFromString("__module__");
        type_module = d && m ? PyObject_GetItem(d, m) : NULL;
        Py_XDECREF(m);
        type_qualname = d ? PyObject_GetItem(d, s_qualname) : NULL;
        Py_XDECREF(d);
        if (!type_module || !type_qualname) return -1;
    }
    if (read_bound(values, "max_depth", &e->max_depth) || read_bound(values, "max_items", &e->max_items)
        || read_bound(values, "max_string", &e->max_string)) return -1;
    if (!PyDict_Check(names) || !PyDict_Check(secrets) || !PyBytes_Check(redacted) || !PyTuple_Check(firsts)) {
        PyErr_SetString(PyExc_TypeError, "encoder tables");
        return -1;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(firsts); i++) {
        PyObject *w = PyTuple_GET_ITEM(firsts, i);
        if (!PyUnicode_CheckExact(w) || !PyUnicode_IS_ASCII(w) || PyUnicode_GET_LENGTH(w) == 0) {
            PyErr_SetString(PyExc_TypeError, "secret patterns' first words");
            return -1;
        }
    }
    if (PyType_Ready(&FactsType)) return -1;  /* once: it returns at once when ready */
    encoder_clear(e);
    e->values = Py_NewRef(values);
    e->names = Py_NewRef(names);
    e->secrets = Py_NewRef(secrets);
    e->redacted = Py_NewRef(redacted);
    e->firsts = Py_NewRef(firsts);
    memset(e->first_char, 0, sizeof e->first_char);
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(firsts); i++)
        e->first_char[*(const unsigned char *)PyUnicode_DATA(PyTuple_GET_ITEM(firsts, i))] = 1;
    e->types = PyDict_New();
    e->type_ids = PyDict_New();
    e->attrs = PyDict_New();
    return e->types && e->type_ids && e->attrs ? 0 : -1;
}

int encoder_traverse(Encoder *e, visitproc visit, void *arg) {
    Py_VISIT(e->values); Py_VISIT(e->names); Py_VISIT(e->secrets); Py_VISIT(e->types);
    Py_VISIT(e->type_ids); Py_VISIT(e->redacted); Py_VISIT(e->attrs); Py_VISIT(e->firsts);
    for (int i = 0; i < MEMO; i++) { Py_VISIT(e->type_memo[i].key); Py_VISIT(e->type_memo[i].val); }
    for (int i = 0; i < MEMO; i++) { Py_VISIT(e->type_id_memo[i].key); }
    return 0;
}

static void memo_clear(Memo *m) {
    for (int i = 0; i < MEMO; i++) { Py_CLEAR(m[i].key); Py_CLEAR(m[i].val); }
}

/* The program is over: forget its types (kept with their facts and names), which hold its
 * modules' globals through their methods. The tables stay, empty: nothing more is encoded. */
void encoder_forget_types(Encoder *e) {
    if (e->types) PyDict_Clear(e->types);
    if (e->type_ids) PyDict_Clear(e->type_ids);
    memo_clear(e->type_memo); memo_clear(e->type_id_memo); memo_clear(e->attr_memo);
}

void encoder_clear(Encoder *e) {
    Py_CLEAR(e->values); Py_CLEAR(e->names); Py_CLEAR(e->secrets); Py_CLEAR(e->types);
    Py_CLEAR(e->type_ids); Py_CLEAR(e->redacted); Py_CLEAR(e->attrs); Py_CLEAR(e->firsts);
    memo_clear(e->secret_memo); memo_clear(e->key_memo); memo_clear(e->attr_memo); memo_clear(e->type_memo);
    memo_clear(e->type_id_memo);
}

static int same_str(PyObject *a, PyObject *b) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(a);
    int kind = PyUnicode_KIND(a);
    return n == PyUnicode_GET_LENGTH(b) && kind == PyUnicode_KIND(b)
        && !memcmp(PyUnicode_DATA(a), PyUnicode_DATA(b), n * kind);
}

/* key's entry in m; *found says whether it holds key's value. A str's entry is found by its
 * hash, so that an equal str made anew (a new dict's keys) finds it too, and takes the newer
 * object: the next lookups compare addresses only. Anything else's is found by its address. */
static Memo *memo_find(Memo *m, PyObject *key, int *found) {
    if (!PyUnicode_CheckExact(key)) {
        Memo *slot = &m[address_hash(key, MEMO_BITS)];
        *found = slot->key == key;
        return slot;
    }
#if PY_VERSION_HEX < 0x030E0000
    Py_hash_t h = ((PyASCIIObject *)key)->hash;  /* a str keeps its hash once computed */
    if (h == -1) h = PyObject_Hash(key);
#else
    Py_hash_t h = PyObject_Hash(key);
#endif
    Memo *slot = &m[(size_t)h & (MEMO - 1)];
    *found = slot->key == key;
    if (!*found && slot->key && same_str(slot->key, key)) {
        Py_SETREF(slot->key, Py_NewRef(key));
        *found = 1;
    }
    return slot;
}

/* val is borrowed from the table behind the memo; the memo keeps its own reference */
static PyObject *memo_put(Memo *slot, PyObject *key, PyObject *val) {
    Py_XSETREF(slot->key, Py_NewRef(key));
    Py_XSETREF(slot->val, Py_NewRef(val));
    return val;
}

/* ---- tables ------------------------------------------------------------------------------------ */

static int put_id(Buf *b, PyObject *id) {
    unsigned long long n = PyLong_AsUnsignedLongLong(id);
    if (n == (unsigned long long)-1 && PyErr_Occurred()) return -1;
    return put_uint(b, n);
}

/* the name id of a str (Recorder.name_id) */
static int put_name_id(Encoder *e, PyObject *name, Buf *b) {
    PyObject *id = PyDict_GetItemWithError(e->names, name);
    if (id) return put_id(b, id);
    if (PyErr_Occurred()) return -1;
    id = PyObject_CallMethodOneArg(e->values, s_name_id, name);  /* writes the NAME entry */
    if (!id) return -1;
    int r = put_id(b, id);
    Py_DECREF(id);
    return r;
}

static inline unsigned char ascii_lower(unsigned char c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* 0 if `name` (a str) cannot be a secret's, 1 if secret_names.is_secret must say. A name is a
 * secret's when its words (its runs of ASCII letters or digits, lowercased) hold a pattern's
 * words in a row, so its ASCII letters lowercased hold the pattern's first word: without one,
 * the answer is no (dict keys are often long lines of text: the regular expressions of
 * is_secret on each, then, were a third of recording a difflib test). */
static int may_be_secret(Encoder *e, PyObject *name) {
    if (!PyUnicode_IS_ASCII(name)) return 1;
    const unsigned char *s = (const unsigned char *)PyUnicode_DATA(name);
    Py_ssize_t n = PyUnicode_GET_LENGTH(name), nw = PyTuple_GET_SIZE(e->firsts);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!e->first_char[ascii_lower(s[i])]) continue;
        for (Py_ssize_t k = 0; k < nw; k++) {
            PyObject *w = PyTuple_GET_ITEM(e->firsts, k);
            const unsigned char *ws = (const unsigned char *)PyUnicode_DATA(w);
            Py_ssize_t m = PyUnicode_GET_LENGTH(w), j = 0;
            if (m > n - i) continue;
            while (j < m && ascii_lower(s[i + j]) == ws[j]) j++;
            if (j == m) return 1;
        }
    }
    return 0;
}

/* Recorder.secret(name), or (dict keys, `key`) Recorder.secret_key(name): 1, 0 or -1 on error */
static int secret_of(Encoder *e, PyObject *name, int key) {
    int found;
    Memo *slot = memo_find(key ? e->key_memo : e->secret_memo, name, &found);
    if (found) return slot->val == Py_True;
    if (!may_be_secret(e, name)) {
        memo_put(slot, name, Py_False);
        return 0;
    }
    PyObject *known = key ? NULL : PyDict_GetItemWithError(e->secrets, name), *r = NULL;
    if (!known && !PyErr_Occurred()) known = r = PyObject_CallMethodOneArg(e->values, key ? s_secret_key : s_secret, name);
    int yes = known ? PyObject_IsTrue(known) : -1;
    Py_XDECREF(r);
    if (yes >= 0) memo_put(slot, name, yes ? Py_True : Py_False);
    return yes;
}

/* Serializer.type_id(t), encoded; cached per type */
static int put_type_id(Encoder *e, PyTypeObject *t, Buf *b) {
    int found;
    Memo *slot = memo_find(e->type_id_memo, (PyObject *)t, &found);
    if (found) return put_bytes(b, slot->val);
    PyObject *enc = PyDict_GetItemWithError(e->type_ids, (PyObject *)t);
    if (enc) return put_bytes(b, memo_put(slot, (PyObject *)t, enc));
    if (PyErr_Occurred()) return -1;
    PyObject *id = PyObject_CallMethodOneArg(e->values, s_type_id, (PyObject *)t);
    if (!id) return -1;
    Buf tmp;
    buf_init(&tmp);
    int r = put_id(&tmp, id);
    Py_DECREF(id);
    if (!r) {
        enc = PyBytes_FromStringAndSize(tmp.p, tmp.n);
        r = !enc || PyDict_SetItem(e->type_ids, (PyObject *)t, enc) ? -1 : put_bytes(b, enc);
        Py_XDECREF(enc);
    }
    buf_free(&tmp);
    return r;
}

/* What encoding an instance of a user type takes, read once from values.type_info(t). */
typedef struct {
    PyObject *name;     /* the slot's name */
    PyObject *desc;     /* its member descriptor */
    Py_ssize_t offset;  /* >= 0: a plain object slot, read straight at this offset */
    PyObject *key;      /* attr_key(name), from its first use (not before: the tables' order) */
} SlotFacts;

#define SHAPE 8  /* __dict__ positions whose keys are remembered */

typedef struct {
    PyObject_VAR_HEAD
    PyObject *name_enc;   /* the type's name id, encoded */
    PyObject *dict_desc;  /* the __dict__ descriptor, or None */
    PyObject *base;       /* the builtin base of a subclass of a builtin, or None */
    /* the str key last seen at each of the first positions of an instance's __dict__, and its
     * attr_key: instances of a class share their keys, so a hit is one compare of addresses */
    PyObject *shape[SHAPE][2];
    SlotFacts slots[1];   /* Py_SIZE of them */
} Facts;

static void Facts_dealloc(Facts *f) {
    Py_XDECREF(f->name_enc); Py_XDECREF(f->dict_desc); Py_XDECREF(f->base);
    for (int i = 0; i < SHAPE; i++) { Py_XDECREF(f->shape[i][0]); Py_XDECREF(f->shape[i][1]); }
    for (Py_ssize_t i = 0; i < Py_SIZE(f); i++) {
        Py_XDECREF(f->slots[i].name); Py_XDECREF(f->slots[i].desc); Py_XDECREF(f->slots[i].key);
    }
    PyObject_Free(f);
}

/* Holds only strs, bytes, descriptors and builtin types: no cycle goes through it. */
static PyTypeObject FactsType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "_rewind_accel.TypeFacts",
    .tp_basicsize = offsetof(Facts, slots),
    .tp_itemsize = sizeof(SlotFacts),
    .tp_dealloc = (destructor)Facts_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT,
};

/* the offset member_get would read a slot at, or -1 if it needs the descriptor itself (a
 * type of member other than a plain object, or an audited one) */
static Py_ssize_t slot_offset(PyObject *desc) {
    if (!Py_IS_TYPE(desc, &PyMemberDescr_Type)) return -1;
    PyMemberDef *m = ((PyMemberDescrObject *)desc)->d_member;
    return m->type == Py_T_OBJECT_EX && !(m->flags & ~Py_READONLY) ? m->offset : -1;
}

static Facts *new_facts(PyObject *info) {
    PyObject *id = PyObject_GetAttr(info, s_name_id), *get = PyObject_GetAttr(info, s_dict_get);
    PyObject *slots = PyObject_GetAttr(info, s_slots), *base = PyObject_GetAttr(info, s_base);
    Py_ssize_t n = slots && PyList_Check(slots) ? PyList_GET_SIZE(slots) : -1;
    Facts *f = n >= 0 && id && get && base ? PyObject_NewVar(Facts, &FactsType, n) : NULL;
    if (f) {
        f->name_enc = NULL;
        f->dict_desc = get != Py_None ? PyObject_GetAttr(get, s_self) : Py_NewRef(get);
        f->base = Py_NewRef(base);
        memset(f->shape, 0, sizeof f->shape);
        memset(f->slots, 0, n * sizeof(SlotFacts));
        Buf tmp;
        buf_init(&tmp);
        if (!put_id(&tmp, id)) f->name_enc = PyBytes_FromStringAndSize(tmp.p, tmp.n);
        buf_free(&tmp);
        int ok = f->name_enc && f->dict_desc;
        for (Py_ssize_t i = 0; ok && i < n; i++) {
            PyObject *pair = PyList_GET_ITEM(slots, i);  /* (name, member.__get__) */
            ok = PyTuple_Check(pair) && PyTuple_GET_SIZE(pair) == 2
                && (f->slots[i].desc = PyObject_GetAttr(PyTuple_GET_ITEM(pair, 1), s_self));
            if (ok) {
                f->slots[i].name = Py_NewRef(PyTuple_GET_ITEM(pair, 0));
                f->slots[i].offset = slot_offset(f->slots[i].desc);
            }
        }
        if (!ok) Py_CLEAR(f);
    }
    if (!f && !PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "values.type_info");
    Py_XDECREF(id); Py_XDECREF(get); Py_XDECREF(slots); Py_XDECREF(base);
    return f;
}

/* values.type_info(t) in the form read here: for a leaf type, values.leaf_kind(t) (a tuple),
 * else its Facts. Borrowed. */
static PyObject *type_facts(Encoder *e, PyTypeObject *t) {
    int found;
    Memo *slot = memo_find(e->type_memo, (PyObject *)t, &found);
    if (found) return slot->val;
    PyObject *facts = PyDict_GetItemWithError(e->types, (PyObject *)t);
    if (facts) return memo_put(slot, (PyObject *)t, facts);
    if (PyErr_Occurred()) return NULL;
    PyObject *info = PyObject_CallMethodOneArg(e->values, s_type_info, (PyObject *)t);
    if (!info) return NULL;
    facts = info == Py_None ? PyObject_CallMethodOneArg(e->values, s_leaf_kind, (PyObject *)t)
        : (PyObject *)new_facts(info);
    if (facts && info == Py_None && !(PyTuple_CheckExact(facts) && PyTuple_GET_SIZE(facts) == 2
                                      && PyLong_CheckExact(PyTuple_GET_ITEM(facts, 0)))) {
        Py_CLEAR(facts);
        PyErr_SetString(PyExc_TypeError, "values.leaf_kind");
    }
    Py_DECREF(info);
    if (!facts) return NULL;
    int r = PyDict_SetItem(e->types, (PyObject *)t, facts);
    Py_DECREF(facts);  /* the table holds it */
    return r ? NULL : facts;
}

/* A Python Serializer method that returns the encoding of a leaf; c may be NULL */
static int python_leaf(Encoder *e, PyObject *method, PyObject *a, PyObject *c, PyObject *d, Buf *b) {
    Shadow *building = e->build;  /* whatever Python may encode meanwhile is not this value */
    e->build = NULL;
    PyObject *enc = PyObject_CallMethodObjArgs(e->values, method, a, c, d, NULL);
    e->build = building;
    if (!enc) return -1;
    int r = PyBytes_Check(enc) ? put_bytes(b, enc) : -1;
    if (r && !PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "an encoding is bytes");
    Py_DECREF(enc);
    return r;
}

static int python_value(Encoder *e, PyObject *v, Py_ssize_t depth, Buf *b) {
    PyObject *d = PyLong_FromSsize_t(depth);
    if (!d) return -1;
    int r = python_leaf(e, s_value, v, d, NULL, b);
    Py_DECREF(d);
    return r;
}

/* ---- scalars ----------------------------------------------------------------------------------- */

/* 1 if v is a scalar and its encoding was appended, 0 if it is of another type, -1 on error */
/* v encoded as the scalar type t (its own, or for a subclass its builtin base, whose part is
 * read from it as the base type's own methods would: no user code) */
static int scalar_as(Encoder *e, PyObject *v, PyTypeObject *t, Buf *b) {
    if (v == Py_None) return put(b, "\xc0", 1) ? -1 : 1;
    if (t == &PyBool_Type) return put(b, v == Py_True ? "\xc3" : "\xc2", 1) ? -1 : 1;
    if (t == &PyFloat_Type) return put_double(b, PyFloat_AS_DOUBLE(v)) ? -1 : 1;
    if (t == &PyLong_Type) {
        if (compact_int(v)) return put_int(b, compact_value(v)) ? -1 : 1;  /* most ints: one digit */
        int overflow;
        long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
        if (!overflow) return put_int(b, x) ? -1 : 1;
        if (overflow > 0) {
            unsigned long long u = PyLong_AsUnsignedLongLong(v);
            if (!PyErr_Occurred()) return put_uint(b, u) ? -1 : 1;
            PyErr_Clear();
        }
        return 0;  /* beyond 64 bits */
    }
    if (t == &PyUnicode_Type && PyUnicode_IS_ASCII(v)) {
        Py_ssize_t n = PyUnicode_GET_LENGTH(v);
        const char *s = (const char *)PyUnicode_DATA(v);
        if (n <= e->max_string)
            return (put_str_header(b, n) || put(b, s, n)) ? -1 : 1;
        return (put_array_header(b, 3) || put_uint(b, T_STR) || put_uint(b, n)
                || put_str_header(b, e->max_string) || put(b, s, e->max_string)) ? -1 : 1;
    }
    if (t == &PyBytes_Type) {
        Py_ssize_t n = PyBytes_GET_SIZE(v);
        const char *s = PyBytes_AS_STRING(v);
        if (n <= e->max_string)
            return (put_bin_header(b, n) || put(b, s, n)) ? -1 : 1;
        return (put_array_header(b, 3) || put_uint(b, T_BYTES) || put_uint(b, n)
                || put_bin_header(b, e->max_string) || put(b, s, e->max_string)) ? -1 : 1;
    }
    return 0;
}

static inline int encode_scalar(Encoder *e, PyObject *v, Buf *b) { return scalar_as(e, v, Py_TYPE(v), b); }

/* ---- leaves: opaque labels (values.Serializer._leaf) -------------------------------------------- */

/* [T_OPAQUE, t's type id, label] (label: a str, borrowed, or NULL for "") */
static int opaque(Encoder *e, PyTypeObject *t, PyObject *label, Buf *b) {
    Py_ssize_t n = 0;
    const char *s = label ? PyUnicode_AsUTF8AndSize(label, &n) : "";
    if (!s) return -1;  /* lone surrogates: UnicodeEncodeError, as wire.text raises */
    return put_array_header(b, 3) || put_uint(b, T_OPAQUE) || put_type_id(e, t, b)
        || put_str_header(b, n) || put(b, s, n) ? -1 : 0;
}

/* values._safe_str: a str itself, else no label */
static inline PyObject *safe_str(PyObject *s) { return s && PyUnicode_CheckExact(s) ? s : NULL; }

/* a type's label, values.type_name: 'module.Qualname', or the qualname for builtins; 1 with it
 * in *label (a new reference), 0 where only Python can say (a str subclass) */
static int type_label(PyObject *v, PyObject **label) {
    PyObject *mod = Py_TYPE(type_module)->tp_descr_get(type_module, v, (PyObject *)Py_TYPE(v));
    PyObject *qual = mod ? Py_TYPE(type_qualname)->tp_descr_get(type_qualname, v, (PyObject *)Py_TYPE(v)) : NULL;
    int r = 1;
    if (!qual) {
        r = PyErr_ExceptionMatches(PyExc_Exception) ? 1 : -1;
        if (r > 0) { PyErr_Clear(); *label = PyUnicode_FromString("?"); if (!*label) r = -1; }
    } else if (!PyUnicode_CheckExact(qual) || (PyUnicode_Check(mod) && !PyUnicode_CheckExact(mod))) {
        r = 0;
    } else if (!PyUnicode_Check(mod) || PyUnicode_Compare(mod, s_builtins) == 0) {
        *label = Py_NewRef(qual);
    } else {
        *label = PyUnicode_FromFormat("%U.%U", mod, qual);
        if (!*label) r = -1;
    }
    Py_XDECREF(mod);
    Py_XDECREF(qual);
    return r;
}

/* values.Serializer._leaf, for v of a leaf type whose leaf_kind is `kind` */
static int leaf(Encoder *e, PyObject *v, PyObject *kind, Buf *b) {
    PyTypeObject *t = Py_TYPE(v);
    PyObject *label = NULL;
    int r;
    switch (PyLong_AsLong(PyTuple_GET_ITEM(kind, 0))) {
    case LEAF_CONSTANT:
        return put_bytes(b, PyTuple_GET_ITEM(kind, 1));
    case LEAF_FUNCTION:
        return opaque(e, t, safe_str(((PyFunctionObject *)v)->func_qualname), b);
    case LEAF_METHOD: {
        PyObject *f = PyMethod_GET_FUNCTION(v);
        return opaque(e, t, Py_IS_TYPE(f, &PyFunction_Type) ? safe_str(((PyFunctionObject *)f)->func_qualname) : NULL, b);
    }
    case LEAF_BUILTIN:
        if (!(label = PyObject_GetAttr(v, s_qualname))) return -1;
        r = opaque(e, t, safe_str(label), b);
        Py_DECREF(label);
        return r;
    case LEAF_MODULE: {
        PyObject *d = PyModule_GetDict(v);
        PyObject *name = d ? PyDict_GetItemWithError(d, s_name) : NULL;
        if (!name && PyErr_Occurred()) return -1;
        Py_XINCREF(name);
        r = opaque(e, t, safe_str(name), b);
        Py_XDECREF(name);
        return r;
    }
    case LEAF_TYPE:
        if ((r = type_label(v, &label)) < 0) return -1;
        if (r == 0) break;
        r = opaque(e, &PyType_Type, label, b);
        Py_DECREF(label);
        return r;
    }
    if (PyErr_Occurred()) return -1;
    return python_leaf(e, s_leaf, v, (PyObject *)t, NULL, b);
}

/* ---- shadows (see _accel_values.h) ------------------------------------------------------------ */

enum { SH_ATOM, SH_SKIP, SH_UNSET, SH_DEEP, SH_CYCLE, SH_SEQ, SH_DICT, SH_OBJECT, SH_SUBCLASS, SH_NS, SH_NO_NS, SH_LEAF, SH_READ, SH_PART };
#define SHADOW_MAX (1 << 16)  /* nodes: a larger value is encoded at each look */
/* Nodes of all shadows (about 40 bytes each): a recursion thousands of frames deep whose every
 * frame holds a large list must not make the traced process grow by its shadows. */
#define SHADOWS_MAX (1 << 18)
static Py_ssize_t shadow_nodes;

void shadow_free(Shadow *s) {
    if (!s) return;
    shadow_nodes -= s->cap;
    for (Py_ssize_t i = 0; i < s->n; i++)
        if (s->nodes[i].kind == SH_ATOM) Py_DECREF(s->nodes[i].obj);
    PyMem_Free(s->nodes);
    buf_free(&s->leaves);
    PyMem_Free(s);
}

/* the next node of the shadow being made: an ATOM holds obj; others borrow it (a type, which
 * the encoder's tables hold for good) */
static void shade(Encoder *e, int kind, PyObject *obj, Py_ssize_t n) {
    Shadow *s = e->build;
    if (!s || s->broken) return;
    if (s->n == s->cap) {
        Py_ssize_t cap = s->cap ? 2 * s->cap : 64;
        ShadowNode *nodes = cap <= SHADOW_MAX && shadow_nodes + cap - s->cap <= SHADOWS_MAX
            ? PyMem_Realloc(s->nodes, cap * sizeof(ShadowNode)) : NULL;
        if (!nodes) { s->broken = 1; return; }
        shadow_nodes += cap - s->cap;
        s->nodes = nodes;
        s->cap = cap;
    }
    ShadowNode *x = &s->nodes[s->n++];
    x->kind = kind;
    x->obj = kind == SH_ATOM ? Py_NewRef(obj) : obj;
    x->n = n;
    x->at = x->len = 0;
}

/* a node whose value is compared by its bytes, b's from `start`: a leaf (kind LEAF, t its
 * type), or an attribute read through its descriptor (READ) */
static void shade_bytes(Encoder *e, int kind, PyTypeObject *t, Buf *b, Py_ssize_t start) {
    Shadow *s = e->build;
    if (!s || s->broken) return;
    Py_ssize_t at = s->leaves.n;
    if (put(&s->leaves, b->p + start, b->n - start)) { PyErr_Clear(); s->broken = 1; return; }
    shade(e, kind, (PyObject *)t, 0);
    if (!s->broken) { s->nodes[s->n - 1].at = at; s->nodes[s->n - 1].len = b->n - start; }
}

static inline void unshadowable(Encoder *e) { if (e->build) e->build->broken = 1; }

/* ---- containers -------------------------------------------------------------------------------- */

/* the length of a builtin container: a dict, list, tuple, set or frozenset (or a subclass's
 * builtin part, `base` its type) */
static inline Py_ssize_t container_size(PyObject *v, PyTypeObject *base) {
    return base == &PyDict_Type ? PyDict_GET_SIZE(v)
        : base == &PyList_Type || base == &PyTuple_Type ? Py_SIZE(v) : PySet_GET_SIZE(v);
}

/* Serializer._deep: n < 0 for an object (no length) */
static int deep(Encoder *e, PyTypeObject *t, Py_ssize_t n, Buf *b) {
    return put_array_header(b, 3) || put_uint(b, T_DEEP) || put_type_id(e, t, b)
        || (n < 0 ? put(b, "\xc0", 1) : put_uint(b, n));
}

/* Serializer._enter: 1 with the back-reference written if v is open, else 0 with v entered */
static int enter(Path *path, PyObject *v, Py_ssize_t depth, Buf *b) {
    for (Py_ssize_t i = 0; i < path->n; i++)
        if (path->steps[i].obj == v) {
            path->cycle = depth - path->steps[i].depth;
            return put_array_header(b, 2) || put_uint(b, T_CYCLE) || put_uint(b, path->cycle) ? -1 : 1;
        }
    path->steps[path->n].obj = v;
    path->steps[path->n].depth = depth;
    path->n++;
    return 0;
}

static int item(Encoder *e, PyObject *v, Py_ssize_t depth, Buf *b, Path *path) {
    Py_INCREF(v);  /* encoding may run Python code (tables, leaves) */
    int r = value(e, v, depth, b, path);
    Py_DECREF(v);
    return r;
}

/* Serializer._seq_body: a list, tuple, set or frozenset, through its base type's storage */
static int seq_body(Encoder *e, PyObject *v, PyTypeObject *base, Py_ssize_t depth, Buf *b, Path *path) {
    int tag = base == &PyList_Type ? T_LIST : base == &PyTuple_Type ? T_TUPLE
        : base == &PySet_Type ? T_SET : T_FROZENSET;
    Py_ssize_t n = container_size(v, base);
    Py_ssize_t k = n < e->max_items ? n : e->max_items, i = 0;
    if (put_array_header(b, 2 + k) || put_uint(b, tag) || put_uint(b, n)) return -1;
    shade(e, SH_SEQ, (PyObject *)base, n);
    if (base == &PyList_Type) {
        for (; i < k && i < PyList_GET_SIZE(v); i++)
            if (item(e, PyList_GET_ITEM(v, i), depth + 1, b, path)) return -1;
    } else if (base == &PyTuple_Type) {
        for (; i < k; i++)
            if (item(e, PyTuple_GET_ITEM(v, i), depth + 1, b, path)) return -1;
    } else {
        PyObject *it = base->tp_iter(v), *x;  /* the set's own iterator, never a subclass's */
        if (!it) return -1;
        for (; i < k && (x = PyIter_Next(it)); i++) {
            int r = value(e, x, depth + 1, b, path);
            Py_DECREF(x);
            if (r) { Py_DECREF(it); return -1; }
        }
        Py_DECREF(it);
        if (PyErr_Occurred()) return -1;
    }
    if (i < k) unshadowable(e);
    for (; i < k; i++)  /* shrunk meanwhile (only another thread could): keep the count true */
        if (put(b, "\xc0", 1)) return -1;
    return 0;
}

/* Serializer._dict_body */
static int dict_body(Encoder *e, PyObject *v, Py_ssize_t depth, Buf *b, Path *path) {
    Py_ssize_t n = PyDict_GET_SIZE(v);
    Py_ssize_t k = n < e->max_items ? n : e->max_items, i = 0, pos = 0;
    if (put_array_header(b, 2 + 2 * k) || put_uint(b, T_DICT) || put_uint(b, n)) return -1;
    shade(e, SH_DICT, (PyObject *)&PyDict_Type, n);
    PyObject *key, *val;
    for (; i < k && PyDict_Next(v, &pos, &key, &val); i++) {
        Py_INCREF(key);
        Py_INCREF(val);
        int secret = 0, r = value(e, key, depth + 1, b, path);
        if (!r && PyUnicode_CheckExact(key)) secret = secret_of(e, key, 1);
        if (!r && secret < 0) r = -1;
        if (!r && secret) shade(e, SH_SKIP, NULL, 0);
        if (!r) r = secret ? put_bytes(b, e->redacted) : value(e, val, depth + 1, b, path);
        Py_DECREF(key);
        Py_DECREF(val);
        if (r) return -1;
    }
    if (i < k) unshadowable(e);
    for (; i < k; i++)
        if (put(b, "\xc0\xc0", 2)) return -1;
    return 0;
}

/* ---- user objects ------------------------------------------------------------------------------ */

/* The attributes being written: into `out` from offset `at`; `cut` is where the shown ones end
 * (-1 while all are shown). */
typedef struct { Buf *out; Py_ssize_t at, count, cut; } Attrs;

/* an attribute name's entry in e->attrs (secret or not, name id), made at its first use */
static PyObject *attr_key(Encoder *e, PyObject *name) {
    int found;
    Memo *slot = memo_find(e->attr_memo, name, &found);
    if (found) return slot->val;
    PyObject *k = PyDict_GetItemWithError(e->attrs, name);
    if (k) return memo_put(slot, name, k);
    if (PyErr_Occurred()) return NULL;
    Buf tmp;
    buf_init(&tmp);
    int secret = secret_of(e, name, 0);
    int r = secret < 0 || put(&tmp, secret ? "\1" : "\0", 1) || put_name_id(e, name, &tmp);
    k = r ? NULL : PyBytes_FromStringAndSize(tmp.p, tmp.n);
    buf_free(&tmp);
    r = !k || PyDict_SetItem(e->attrs, name, k);
    Py_XDECREF(k);  /* the table holds it */
    return r ? NULL : k;
}

/* one attribute: its name id, then its value (or the redaction marker); key is its attr_key */
static int attr(Encoder *e, Attrs *a, PyObject *key, PyObject *v, Py_ssize_t depth, Path *path) {
    if (a->count == e->max_items) a->cut = a->out->n;  /* what is shown ends here */
    a->count++;
    if (put(a->out, PyBytes_AS_STRING(key) + 1, PyBytes_GET_SIZE(key) - 1)) return -1;
    if (PyBytes_AS_STRING(key)[0]) shade(e, SH_SKIP, NULL, 0);
    return PyBytes_AS_STRING(key)[0] ? put_bytes(a->out, e->redacted) : item(e, v, depth, a->out, path);
}

/* calls a C descriptor (getset or member); NULL without an error if it raised an Exception */
static PyObject *read_descriptor(PyObject *desc, PyObject *v) {
    PyObject *r = Py_TYPE(desc)->tp_descr_get(desc, v, (PyObject *)Py_TYPE(v));
    if (!r && PyErr_ExceptionMatches(PyExc_Exception)) PyErr_Clear();
    return r;
}

/* attr_key of the str at position i of an instance's __dict__, borrowed */
static PyObject *shape_key(Encoder *e, Facts *f, Py_ssize_t i, PyObject *name) {
    if (i < SHAPE && f->shape[i][0] == name) return f->shape[i][1];
    PyObject *k = attr_key(e, name);
    if (k && i < SHAPE) {
        Py_XSETREF(f->shape[i][0], Py_NewRef(name));
        Py_XSETREF(f->shape[i][1], Py_NewRef(k));
    }
    return k;
}

/* the attributes from __dict__ (ns, or NULL) and then the slots, appended to a->out */
static int attrs(Encoder *e, Attrs *a, PyObject *ns, PyObject *v, Facts *f, Py_ssize_t depth,
                 Path *path) {
    if (ns && PyDict_CheckExact(ns)) {
        Py_ssize_t pos = 0, i = 0;
        PyObject *k, *x, *key;
        shade(e, SH_NS, NULL, PyDict_GET_SIZE(ns));
        while (PyDict_Next(ns, &pos, &k, &x)) {
            if (!PyUnicode_CheckExact(k)) continue;
            shade(e, SH_ATOM, k, 0);
            if (!(key = shape_key(e, f, i++, k)) || attr(e, a, key, x, depth + 1, path)) return -1;
        }
    } else {
        shade(e, SH_NO_NS, NULL, 0);
    }
    for (Py_ssize_t i = 0; i < Py_SIZE(f); i++) {
        SlotFacts *s = &f->slots[i];
        /* a plain slot is read as member_get would, without the AttributeError (and its formatted
         * message) of an unset one; v is of the type, so of the slot's class */
        PyObject *x = s->offset >= 0 ? Py_XNewRef(*(PyObject **)((char *)v + s->offset))
            : read_descriptor(s->desc, v);
        if (!x) { if (PyErr_Occurred()) return -1; shade(e, SH_UNSET, NULL, 0); continue; }  /* an unset slot */
        if (!s->key && (s->key = Py_XNewRef(attr_key(e, s->name))) == NULL) { Py_DECREF(x); return -1; }
        /* a member of another kind (an int field of a C type...) makes a new object at each read:
         * its shadow is its bytes */
        Shadow *building = s->offset < 0 ? e->build : NULL;
        Py_ssize_t start = a->out->n;
        if (building) e->build = NULL;
        int r = attr(e, a, s->key, x, depth + 1, path);
        if (building) { e->build = building; if (!r) shade_bytes(e, SH_READ, NULL, a->out, start); }
        Py_DECREF(x);
        if (r) return -1;
    }
    return 0;
}

/* [T_OBJECT or T_SUBCLASS, type's name id, attribute count] with room for `rest` more items */
static int object_header(Buf *b, Facts *f, int subclass, Py_ssize_t count, Py_ssize_t rest) {
    return put_array_header(b, 3 + subclass + rest) || put_uint(b, subclass ? T_SUBCLASS : T_OBJECT)
        || put_bytes(b, f->name_enc) || put_uint(b, count);
}

/* Serializer._object: its attributes are written after a header that guesses their count (every
 * item of __dict__ and every slot), and moved only if the guess was wrong. */
static int plain_object(Encoder *e, PyObject *v, PyObject *ns, Facts *f, Py_ssize_t depth, Buf *b,
                        Path *path) {
    Py_ssize_t guess = (ns && PyDict_CheckExact(ns) ? PyDict_GET_SIZE(ns) : 0) + Py_SIZE(f);
    Py_ssize_t start = b->n;
    if (guess > e->max_items) guess = 0;  /* cut: the header is written after */
    if (object_header(b, f, 0, guess, 2 * guess)) return -1;
    Attrs a = {b, b->n, 0, -1};
    if (attrs(e, &a, ns, v, f, depth, path)) return -1;
    if (a.count == guess) return 0;
    Py_ssize_t end = a.cut >= 0 ? a.cut : b->n, len = end - a.at;
    Py_ssize_t shown = a.count < e->max_items ? a.count : e->max_items;
    Buf h;
    buf_init(&h);
    if (object_header(&h, f, 0, a.count, 2 * shown) || buf_room(b, h.n)) return -1;
    memmove(b->p + start + h.n, b->p + a.at, len);
    memcpy(b->p + start, h.p, h.n);
    b->n = start + h.n + len;
    return 0;  /* h, a header, fits in its inline bytes: nothing to free */
}

/* Serializer._object and _builtin_part, for an instance of a user subclass of a builtin: its
 * attributes (first, for the order of the tables' entries), then its builtin part */
static int subclass_object(Encoder *e, PyObject *v, PyObject *ns, Facts *f, Py_ssize_t depth, Buf *b,
                           Path *path) {
    PyTypeObject *bt = (PyTypeObject *)f->base;
    Buf buf, part;
    buf_init(&buf);
    buf_init(&part);
    Attrs a = {&buf, 0, 0, -1};
    int rc = -1;
    if (attrs(e, &a, ns, v, f, depth, path)) goto done;
    if (a.cut >= 0) buf.n = a.cut;
    int r;
    if (bt == &PyList_Type || bt == &PyTuple_Type || bt == &PySet_Type || bt == &PyFrozenSet_Type)
        r = seq_body(e, v, bt, depth, &part, path);
    else if (bt == &PyDict_Type)
        r = dict_body(e, v, depth, &part, path);
    else if ((r = bt == &PyLong_Type || bt == &PyFloat_Type || bt == &PyUnicode_Type || bt == &PyBytes_Type
              ? scalar_as(e, v, bt, &part) : 0) != 0) {
        r = r < 0 ? -1 : 0;  /* an int's or a str's part, as an exact one's (values._builtin_part) */
        if (!r) shade_bytes(e, SH_PART, bt, &part, 0);
    } else {
        unshadowable(e);
        PyObject *d = PyLong_FromSsize_t(depth);
        r = d ? python_leaf(e, s_builtin_part, v, (PyObject *)bt, d, &part) : -1;
        Py_XDECREF(d);
    }
    if (r) goto done;
    Py_ssize_t shown = a.count < e->max_items ? a.count : e->max_items;
    rc = object_header(b, f, 1, a.count, 2 * shown) || put(b, part.p, part.n)
        || put(b, buf.p, buf.n) ? -1 : 0;
done:
    buf_free(&buf);
    buf_free(&part);
    return rc;
}

/* a user object: its __dict__ (if its type has one) is read once, here */
static int object(Encoder *e, PyObject *v, Facts *f, Py_ssize_t depth, Buf *b, Path *path) {
    PyObject *ns = NULL;
    shade(e, f->base == Py_None ? SH_OBJECT : SH_SUBCLASS, (PyObject *)Py_TYPE(v), 0);
    if (f->dict_desc != Py_None && !(ns = read_descriptor(f->dict_desc, v)) && PyErr_Occurred()) return -1;
    int r = f->base == Py_None ? plain_object(e, v, ns, f, depth, b, path)
        : subclass_object(e, v, ns, f, depth, b, path);
    Py_XDECREF(ns);
    return r;
}

/* ---- any value --------------------------------------------------------------------------------- */

/* Serializer._value */
static int value(Encoder *e, PyObject *v, Py_ssize_t depth, Buf *b, Path *path) {
    int r = encode_scalar(e, v, b);
    if (r > 0) shade(e, SH_ATOM, v, 0);
    if (r) return r < 0 ? -1 : 0;
    PyTypeObject *t = Py_TYPE(v);
    int is_dict = t == &PyDict_Type;
    if (is_dict || t == &PyList_Type || t == &PyTuple_Type || t == &PySet_Type || t == &PyFrozenSet_Type) {
        if (depth >= e->max_depth) {
            Py_ssize_t n = container_size(v, t);
            shade(e, SH_DEEP, (PyObject *)t, n);
            return deep(e, t, n, b);
        }
        if ((r = enter(path, v, depth, b))) {
            if (r > 0) shade(e, SH_CYCLE, NULL, path->cycle);
            return r < 0 ? -1 : 0;
        }
        r = is_dict ? dict_body(e, v, depth, b, path) : seq_body(e, v, t, depth, b, path);
        path->n--;
        return r;
    }
    if (t == &PyByteArray_Type) {
        unshadowable(e);  /* its bytes can change in place */
        Py_ssize_t n = PyByteArray_GET_SIZE(v), k = n < e->max_string ? n : e->max_string;
        return put_array_header(b, 3) || put_uint(b, T_BYTEARRAY) || put_uint(b, n)
            || put_bin_header(b, k) || put(b, PyByteArray_AS_STRING(v), k) ? -1 : 0;
    }
    if (t == &PyLong_Type || t == &PyUnicode_Type) {  /* beyond 64 bits; not ASCII */
        shade(e, SH_ATOM, v, 0);
        return python_value(e, v, depth, b);
    }
    PyObject *facts = type_facts(e, t);
    if (!facts) return -1;
    if (PyTuple_CheckExact(facts)) {
        Py_ssize_t start = b->n;
        if (leaf(e, v, facts, b)) return -1;
        shade_bytes(e, SH_LEAF, t, b, start);
        return 0;
    }
    if (depth >= e->max_depth) {
        shade(e, SH_DEEP, (PyObject *)t, -1);
        return deep(e, t, -1, b);
    }
    Py_INCREF(facts);
    if ((r = enter(path, v, depth, b)) == 0) {
        r = object(e, v, (Facts *)facts, depth, b, path);
        path->n--;
    } else if (r > 0) {
        shade(e, SH_CYCLE, NULL, path->cycle);
    }
    Py_DECREF(facts);
    return r < 0 ? -1 : 0;
}

/* A path with room for max_depth steps: `local`'s 16, or allocated (path_free) */
static int path_init(Encoder *e, Path *path, Step *local) {
    *path = (Path){local, 0, 0};
    if (e->max_depth > 16 && !(path->steps = PyMem_Malloc(e->max_depth * sizeof(Step)))) {
        PyErr_NoMemory();
        return -1;
    }
    return 0;
}

static void path_free(Path *path, Step *local) { if (path->steps != local) PyMem_Free(path->steps); }

int encode(Encoder *e, PyObject *v, Buf *b) {
    Step local[16];
    Path path;
    if (path_init(e, &path, local)) return -1;
    Py_ssize_t start = b->n;
    int r = value(e, v, 0, b, &path);
    if (r && PyErr_ExceptionMatches(PyExc_Exception)) {
        /* Serializer.encode: whatever went wrong, the value's error marker */
        PyErr_Clear();
        b->n = start;
        unshadowable(e);
        r = put_array_header(b, 2) || put_uint(b, T_ERROR) || put_type_id(e, Py_TYPE(v), b) ? -1 : 0;
    }
    path_free(&path, local);
    return r;
}

/* ---- looking at a value again through its shadow -------------------------------------------- */

int encode_shadowed(Encoder *e, PyObject *v, Buf *b, Shadow **shadow) {
    *shadow = NULL;
    Shadow *s = PyMem_Calloc(1, sizeof(Shadow));
    if (!s) return encode(e, v, b);
    buf_init(&s->leaves);
    e->build = s;
    int r = encode(e, v, b);
    e->build = NULL;
    if (r || s->broken) shadow_free(s);
    else *shadow = s;
    return r;
}

/* 1 if v is open on the path (a cycle back to it), with its distance in *dist */
static int on_path(Path *path, PyObject *v, Py_ssize_t depth, Py_ssize_t *dist) {
    for (Py_ssize_t i = 0; i < path->n; i++)
        if (path->steps[i].obj == v) { *dist = depth - path->steps[i].depth; return 1; }
    return 0;
}

static int holds(Encoder *e, Shadow *s, Py_ssize_t *i, PyObject *v, Py_ssize_t depth, Path *path);

/* holds for an item of a container (it stays alive while looked at) */
static int holds_item(Encoder *e, Shadow *s, Py_ssize_t *i, PyObject *v, Py_ssize_t depth, Path *path) {
    Py_INCREF(v);
    int r = holds(e, s, i, v, depth, path);
    Py_DECREF(v);
    return r;
}

/* the next node is SKIP (a redacted value, not looked at), or holds for v */
static int holds_or_skip(Encoder *e, Shadow *s, Py_ssize_t *i, PyObject *v, Py_ssize_t depth, Path *path) {
    if (*i < s->n && s->nodes[*i].kind == SH_SKIP) { (*i)++; return 1; }
    return holds_item(e, s, i, v, depth, path);
}

/* a list, tuple, set or frozenset through its base type t's storage, as seq_body reads it */
static int holds_seq(Encoder *e, Shadow *s, Py_ssize_t *i, PyObject *v, PyTypeObject *t, Py_ssize_t n, Py_ssize_t depth, Path *path) {
    Py_ssize_t k = n < e->max_items ? n : e->max_items;
    if (t == &PyList_Type || t == &PyTuple_Type) {
        for (Py_ssize_t j = 0; j < k; j++) {
            if (t == &PyList_Type && j >= PyList_GET_SIZE(v)) return 0;
            PyObject *x = t == &PyList_Type ? PyList_GET_ITEM(v, j) : PyTuple_GET_ITEM(v, j);
            int r = holds_item(e, s, i, x, depth + 1, path);
            if (r <= 0) return r;
        }
        return 1;
    }
    PyObject *it = t->tp_iter(v), *x;
    if (!it) return -1;
    int r = 1;
    for (Py_ssize_t j = 0; r > 0 && j < k; j++) {
        if (!(x = PyIter_Next(it))) { r = PyErr_Occurred() ? -1 : 0; break; }
        r = holds(e, s, i, x, depth + 1, path);
        Py_DECREF(x);
    }
    Py_DECREF(it);
    return r;
}

static int holds_dict(Encoder *e, Shadow *s, Py_ssize_t *i, PyObject *v, Py_ssize_t depth, Path *path) {
    Py_ssize_t n = PyDict_GET_SIZE(v), k = n < e->max_items ? n : e->max_items, pos = 0;
    PyObject *key, *val;
    for (Py_ssize_t j = 0; j < k; j++) {
        if (!PyDict_Next(v, &pos, &key, &val)) return 0;
        Py_INCREF(val);
        int r = holds_item(e, s, i, key, depth + 1, path);
        if (r > 0) r = holds_or_skip(e, s, i, val, depth + 1, path);
        Py_DECREF(val);
        if (r <= 0) return r;
    }
    return 1;
}

/* a slot read through its descriptor: the bytes attr writes for it, as at the last look */
static int holds_read(Encoder *e, Shadow *s, Py_ssize_t *i, PyObject *v, SlotFacts *sf, Py_ssize_t depth, Path *path) {
    ShadowNode *x = &s->nodes[(*i)++];
    PyObject *a = read_descriptor(sf->desc, v);
    if (!a) return PyErr_Occurred() ? -1 : x->kind == SH_UNSET;
    int r = 0;
    if (x->kind == SH_READ && sf->key) {
        Buf tmp;
        buf_init(&tmp);
        Attrs at = {&tmp, 0, 0, -1};
        r = attr(e, &at, sf->key, a, depth + 1, path) ? -1
            : tmp.n == x->len && !memcmp(tmp.p, s->leaves.p + x->at, x->len);
        buf_free(&tmp);
    }
    Py_DECREF(a);
    return r;
}

/* a user object's attributes, as attrs reads them: its __dict__'s str keys, then its slots */
static int holds_object(Encoder *e, Shadow *s, Py_ssize_t *i, PyObject *v, Facts *f, Py_ssize_t depth, Path *path) {
    PyObject *ns = NULL;
    if (f->dict_desc != Py_None && !(ns = read_descriptor(f->dict_desc, v)) && PyErr_Occurred()) return -1;
    int r = 1;
    if (*i >= s->n) { Py_XDECREF(ns); return 0; }
    ShadowNode *x = &s->nodes[(*i)++];
    if (ns && PyDict_CheckExact(ns)) {
        if (x->kind != SH_NS || x->n != PyDict_GET_SIZE(ns)) r = 0;
        Py_ssize_t pos = 0;
        PyObject *k, *a;
        while (r > 0 && PyDict_Next(ns, &pos, &k, &a)) {
            if (!PyUnicode_CheckExact(k)) continue;
            Py_INCREF(a);
            r = holds_item(e, s, i, k, depth + 1, path);
            if (r > 0) r = holds_or_skip(e, s, i, a, depth + 1, path);
            Py_DECREF(a);
        }
    } else if (x->kind != SH_NO_NS) {
        r = 0;
    }
    Py_XDECREF(ns);
    for (Py_ssize_t j = 0; r > 0 && j < Py_SIZE(f); j++) {
        SlotFacts *sf = &f->slots[j];
        if (*i >= s->n) return 0;
        if (sf->offset < 0) { r = holds_read(e, s, i, v, sf, depth, path); continue; }
        PyObject *a = *(PyObject **)((char *)v + sf->offset);
        if (!a) r = s->nodes[(*i)++].kind == SH_UNSET;
        else if (s->nodes[*i].kind == SH_UNSET) r = 0;
        else r = holds_or_skip(e, s, i, a, depth + 1, path);
    }
    return r;
}

/* the builtin part of an instance of a user subclass of bt, as subclass_object reads it: a
 * scalar's bytes, or a container's items */
static int holds_part(Encoder *e, Shadow *s, Py_ssize_t *i, PyObject *v, PyTypeObject *bt, Py_ssize_t depth, Path *path) {
    if (*i >= s->n) return 0;
    ShadowNode *x = &s->nodes[(*i)++];
    if ((PyObject *)bt != x->obj) return 0;
    if (x->kind == SH_PART) {
        Buf tmp;
        buf_init(&tmp);
        int r = scalar_as(e, v, bt, &tmp);
        r = r < 0 ? -1 : r > 0 && tmp.n == x->len && !memcmp(tmp.p, s->leaves.p + x->at, x->len);
        buf_free(&tmp);
        return r;
    }
    if (x->kind != SH_SEQ && x->kind != SH_DICT) return 0;
    Py_ssize_t n = container_size(v, bt);
    if (n != x->n) return 0;
    return x->kind == SH_SEQ ? holds_seq(e, s, i, v, bt, n, depth, path) : holds_dict(e, s, i, v, depth, path);
}

/* value() again, comparing what it would read with the shadow from node *i on */
static int holds(Encoder *e, Shadow *s, Py_ssize_t *i, PyObject *v, Py_ssize_t depth, Path *path) {
    if (*i >= s->n) return 0;
    ShadowNode *x = &s->nodes[(*i)++];
    PyTypeObject *t = Py_TYPE(v);
    Py_ssize_t dist;
    switch (x->kind) {
    case SH_ATOM:
        return v == x->obj;  /* held since: the same object, and an immutable one */
    case SH_CYCLE:
        return on_path(path, v, depth, &dist) && dist == x->n;
    case SH_DEEP:
        if ((PyObject *)t != x->obj) return 0;
        return x->n < 0 || container_size(v, t) == x->n;
    case SH_LEAF: {
        if ((PyObject *)t != x->obj) return 0;
        PyObject *facts = type_facts(e, t);
        if (!facts || !PyTuple_CheckExact(facts)) return facts ? 0 : -1;
        Buf tmp;
        buf_init(&tmp);
        int r = leaf(e, v, facts, &tmp) ? -1 : tmp.n == x->len && !memcmp(tmp.p, s->leaves.p + x->at, x->len);
        buf_free(&tmp);
        return r;
    }
    case SH_SEQ: case SH_DICT: case SH_OBJECT: case SH_SUBCLASS: {
        if ((PyObject *)t != x->obj || on_path(path, v, depth, &dist)) return 0;
        if (depth >= e->max_depth) return 0;  /* it was not DEEP: the shadow is not of this place */
        int object = x->kind == SH_OBJECT || x->kind == SH_SUBCLASS;
        Py_ssize_t n = object ? 0 : container_size(v, t);
        if (!object && n != x->n) return 0;
        PyObject *facts = NULL;
        if (object) {
            if (!(facts = type_facts(e, t))) return -1;
            if (PyTuple_CheckExact(facts) || (((Facts *)facts)->base == Py_None) != (x->kind == SH_OBJECT)) return 0;
        }
        path->steps[path->n].obj = v;
        path->steps[path->n].depth = depth;
        path->n++;
        Py_XINCREF(facts);
        int r = x->kind == SH_SEQ ? holds_seq(e, s, i, v, t, n, depth, path)
            : x->kind == SH_DICT ? holds_dict(e, s, i, v, depth, path)
            : holds_object(e, s, i, v, (Facts *)facts, depth, path);
        if (r > 0 && x->kind == SH_SUBCLASS)
            r = holds_part(e, s, i, v, (PyTypeObject *)((Facts *)facts)->base, depth, path);
        Py_XDECREF(facts);
        path->n--;
        return r;
    }
    }
    return 0;
}

int shadow_holds(Encoder *e, Shadow *s, PyObject *v) {
    Step local[16];
    Path path;
    if (path_init(e, &path, local)) return -1;
    Shadow *building = e->build;
    e->build = NULL;
    Py_ssize_t i = 0;
    int r = holds(e, s, &i, v, 0, &path);
    e->build = building;
    if (r > 0 && i != s->n) r = 0;
    if (r < 0 && PyErr_ExceptionMatches(PyExc_Exception)) {  /* encoding will say what it says */
        PyErr_Clear();
        r = 0;
    }
    path_free(&path, local);
    return r;
}
