# SPDX-License-Identifier: MIT
# For test_opcodes_live.c, run by the interpreter under test (3.6+ syntax):
# prints its version, every opcode number below 256 with its names, the
# inline cache units of each base instruction, then code objects (warmed up
# so 3.11+ specialize their calls; on 3.12+ one instrumented for CALL
# events by sys.monitoring) as their bytecode in hex (3.11+ the adaptive
# copy the frames run) and dis's instructions (byte offset:base opcode).
import sys, dis, opcode
minor = sys.version_info[1]
names = dict(opcode.opmap)
print("version", sys.version_info[0], minor, flush=True)
names.update(getattr(dis, "_all_opmap", {}))
names.update(getattr(opcode, "_specialized_opmap", {}))
for n, v in sorted(names.items(), key=lambda kv: kv[1]):
    if v < 256:
        print("op", v, n)
ice = getattr(opcode, "_inline_cache_entries", None)
if isinstance(ice, list):
    ice = dict((opcode.opname[i], c) for i, c in enumerate(ice))
# (3.12 lists 0 for its INSTRUMENTED_* forms, which in C keep their base's
# cache units: those are checked by the scan of instrumented code below.)
for n, c in sorted((ice or {}).items()):
    if n in opcode.opmap and not n.startswith("INSTRUMENTED_"):
        print("cache", n, c)
def helper(a, b=1):
    return a + b
class K:
    def m(self, x):
        return x
def work(n):
    out = []
    k = K()
    t = 0
    for i in range(n):
        out.append(len(str(i)))
        t += helper(i) + k.m(i) + isinstance(i, int) + abs(-i) + max(i, 1)
        d = dict(a=i)
        t += helper(*(i,)) + helper(a=i, b=2)
    return t
work(2000)
big = "def big(f):\n    return f(" + ",".join("%d" % i for i in range(300)) + ")\n"
exec(big)
big(lambda *a: 0)
if minor >= 12:
    M = sys.monitoring
    M.use_tool_id(3, "t")
    M.register_callback(3, M.events.CALL, lambda *a: None)
    M.set_local_events(3, helper.__code__, 0)
    M.set_local_events(3, work.__code__, M.events.CALL)
import threading, json.decoder, collections, argparse
def codes_of(co, out):
    out.append(co)
    for c in co.co_consts:
        if hasattr(c, "co_code"):
            codes_of(c, out)
todo = []
for f in [work, helper, K.m, big]:
    codes_of(f.__code__, todo)
for mod in (threading, json.decoder, collections, argparse, dis):
    for v in vars(mod).values():
        for f in [v] + [getattr(v, a) for a in dir(v) if isinstance(v, type)]:
            f = getattr(f, "__func__", f)
            if hasattr(f, "__code__"):
                codes_of(f.__code__, todo)
seen = set()
for co in todo:
    if id(co) in seen:
        continue
    seen.add(id(co))
    raw = co._co_code_adaptive if minor >= 11 else co.co_code
    if len(raw) > 8000:             # lines under pychild's 64 KiB
        continue
    ins = ",".join("%d:%d" % (i.offset, i.opcode) for i in dis.get_instructions(co))
    print("code", raw.hex(), ins)
print("end", flush=True)
