"""What each line of a code object can change, read once from its bytecode.

Change detection uses it to do less per line event: a local can be rebound only by a store
instruction of the line that just ran, and an object can be mutated in place only if that line
ran an instruction that may call out (a call, a subscript or attribute store, an in-place
operator...) or other traced code ran since this frame's previous event. If no other traced
code ran, the untraced code the line called (builtins, the standard library) was handed the
objects the line loaded, so those are the ones to look at (and their aliases in the frame).
Lines made only of loads, stores, arithmetic and jumps need no look at other locals.
"""

import dis

_STORES = frozenset([
    "STORE_FAST", "STORE_DEREF", "DELETE_FAST", "DELETE_DEREF", "STORE_NAME", "DELETE_NAME",
    "STORE_GLOBAL", "DELETE_GLOBAL", "STORE_FAST_LOAD_FAST", "STORE_FAST_STORE_FAST",
    "STORE_FAST_MAYBE_NULL", "LOAD_FAST_AND_CLEAR",
])
# In a function, these store into the module's globals, not the frame's locals.
_GLOBAL_STORES = frozenset(["STORE_GLOBAL", "DELETE_GLOBAL"])

_LOADS = frozenset([
    "LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_FAST_LOAD_FAST", "LOAD_FAST_BORROW",
    "LOAD_FAST_BORROW_LOAD_FAST_BORROW", "LOAD_FAST_AND_CLEAR", "LOAD_DEREF", "LOAD_CLOSURE",
    "LOAD_CLASSDEREF", "LOAD_FROM_DICT_OR_DEREF",
])
# In module and class bodies the frame's names are read by name.
_NAME_LOADS = frozenset(["LOAD_NAME", "LOAD_GLOBAL", "LOAD_FROM_DICT_OR_GLOBALS"])

# Instructions that cannot mutate an object the frame holds (for builtin operands; operators of
# traced user types show up as other traced events, which trigger a full check anyway).
_PURE = frozenset("""
NOP RESUME CACHE EXTENDED_ARG POP_TOP COPY SWAP DUP_TOP DUP_TOP_TWO ROT_TWO ROT_THREE ROT_FOUR
ROT_N PUSH_NULL END_FOR POP_ITER NOT_TAKEN TO_BOOL
LOAD_FAST LOAD_FAST_CHECK LOAD_FAST_LOAD_FAST LOAD_FAST_BORROW LOAD_FAST_BORROW_LOAD_FAST_BORROW
LOAD_CONST LOAD_SMALL_INT LOAD_DEREF LOAD_CLOSURE LOAD_CLASSDEREF LOAD_FROM_DICT_OR_DEREF
LOAD_GLOBAL LOAD_NAME LOAD_FROM_DICT_OR_GLOBALS LOAD_ATTR LOAD_METHOD LOAD_SUPER_ATTR
LOAD_ASSERTION_ERROR LOAD_BUILD_CLASS LOAD_COMMON_CONSTANT LOAD_SPECIAL
STORE_FAST STORE_DEREF DELETE_FAST DELETE_DEREF STORE_NAME DELETE_NAME STORE_FAST_LOAD_FAST
STORE_FAST_STORE_FAST STORE_FAST_MAYBE_NULL LOAD_FAST_AND_CLEAR MAKE_CELL COPY_FREE_VARS
UNARY_POSITIVE UNARY_NEGATIVE UNARY_NOT UNARY_INVERT
BINARY_ADD BINARY_SUBTRACT BINARY_MULTIPLY BINARY_TRUE_DIVIDE BINARY_FLOOR_DIVIDE BINARY_MODULO
BINARY_POWER BINARY_MATRIX_MULTIPLY BINARY_LSHIFT BINARY_RSHIFT BINARY_AND BINARY_OR BINARY_XOR
BINARY_SUBSCR BINARY_SLICE COMPARE_OP IS_OP CONTAINS_OP
BUILD_TUPLE BUILD_LIST BUILD_SET BUILD_MAP BUILD_CONST_KEY_MAP BUILD_STRING BUILD_SLICE
LIST_APPEND SET_ADD MAP_ADD LIST_EXTEND SET_UPDATE DICT_UPDATE DICT_MERGE LIST_TO_TUPLE
FORMAT_VALUE FORMAT_SIMPLE FORMAT_WITH_SPEC CONVERT_VALUE
UNPACK_SEQUENCE UNPACK_EX GET_ITER GET_LEN FOR_ITER
JUMP_FORWARD JUMP_BACKWARD JUMP_BACKWARD_NO_INTERRUPT JUMP_ABSOLUTE JUMP JUMP_NO_INTERRUPT
POP_JUMP_IF_TRUE POP_JUMP_IF_FALSE POP_JUMP_IF_NONE POP_JUMP_IF_NOT_NONE
POP_JUMP_FORWARD_IF_TRUE POP_JUMP_FORWARD_IF_FALSE POP_JUMP_BACKWARD_IF_TRUE
POP_JUMP_BACKWARD_IF_FALSE POP_JUMP_FORWARD_IF_NONE POP_JUMP_FORWARD_IF_NOT_NONE
POP_JUMP_BACKWARD_IF_NONE POP_JUMP_BACKWARD_IF_NOT_NONE JUMP_IF_TRUE_OR_POP JUMP_IF_FALSE_OR_POP
JUMP_IF_NOT_EXC_MATCH RETURN_VALUE RETURN_CONST RETURN_GENERATOR
POP_BLOCK SETUP_FINALLY SETUP_CLEANUP SETUP_WITH POP_EXCEPT PUSH_EXC_INFO CHECK_EXC_MATCH
CHECK_EG_MATCH RERAISE RAISE_VARARGS
MATCH_CLASS MATCH_MAPPING MATCH_SEQUENCE MATCH_KEYS
""".split())

_INPLACE_BINARY_OP = "="  # BINARY_OP's argrepr for in-place forms ends with '=' ('+=', ...)

# calls[line] of a line that may bind names no instruction names (`from m import *`): after it,
# every name of the frame is looked at, as after other traced code.
ANYTHING = 2
# A bit set in calls[line] of a function's line that calls and touches module globals: it has
# globals[line] (looked up only then: the pure agent's hot path).
GLOBALS = 4


class LineInfo:
    """Per-line facts of one code object: `stores[line]` (names a line can rebind or delete),
    `loads[line]` (local names it reads) and `calls[line]` (true if the line may mutate objects
    in place; with the bit ANYTHING if it may also bind names it does not name). A function's
    lines that touch module globals have `globals[line]`: (names it rebinds or deletes there,
    names it reads there, which it may change in place if it calls); if the line calls, its
    calls[line] has the bit GLOBALS."""

    __slots__ = ("stores", "loads", "calls", "globals", "code", "_regions", "ns")

    def __init__(self, code, offsets=None):
        self.code = code
        self._regions = {}
        self.ns = None  # the pure agent's: the module Namespace this code's frames ran with last
        self.stores = {}
        self.loads = {}
        self.calls = {}
        gstores = {}
        gloads = {}
        function = bool(code.co_flags & 0x02)  # CO_NEWLOCALS; module and class bodies hide dunders
        line = code.co_firstlineno
        for ins in dis.get_instructions(code):
            if offsets is not None:
                if not offsets[0] <= ins.offset <= offsets[1]:
                    continue
                ln = 0  # a slice of offsets is one pseudo-line, 0
            else:
                ln = _line_of(ins)
            if ln is not None:
                line = ln
            op = ins.opname
            if op == "IMPORT_STAR" or ins.argrepr == "INTRINSIC_IMPORT_STAR":  # 3.12+: an intrinsic
                self.calls[line] = ANYTHING
                continue
            if function and (op in _GLOBAL_STORES or op == "LOAD_GLOBAL"):
                g = (gstores if op in _GLOBAL_STORES else gloads).setdefault(line, [])
                if isinstance(ins.argval, str) and ins.argval not in g:
                    g.append(ins.argval)
            elif op in _STORES:
                names = ins.argval if isinstance(ins.argval, tuple) else (ins.argval,)
                s = self.stores.setdefault(line, [])
                for n in names:
                    if not function and n.startswith("__") and n.endswith("__"):
                        continue
                    if isinstance(n, str) and n not in s:
                        s.append(n)
            if op in _LOADS or (not function and op in _NAME_LOADS):
                names = ins.argval if isinstance(ins.argval, tuple) else (ins.argval,)
                s = self.loads.setdefault(line, [])
                for n in names:
                    if isinstance(n, str) and n not in s:
                        s.append(n)
            if op == "BINARY_OP":
                if ins.argrepr.endswith(_INPLACE_BINARY_OP):
                    self.calls.setdefault(line, True)
            elif op not in _PURE and not op.startswith("INSTRUMENTED_"):
                self.calls.setdefault(line, True)
        self.stores = {k: tuple(v) for k, v in self.stores.items()}
        self.loads = {k: tuple(v) for k, v in self.loads.items()}
        self.globals = {k: (tuple(gstores.get(k, ())), tuple(gloads.get(k, ())))
                        for k in set(gstores) | set(gloads)}
        for k in self.globals:
            if k in self.calls:
                self.calls[k] |= GLOBALS


    def region(self, start, end):
        """(stores, loads, calls: False, True or ANYTHING) of the instructions at offsets start..end: the body of a
        loop that jumps back within one line (3.12+ inlined comprehensions)."""
        key = (start, end)
        r = self._regions.get(key)
        if r is None:
            one = LineInfo(self.code, key)  # the slice, counted as one line numbered 0
            r = self._regions[key] = (one.stores.get(0, ()), one.loads.get(0, ()),
                                      one.calls.get(0, False))
        return r


def _line_of(ins):
    """The source line of an instruction across versions, or None to keep the previous one."""
    pos = getattr(ins, "positions", None)  # 3.11+: every instruction has its own position
    if pos is not None:
        return pos.lineno
    sl = ins.starts_line  # 3.9-3.10: set on the first instruction of a line
    return sl if type(sl) is int else None
