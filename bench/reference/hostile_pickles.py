#!/usr/bin/python3
"""Hostile pickle corpus for the `pickles` harness (bench/DeepScratch.Hardening/Pickles), issue 11 item 2.

  hostile_pickles.py generate OUT BOOK_PKL|-   writes OUT/NNNN.pkl and OUT/manifest.json
  hostile_pickles.py check OUT                 loads every payload that has a side effect under THIS Python's
                                               pickle.loads, records whether the effect really happened
                                               (OUT/live.json), then undoes it (markers removed, victims restored)

Every payload reaches a callable outside DeepScratch's numpy allow-list through one route (GLOBAL, STACK_GLOBAL,
REDUCE, BUILD, INST, OBJ, NEWOBJ, NEWOBJ_EX, EXT1/2/4, PERSID, BINPERSID) in one context (top level, a dict, a nested
list, the book's sample_weight.pkl dict with 'W3' replaced, a numpy object array). `danger_at` is the byte offset of
the first opcode that names or reaches the callable: a reader that refuses at or before it has run nothing of it.
Side effects only touch OUT/markers (created) and OUT/victims (deleted); nothing else on the machine.
"""
import copyreg
import json
import os
import pickle
import shlex
import shutil
import struct
import sys
import time

# ---- opcode assembly (fragments push exactly one value, use no memo, and keep their MARKs balanced) -------------


def s(text):
    b = text.encode('utf-8')
    return b'\x8c' + bytes([len(b)]) + b if len(b) < 256 else b'X' + struct.pack('<I', len(b)) + b


def by(data):
    return b'C' + bytes([len(data)]) + data if len(data) < 256 else b'B' + struct.pack('<I', len(data)) + data


def enc(value):
    """A plain Python value (or a nested Call) as opcodes."""
    if isinstance(value, Call):
        return value.frag('REDUCE')[0]
    if value is None:
        return b'N'
    if isinstance(value, bool):
        return b'\x88' if value else b'\x89'
    if isinstance(value, int):
        return b'J' + struct.pack('<i', value)
    if isinstance(value, str):
        return s(value)
    if isinstance(value, bytes):
        return by(value)
    if isinstance(value, list):
        return b']' + b'(' + b''.join(enc(v) for v in value) + b'e'
    if isinstance(value, tuple):
        return b'(' + b''.join(enc(v) for v in value) + b't'
    if isinstance(value, dict):
        return b'}' + b'(' + b''.join(enc(k) + enc(v) for k, v in value.items()) + b'u'
    raise TypeError(value)


def glob(module, name):
    return b'c' + module.encode('utf-8') + b'\n' + name.encode('utf-8') + b'\n'


def args_tuple(args):
    return b'(' + b''.join(enc(a) for a in args) + b't'


EXT_CODES = {'EXT1': (b'\x82', '<B', 1), 'EXT2': (b'\x83', '<H', 0x100), 'EXT4': (b'\x84', '<i', 0x10000)}


class Call:
    """callable(*args) reached through a route; frag() returns (bytes, offset of the first dangerous opcode)."""

    def __init__(self, module, name, args, index=0):
        self.module, self.name, self.args, self.index = module, name, args, index

    def frag(self, route):
        m, n, a = self.module, self.name, self.args
        if route == 'GLOBAL':                 # the bare reference (e.g. a dict value that is os.system)
            return glob(m, n), 0
        if route == 'STACK_GLOBAL':
            head = s(m) + s(n)
            return head + b'\x93', len(head)
        if route == 'REDUCE':                 # GLOBAL then the call, as protocols 0 to 3 write it
            return glob(m, n) + args_tuple(a) + b'R', 0
        if route == 'REDUCE_SG':              # STACK_GLOBAL then the call, as protocol 4 and 5 write it
            head = s(m) + s(n)
            return head + b'\x93' + args_tuple(a) + b'R', len(head)
        if route == 'BUILD':                  # an allowed OrderedDict whose __setstate__ is set to the callable
            head = glob('collections', 'OrderedDict') + b')R'
            state = b'N' + b'}' + s('__setstate__') + glob(m, n) + b's' + b'\x86' + b'b'
            arg = enc(a[0]) if a else b'N'
            return head + state + arg + b'b', len(head) + 2 + len(s('__setstate__'))
        if route == 'INST':                   # protocol 0: MARK args INST module name
            body = b'(' + b''.join(enc(x) for x in a)
            return body + b'i' + m.encode('utf-8') + b'\n' + n.encode('utf-8') + b'\n', len(body)
        if route == 'OBJ':                    # protocol 1: MARK class args OBJ
            return b'(' + glob(m, n) + b''.join(enc(x) for x in a) + b'o', 1
        if route == 'NEWOBJ':                 # cls.__new__(cls, *args)
            return glob(m, n) + args_tuple(a) + b'\x81', 0
        if route == 'NEWOBJ_EX':              # cls.__new__(cls, *args, **kwargs)
            return glob(m, n) + args_tuple(a) + b'}' + b'\x92', 0
        if route in EXT_CODES:                # copyreg's extension registry names the callable by a number
            op, fmt, base = EXT_CODES[route]
            return op + struct.pack(fmt, base + self.index) + args_tuple(a) + b'R', 0
        if route == 'PERSID':                 # persistent id: text, resolved by the unpickler's persistent_load
            return b'P' + f'{m}.{n}'.encode('ascii', 'backslashreplace') + b'\n', 0
        if route == 'BINPERSID':
            body = enc((m, n) + tuple(a))
            return body + b'Q', len(body)
        raise ValueError(route)


ROUTES = ['GLOBAL', 'STACK_GLOBAL', 'REDUCE', 'REDUCE_SG', 'BUILD', 'INST', 'OBJ', 'NEWOBJ', 'NEWOBJ_EX',
          'EXT1', 'EXT2', 'EXT4', 'PERSID', 'BINPERSID']

# Routes that call the callable under Python (EXT* once the code is registered with copyreg, as an application may).
CALLING_ROUTES = {'REDUCE', 'REDUCE_SG', 'BUILD', 'INST', 'OBJ', 'EXT1', 'EXT2', 'EXT4'}


def callables(out, pid):
    """(module, name, args, effect) for payload pid; effect is 'create' (markers/pid), 'delete' (victims/pid/keep) or None."""
    marker = os.path.join(out, 'markers', pid)
    victim = os.path.join(out, 'victims', pid)
    touch = 'touch ' + shlex.quote(marker)
    code = f'open({marker!r}, "w").close()'
    script = os.path.join(out, 'scripts', pid + '.py')
    inner = os.path.join(out, 'inner', pid + '.pkl')
    inner_bytes = b'\x80\x02' + glob('os', 'system') + args_tuple([touch]) + b'R.'
    getattr_chain = Call('builtins', 'getattr', [Call('builtins', '__import__', ['os']), 'system'])
    return [
        ('os', 'system', [touch], 'create'),
        ('posix', 'system', [touch], 'create'),
        ('os', 'popen', [touch], 'create'),
        ('subprocess', 'Popen', [['touch', marker]], 'create'),
        ('subprocess', 'run', [['touch', marker]], 'create'),
        ('subprocess', 'call', [['touch', marker]], 'create'),
        ('subprocess', 'check_output', [['touch', marker]], 'create'),
        ('subprocess', 'getoutput', [touch], 'create'),
        ('builtins', 'eval', [code], 'create'),
        ('builtins', 'exec', [code], 'create'),
        ('__builtin__', 'eval', [code], 'create'),
        ('builtins', 'open', [marker, 'w'], 'create'),
        ('builtins', 'getattr', [getattr_chain, 'system'], None),
        ('builtins', '__import__', ['os'], None),
        ('builtins', 'compile', [code, 'x', 'exec'], None),
        ('builtins', 'setattr', [None, 'x', 1], None),
        ('runpy', '_run_code', [code, {}], 'create'),
        ('runpy', 'run_path', [script], 'create'),
        ('numpy.testing._private.utils', 'runstring', [code, {}], 'create'),
        ('numpy', 'load', [inner, None, True], 'create'),
        ('numpy', 'fromfile', ['/etc/hostname'], None),
        ('numpy.ctypeslib', 'load_library', ['libc.so.6', '/lib'], None),
        ('pickle', 'loads', [inner_bytes], 'create'),
        ('_pickle', 'loads', [inner_bytes], 'create'),
        ('shutil', 'rmtree', [victim], 'delete'),
        ('os', 'remove', [os.path.join(victim, 'keep')], 'delete'),
        ('importlib', 'import_module', ['os'], None),
        ('ctypes', 'CDLL', ['libc.so.6'], None),
        ('webbrowser', 'open', ['http://127.0.0.1:9/'], None),
        # The allowed modules with a name that is not allowed, and damaged or look-alike spellings of allowed names.
        ('numpy.core.multiarray', 'fromfile', ['/etc/hostname'], None),
        ('numpy._core.multiarray', 'frombuffer', [b'\0\0\0\0'], None),
        ('numpy.core.multiarray', 'ndarray', [[1]], None),
        ('numpy.core.numeric', 'load', [inner], None),
        ('numpy', 'save', [marker, 1], None),
        ('collections', 'namedtuple', ['x', 'a'], None),
        ('_codecs', 'decode', [b'x', 'latin1'], None),
        ('builtins', 'bytearray', [4], None),
        ('numpy.core.multiarray\r', '_reconstruct', [], None),
        ('numpy', 'dtype ', ['f4'], None),
        ('nump\u0443', 'dtype', ['f4'], None),
    ]


# ---- contexts: a placeholder str is pickled in place of the payload, then replaced by the payload's opcodes ------

PLACEHOLDER = 'PAYLOAD-8f3a1c0e5b7d4a29-PAYLOAD'


def contexts(book):
    import numpy as np
    result = {
        'top': PLACEHOLDER,
        'dict': {'W1': np.arange(4, dtype=np.float32).reshape(2, 2), 'b1': PLACEHOLDER},
        'list': [np.ones(3, dtype=np.float32), [np.zeros(1, dtype=np.float32), PLACEHOLDER]],
        'objarray': {'W1': np.array([PLACEHOLDER, 1.5], dtype=object)},
    }
    if book:
        with open(book, 'rb') as f:
            weights = pickle.load(f)
        weights['W3'] = PLACEHOLDER
        result['book'] = weights
    templates = {}
    for name, obj in result.items():
        data = pickle.dumps(obj, protocol=2)
        ph = b'X' + struct.pack('<I', len(PLACEHOLDER)) + PLACEHOLDER.encode()
        assert data.count(ph) == 1, name
        templates[name] = (data, data.index(ph), len(ph))
    return templates


def generate(out, book):
    for sub in ('markers', 'victims', 'scripts', 'inner'):
        os.makedirs(os.path.join(out, sub), exist_ok=True)
    templates = contexts(None if book == '-' else book)
    manifest = []
    n_callables = len(callables(out, '0000'))
    pid = 0
    for context, (data, at, length) in templates.items():
        for ci in range(n_callables):
            for route in ROUTES:
                name = f'{pid:05d}'
                module, fname, args, effect = callables(out, name)[ci]
                frag, danger = Call(module, fname, args, index=ci).frag(route)
                payload = data[:at] + frag + data[at + length:]
                with open(os.path.join(out, name + '.pkl'), 'wb') as f:
                    f.write(payload)
                calls = route in CALLING_ROUTES
                # BUILD hands __setstate__ one argument only.
                live = effect is not None and calls and not (route == 'BUILD' and len(args) != 1) \
                    and not (fname == 'load' and route == 'BUILD')
                if effect is not None and calls:
                    if fname == 'run_path':
                        with open(os.path.join(out, 'scripts', name + '.py'), 'w') as f:
                            f.write(f'open({os.path.join(out, "markers", name)!r}, "w").close()\n')
                    if module == 'numpy' and fname == 'load':
                        touch = 'touch ' + shlex.quote(os.path.join(out, 'markers', name))
                        with open(os.path.join(out, 'inner', name + '.pkl'), 'wb') as f:
                            f.write(b'\x80\x02' + glob('os', 'system') + args_tuple([touch]) + b'R.')
                    if effect == 'delete':
                        os.makedirs(os.path.join(out, 'victims', name), exist_ok=True)
                        open(os.path.join(out, 'victims', name, 'keep'), 'w').close()
                manifest.append({
                    'file': name + '.pkl', 'callable': f'{module}.{fname}', 'route': route, 'context': context,
                    'danger_at': at + danger, 'effect': effect if live else None,
                    'marker': os.path.join(out, 'markers', name) if live and effect == 'create' else None,
                    'victim': os.path.join(out, 'victims', name, 'keep') if live and effect == 'delete' else None,
                    'ext': [module, fname, EXT_CODES[route][2] + ci] if route in EXT_CODES else None,
                })
                pid += 1
    with open(os.path.join(out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f)
    print(len(manifest))


def effect_happened(entry):
    if entry['marker']:
        return os.path.exists(entry['marker'])
    return not os.path.exists(entry['victim'])


def check(out):
    with open(os.path.join(out, 'manifest.json')) as f:
        manifest = json.load(f)
    live = {}
    for entry in manifest:
        if not entry['effect']:
            continue
        assert not effect_happened(entry), entry['file']
        copyreg._extension_registry.clear()
        copyreg._inverted_registry.clear()
        copyreg.clear_extension_cache()
        if entry['ext']:
            module, name, code = entry['ext']
            copyreg.add_extension(module, name, code)
        with open(os.path.join(out, entry['file']), 'rb') as f:
            data = f.read()
        try:
            result = pickle.loads(data)
        except Exception:
            result = None
        # Popen and os.popen run the command in the background: give it a moment.
        deadline = time.monotonic() + 5
        while not effect_happened(entry) and time.monotonic() < deadline and entry['marker']:
            time.sleep(0.02)
        del result
        live[entry['file']] = effect_happened(entry)
        # Undo, so the harness starts from a clean state.
        if entry['marker'] and os.path.exists(entry['marker']):
            os.remove(entry['marker'])
        if entry['victim'] and not os.path.exists(entry['victim']):
            os.makedirs(os.path.dirname(entry['victim']), exist_ok=True)
            open(entry['victim'], 'w').close()
    with open(os.path.join(out, 'live.json'), 'w') as f:
        json.dump(live, f)
    print(sum(live.values()), len(live))


if __name__ == '__main__':
    if len(sys.argv) == 4 and sys.argv[1] == 'generate':
        generate(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == 'check':
        check(sys.argv[2])
    else:
        sys.exit(__doc__)
