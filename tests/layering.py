#!/usr/bin/env python3
"""layering.py BUILD-DIR SOURCE-DIR — the arrows of DESIGN.md "Layout", checked on the
built objects (nm) and on the #include lines.

  cli -> anything; engine -> plan, lang, core, state, modules (registry.h only);
  plan -> lang, core, modules (registry.h only); lang -> core; report -> plan, lang,
  core (graphs of a plan, step kind names); modules -> core, and one module -> another
  only through a public header (modules/pg/pg_cursor.h); a module includes registry.h
  for the descriptor type it exports but calls nothing there; modules/registry -> each
  module's descriptor; sim -> core; core -> nothing.

A symbol a layer's objects use (nm: U) and another layer's objects define is an
arrow; each must be allowed. Prints every forbidden arrow with the symbol and the
object, exits 1 if any. `--self-test` first plants a forbidden arrow (core calling
plan_build) in a copy of the symbol tables to show the check catches it.
"""
import os, re, subprocess, sys
from collections import defaultdict

ALLOWED = {
    'core': set(),
    'lang': {'core'},
    'plan': {'lang', 'core', 'modules/registry'},
    'engine': {'plan', 'lang', 'core', 'state', 'modules/registry'},
    'state': {'core'},
    'report': {'plan', 'lang', 'core', 'state'},
    'sim': {'core'},
    'modules/registry': {'core', 'modules/*'},
    'modules/*': {'core'},
}
# public headers through which one module may call another
PUBLIC = {'pg': ['interpreter/modules/pg/pg_cursor.h']}
LIBS = ['core', 'lang', 'plan', 'engine', 'state', 'modules', 'sim', 'report']


def layer_of(obj):
    m = re.match(r'interpreter_([a-z0-9]+)_(.*)', obj)
    if not m:
        return None
    l, rest = m.group(1), m.group(2)
    if l != 'modules':
        return l
    if rest.startswith('registry.c'):
        return 'modules/registry'
    return 'modules/' + rest.split('_', 1)[0]


def allowed(src, dst, sym, public):
    if src == dst:
        return True
    ok = ALLOWED.get(src) or (ALLOWED['modules/*'] if src.startswith('modules/') else set())
    if dst in ok:
        return True
    if dst.startswith('modules/') and dst != 'modules/registry':
        if 'modules/*' in ok:                     # the registry names each module
            return True
        if src.startswith('modules/') and sym in public.get(dst[8:], set()):
            return True
    return False


def public_symbols(srcdir):
    out = {}
    for mod, headers in PUBLIC.items():
        names = set()
        for h in headers:
            text = open(os.path.join(srcdir, h)).read()
            names |= set(re.findall(r'\b([a-z_][a-z0-9_]*)\s*\(', text))
        out[mod] = names
    return out


def symbols(builddir):
    defs, uses = {}, []
    for lib in LIBS:
        path = os.path.join(builddir, 'librb_%s.a' % lib)
        nm = subprocess.run(['nm', '-A', path], capture_output=True, text=True, check=True).stdout
        for line in nm.splitlines():
            m = re.match(r'[^:]+:([^:]+):\s*(?:[0-9a-f]+)?\s+([A-Za-z])\s+(\S+)$', line)
            if not m:
                continue
            obj, kind, sym = m.groups()
            obj = os.path.basename(obj)
            layer = layer_of(obj)
            if layer is None:
                continue
            if kind == 'U':
                uses.append((layer, obj, sym))
            elif kind in 'TDBRCVW':
                defs[sym] = layer
    return defs, uses


def includes(srcdir):
    """(layer, file, included layer) for every #include "../X/..." between layers"""
    out = []
    root = os.path.join(srcdir, 'interpreter')
    for d, _, files in os.walk(root):
        for f in files:
            if not f.endswith(('.c', '.h')):
                continue
            rel = os.path.relpath(os.path.join(d, f), root)
            parts = rel.split(os.sep)
            if len(parts) < 2:
                continue
            src = parts[0] if parts[0] != 'modules' else (
                'modules/registry' if parts[1].startswith('registry') else 'modules/' + parts[1])
            for inc in re.findall(r'#include "([^"]+)"', open(os.path.join(d, f)).read()):
                target = os.path.normpath(os.path.join(os.path.dirname(rel), inc)).split(os.sep)
                if len(target) < 2 or target[0] in ('..', '.'):
                    continue
                dst = target[0] if target[0] != 'modules' else (
                    'modules/registry' if target[1].startswith('registry') else 'modules/' + target[1])
                out.append((src, rel, dst, '/'.join(target)))
    return out


def check(defs, uses, incs, public):
    bad = []
    for layer, obj, sym in uses:
        dst = defs.get(sym)
        if dst and src_layer_ok(layer) and not allowed(layer, dst, sym, public):
            bad.append('%s -> %s: %s uses %s' % (layer, dst, obj, sym))
    for src, rel, dst, path in incs:
        if src in ('cli',) or src == dst:
            continue
        pub = any(path == h[len('interpreter/'):] for hs in PUBLIC.values() for h in hs)
        if allowed(src, dst, '', public) or (pub and src.startswith('modules/')) or \
           (src.startswith('modules/') and dst == 'modules/registry'):
            continue
        bad.append('%s -> %s: %s includes %s' % (src, dst, rel, path))
    return sorted(set(bad))


def src_layer_ok(layer):
    return layer != 'cli'


def main():
    args = [a for a in sys.argv[1:] if not a.startswith('--')]
    builddir, srcdir = args[0], args[1]
    defs, uses = symbols(builddir)
    incs = includes(srcdir)
    public = public_symbols(srcdir)
    if '--self-test' in sys.argv:
        planted = check(defs, uses + [('core', 'interpreter_core_x.c.o', 'plan_build')],
                        incs + [('sim', 'sim/x.c', 'engine', 'engine/engine.h')], public)
        if not any('core -> plan' in b for b in planted) or not any('sim -> engine' in b for b in planted):
            print('self-test: a planted forbidden arrow was not caught')
            return 1
        print('self-test: planted arrows caught')
    bad = check(defs, uses, incs, public)
    arrows = defaultdict(int)
    for layer, obj, sym in uses:
        dst = defs.get(sym)
        if dst and dst != layer:
            arrows[(layer, dst)] += 1
    for (a, b), n in sorted(arrows.items()):
        print('  %-18s -> %-18s %d symbols' % (a, b, n))
    for b in bad:
        print('forbidden: ' + b)
    print('%d forbidden arrows' % len(bad))
    return 1 if bad else 0


if __name__ == '__main__':
    sys.exit(main())
