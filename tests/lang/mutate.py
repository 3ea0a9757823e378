#!/usr/bin/env python3
"""mutate.py RUNBOOK SRCROOT [COUNT] — robustness of `runbook validate` on broken input.

Takes the corpus runbooks, applies seeded random edits (deleted characters, stray YAML
and template syntax, duplicated spans) and runs `runbook validate` on each. Every run
must end with exit 0 or 2 and print no crash, sanitizer report or BUG line. The seed is
fixed, so a failure reproduces; the failing input is printed."""
import glob
import os
import random
import subprocess
import sys
import tempfile

exe = os.path.abspath(sys.argv[1])
root = sys.argv[2]
count = int(sys.argv[3]) if len(sys.argv) > 3 else 150
random.seed(20261122)
files = sorted(glob.glob(os.path.join(root, 'tests/lang/valid/*.yaml')) +
               glob.glob(os.path.join(root, 'tests/lang/invalid/*.yaml')))
tokens = list('{}[]:-\'"$\n #&*|>!%,.?\t\\') + ['${{', '}}', '\\(', 'id: ', 'steps:', '  - ', '<<: ']
env = dict(os.environ, NO_COLOR='1')
bad = 0
with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, 'case.yaml')
    for i in range(count):
        s = list(open(random.choice(files), errors='surrogateescape').read())   # corpus has non-UTF-8 cases
        for _ in range(random.randint(1, 6)):
            pos = random.randint(0, len(s))
            op = random.random()
            if op < 0.4 and s:
                del s[min(pos, len(s) - 1)]
            elif op < 0.8:
                s.insert(pos, random.choice(tokens))
            else:
                a = random.randint(0, len(s))
                s[pos:pos] = s[a:a + random.randint(0, 40)]
        text = ''.join(s)
        with open(path, 'w', errors='surrogateescape') as f:
            f.write(text)
        p = subprocess.run([exe, 'validate', path], capture_output=True, text=True, env=env, errors='surrogateescape',
                           cwd=os.path.join(root, 'tests/lang/invalid'))
        if p.returncode not in (0, 2) or 'Sanitizer' in p.stderr or 'runtime error' in p.stderr \
                or 'BUG' in p.stderr:
            bad += 1
            print(f'case {i}: exit {p.returncode}\n--- input\n{text}--- stderr\n{p.stderr[-2000:]}')
print(f'mutate: {count} inputs, {bad} failed')
sys.exit(1 if bad else 0)
