"""Builds a kite-dialect module as MLIR text while a kernel is traced.

Ops are kept as small records (so hints can still annotate them) and printed
in MLIR's generic form; libkite parses, verifies and pretty-prints them. See
docs/kite-dialect.md for the contract."""
from __future__ import annotations

import contextlib
import math
import struct

from ..language import dtypes as dt
from .location import error, user_location


class Op:
    __slots__ = ("results", "name", "operands", "props", "regions", "attrs", "signature", "loc")

    def __init__(self, results, name, operands, props, regions, signature, loc):
        self.results, self.name, self.operands = results, name, operands
        self.props, self.regions, self.attrs = props, regions, {}
        self.signature, self.loc = signature, loc

    def render(self, out: list, indent: str):
        head = ""
        if len(self.results) == 1:
            head = f"{self.results[0]} = "
        elif self.results:
            base = self.results[0].split("#")[0]
            head = f"{base}:{len(self.results)} = "
        text = f'{indent}{head}"{self.name}"({", ".join(self.operands)})'
        if self.props:
            text += " <{" + ", ".join(f"{k} = {v}" for k, v in self.props.items()) + "}>"
        if self.regions:
            out.append(text + " (")
            for i, region in enumerate(self.regions):
                region.render(out, indent + "  ", last=i == len(self.regions) - 1)
            text = indent + ")"
        if self.attrs:
            text += " {" + ", ".join(f"{k} = {v}" for k, v in self.attrs.items()) + "}"
        out.append(f"{text} : {self.signature} {self.loc}")


class Region:
    def __init__(self, args):
        self.args = args      # [(handle, mlir type)]
        self.ops: list[Op] = []

    def render(self, out: list, indent: str, last: bool):
        out.append(indent + "{")
        if self.args:
            out.append(indent + "^bb0(" + ", ".join(f"{h}: {t}" for h, t in self.args) + "):")
        for op in self.ops:
            op.render(out, indent + "  ")
        out.append(indent + ("}" if last else "},"))


def string_literal(text: str) -> str:
    """An MLIR string attribute: printable ASCII as is, every other byte as \\XX."""
    out = []
    for byte in text.encode("utf-8"):
        ch = chr(byte)
        out.append(ch if 32 <= byte < 127 and ch not in '"\\' else f"\\{byte:02X}")
    return '"' + "".join(out) + '"'


def _int_literal(value: int, bits: int) -> str:
    value = int(value)
    if bits == 1:
        return "true" if value else "false"
    value &= (1 << bits) - 1
    if value >= 1 << (bits - 1):
        value -= 1 << bits
    return str(value)


def _float_bits(value: float, elem: dt.dtype) -> int:
    if elem.mlir == "f64":
        return struct.unpack("<Q", struct.pack("<d", value))[0]
    f32 = struct.unpack("<I", struct.pack("<f", value))[0]
    if elem.mlir == "f32":
        return f32
    if elem.mlir == "bf16":
        return f32 >> 16
    # f16 (fp8 literals are the codes numerics.encode gives, _float_literal)
    return struct.unpack("<H", struct.pack("<e", value))[0]


def _float_literal(value: float, elem: dt.dtype) -> str:
    value = float(value)
    if elem.is_fp8():
        # The format's bits, rounded and saturated as every fp8 conversion
        # is (MLIR would read 1000.0 as e4m3's NaN, 1e6 as e5m2's inf).
        from ..interpreter import numerics
        return "0x%02X" % int(numerics.encode(value, elem))
    if math.isfinite(value):
        return "%.17e" % value
    return hex(_float_bits(value, elem)).upper().replace("0X", "0x")


def scalar_literal(value, elem: dt.dtype) -> str:
    if elem.is_floating():
        return _float_literal(value, elem)
    if elem.is_ptr():
        raise error("pointer constants are not supported")
    return _int_literal(value, elem.bits)


class IRBuilder:
    """The builder used while tracing: each method appends one op and returns
    the SSA name(s) of its result(s)."""

    is_tracing = True

    def __init__(self):
        self._counter = 0
        self.types: dict[str, str] = {}
        self._defs: dict[str, Op] = {}
        self._regions: list[Region] = []

    # -- names, regions, generic emission ------------------------------------
    def fresh(self, ty: str) -> str:
        name = f"%{self._counter}"
        self._counter += 1
        self.types[name] = ty
        return name

    def push_region(self, arg_types) -> Region:
        region = Region([(self.fresh(t), t) for t in arg_types])
        self._regions.append(region)
        return region

    def pop_region(self) -> Region:
        return self._regions.pop()

    @contextlib.contextmanager
    def in_region(self, region: Region):
        """Appends the ops built inside the ``with`` to ``region``."""
        self._regions.append(region)
        try:
            yield region
        finally:
            self._regions.pop()

    def emit(self, name, operands, result_types, props=None, regions=None, loc=None):
        result_types = [t if isinstance(t, str) else t.mlir for t in result_types]
        if len(result_types) > 1:
            base = self.fresh("")
            results = [f"{base}#{i}" for i in range(len(result_types))]
            for r, t in zip(results, result_types):
                self.types[r] = t
        else:
            results = [self.fresh(t) for t in result_types]
        in_types = ", ".join(self.types[o] for o in operands)
        if len(result_types) == 1:
            out_types = result_types[0]
        else:
            out_types = "(" + ", ".join(result_types) + ")"
        op = Op(results, name, list(operands), props or {}, regions or [],
                f"({in_types}) -> {out_types}", (loc or user_location()).mlir())
        self._regions[-1].ops.append(op)
        for r in results:
            self._defs[r] = op
        return results

    def last_op(self) -> Op:
        """The op emit() appended last (to give it attributes)."""
        return self._regions[-1].ops[-1]

    def emit1(self, name, operands, result_type, props=None):
        return self.emit(name, operands, [result_type], props)[0]

    # -- the builder interface used by kite.language --------------------------
    def constant(self, value, ty):
        if isinstance(ty, dt.block_type):
            attr = f"dense<{scalar_literal(value, ty.element_ty)}> : {ty.mlir}"
        elif ty.is_bool():
            attr = _int_literal(value, 1)
        else:
            attr = f"{scalar_literal(value, ty)} : {ty.mlir}"
        return self.emit1("arith.constant", [], ty, {"value": attr})

    def program_id(self, axis):
        return self.emit1("kite.program_id", [], dt.int32, {"axis": f"{axis} : i32"})

    def num_programs(self, axis):
        return self.emit1("kite.num_programs", [], dt.int32, {"axis": f"{axis} : i32"})

    def make_range(self, start, end, ty):
        return self.emit1("kite.make_range", [], ty, {"end": f"{end} : i32", "start": f"{start} : i32"})

    def splat(self, h, ty):
        return self.emit1("kite.splat", [h], ty)

    def broadcast(self, h, ty):
        return self.emit1("kite.broadcast", [h], ty)

    def expand_dims(self, h, axis, ty):
        return self.emit1("kite.expand_dims", [h], ty, {"axis": f"{axis} : i32"})

    def reshape(self, h, ty):
        return self.emit1("kite.reshape", [h], ty)

    def trans(self, h, order, ty):
        return self.emit1("kite.trans", [h], ty, {"order": f"array<i32: {', '.join(map(str, order))}>"})

    def join(self, a, b, ty):
        return self.emit1("kite.join", [a, b], ty)

    def split(self, h, ty):
        return self.emit("kite.split", [h], [ty, ty])

    def gather(self, src, index, axis, ty):
        return self.emit1("kite.gather", [src, index], ty, {"axis": f"{axis} : i32"})

    def arith(self, name, handles, ty):
        return self.emit1(name, handles, ty)

    def quantize(self, x, scale, zero_point, lo, hi, ty):
        props = {} if lo is None else {"max": f"{hi} : i64", "min": f"{lo} : i64"}
        return self.emit1("kite.quantize", [x, scale] + ([zero_point] if zero_point else []), ty, props)

    def dequantize(self, q, scale, zero_point, is_unsigned, ty):
        props = {"is_unsigned": "unit"} if is_unsigned else {}
        return self.emit1("kite.dequantize", [q, scale] + ([zero_point] if zero_point else []), ty, props)

    def fp4_to_fp(self, codes, high, ty):
        return self.emit1("kite.fp4_to_fp", [codes], ty, {"high": "unit"} if high else {})

    def cmp(self, name, predicate, a, b, ty):
        return self.emit1(name, [a, b], ty, {"predicate": f"{predicate} : i64"})

    def cast(self, name, h, ty, src_ty, attrs):
        props = {k: f"{v} : i32" for k, v in (attrs or {}).items()}
        return self.emit1(name, [h], ty, props)

    def retype(self, h, ty, src_ty):
        return h  # signed and unsigned integers are both signless in MLIR

    def addptr(self, p, off, ty):
        return self.emit1("kite.addptr", [p, off], ty)

    def load(self, p, mask, other, ty, volatile, tensor_map=None, box=()):
        """``tensor_map``/``box``: the same read as a box of a host descriptor's
        TMA map (its address, and the box's i32 coordinates)."""
        operands = [p] + [x for x in (mask, other) if x is not None]
        if tensor_map is not None:
            operands += [tensor_map, *box]
        segments = [1, int(mask is not None), int(other is not None),
                    int(tensor_map is not None), len(box) if tensor_map is not None else 0]
        props = {"operandSegmentSizes": f"array<i32: {', '.join(map(str, segments))}>"}
        if volatile:
            props["is_volatile"] = "unit"
        return self.emit1("kite.load", operands, ty, props)

    def store(self, p, v, mask, ptr_ty, tensor_map=None, box=()):
        """``tensor_map``/``box``: as load's."""
        operands = [p, v] + ([mask] if mask is not None else [])
        if tensor_map is not None:
            operands += [tensor_map, *box]
        segments = [1, 1, int(mask is not None), int(tensor_map is not None),
                    len(box) if tensor_map is not None else 0]
        props = {"operandSegmentSizes": f"array<i32: {', '.join(map(str, segments))}>"}
        self.emit("kite.store", operands, [], props)

    def atomic_rmw(self, code, kind, p, v, mask, ty, sem, scope):
        operands = [p, v] + ([mask] if mask is not None else [])
        props = {"operandSegmentSizes": f"array<i32: 1, 1, {int(mask is not None)}>",
                 "rmw_op": f"{code} : i32", "sem": f"{sem} : i32", "scope": f"{scope} : i32"}
        return self.emit1("kite.atomic_rmw", operands, ty, props)

    def atomic_cas(self, p, c, v, ty, sem, scope):
        return self.emit1("kite.atomic_cas", [p, c, v], ty,
                          {"sem": f"{sem} : i32", "scope": f"{scope} : i32"})

    def dot(self, a, b, c, ty, input_precision="ieee"):
        props = {} if input_precision == "ieee" else {"input_precision": f'"{input_precision}"'}
        return self.emit1("kite.dot", [a, b, c], ty, props)

    def _combine(self, name, handles, types, props, region_fn):
        """kite.reduce or kite.scan, with ``region_fn`` traced as its combine region."""
        elems = [t.scalar.mlir for t in types]
        region = self.push_region(elems * 2)
        try:
            args = [h for h, _ in region.args]
            self.emit(f"{name}.return", region_fn(args[:len(elems)], args[len(elems):]), [])
        finally:
            self.pop_region()
        return self.emit(name, handles, types, props, [region])

    def reduce(self, handles, axis, region_fn, types, kind):
        return self._combine("kite.reduce", handles, types, {"axis": f"{axis} : i32"}, region_fn)

    def scan(self, handles, axis, reverse, region_fn, types, kind):
        props = {"axis": f"{axis} : i32", "reverse": "true" if reverse else "false"}
        return self._combine("kite.scan", handles, types, props, region_fn)

    def print(self, prefix, hex_, handles, types):
        text = string_literal(prefix)
        attrs = {"hex": "true" if hex_ else "false", "prefix": text}
        unsigned = [t.scalar.is_int_unsigned() for t in types]
        if any(unsigned):
            attrs["isUnsigned"] = f"array<i1: {', '.join('true' if u else 'false' for u in unsigned)}>"
        self.emit("kite.print", handles, [], attrs)

    def assert_(self, cond, message, ty):
        self.emit("kite.assert", [cond], [], {"message": string_literal(message)})

    def assume(self, cond, ty):
        # A scalar fact for AxisInfo (kite.assume); of a tensor, nothing
        # reads it.
        if not isinstance(ty, dt.block_type):
            self.emit("kite.assume", [cond], [])

    def debug_barrier(self):
        self.emit("kite.debug_barrier", [], [])

    def gdc_wait(self):
        self.emit("kite.gdc_wait", [], [])

    def gdc_launch_dependents(self):
        self.emit("kite.gdc_launch_dependents", [], [])

    def hint(self, h, kind, values):
        op = self._defs.get(h)
        if op is not None and len(op.results) == 1:
            name = {"multiple_of": "kite.divisibility", "max_contiguous": "kite.contiguity",
                    "max_constancy": "kite.constancy"}[kind]
            op.attrs[name] = f"array<i32: {', '.join(map(str, values))}>"

    def concrete_bool(self, t):
        raise error("a runtime value is used as a Python bool here (in `and`, `or`, `not`, a "
                    "chained comparison or a Python call); use `&`, `|`, `~` or kl.where on "
                    "blocks, or an `if` statement on a scalar")

    def concrete_int(self, t):
        raise error("a runtime value is used where a compile-time constant is needed; "
                    "pass it as a parameter annotated `: kl.constexpr`")

    concrete_float = concrete_int

    # -- the module -----------------------------------------------------------
    def module_text(self, name, args, body: Region, loc) -> str:
        """``args``: [(handle, mlir type, {attr: value}, parameter name)]; the
        name is the argument's location (memory checks report it)."""
        params = []
        for handle, ty, attrs, pname in args:
            text = f"{handle}: {ty}"
            if attrs:
                text += " {" + ", ".join(f"{k} = {v}" for k, v in attrs.items()) + "}"
            params.append(text + f' loc("{pname}")')
        out = ["module {", f"  func.func @{name}({', '.join(params)}) attributes {{kite.kernel}} {{"]
        for op in body.ops:
            op.render(out, "    ")
        out.append(f"    func.return {loc.mlir()}")
        out.append(f"  }} {loc.mlir()}")
        out.append("}")
        return "\n".join(out) + "\n"
