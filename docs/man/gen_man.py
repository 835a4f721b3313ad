#!/usr/bin/env python3
# gen_man.py - the section 3 and 7 man pages of zpat, made from include/zpat.h
# so that they cannot drift from it.
# SPDX-License-Identifier: MPL-2.0
#
# Usage:
#   gen_man.py --header zpat.h --list
#       prints the names of the section 3 pages it writes, one a line
#       (meson reads it at configure time: custom_target's outputs)
#   gen_man.py --header zpat.h --names
#       prints "NAME FAMILY" for every function and zpat_ macro documented
#   gen_man.py --header zpat.h --outdir DIR [--zpat7 zpat.7.in]
#              [--version V]
#       writes DIR/FAMILY.3 for each family, DIR/NAME.3 (".so man3/FAMILY.3")
#       for every other function and macro name, and DIR/zpat.7
#
# What it reads: every "ZPAT_EXPORT" declaration (a function) and every
# "#define zpat_..." (a user-facing macro), with the "//" comment block
# right above each group of declarations; the "// ----" separators that
# start the header's sections; the "Conventions" comment at the top. It
# ignores whatever sits inside "#ifdef __cplusplus" (and "#if
# defined(__cplusplus)") blocks. Each name goes to the page of its prefix
# (zpat_req_* to zpat_req(3), zpat_socket_* to zpat_socket(3), ...);
# names without a known prefix go to the family that owns their header
# section (process-wide functions to zpat_process(3), the generic verbs
# such as zpat_send_str to zpat_socket(3)). Python 3 standard library only.

import argparse
import datetime
import errno as errno_mod
import os
import re
import sys

# The families, in the order pages list each other. Each has a page
# zpat_FAMILY(3) and the one-line summary its NAME section gives.
FAMILIES = [
    ('req', 'REQ objects: the requesting side of request-reply'),
    ('rep', 'REP objects: the replying side of request-reply'),
    ('pub', 'PUB objects: the publishing side of publish-subscribe'),
    ('sub', 'SUB objects: the subscribing side of publish-subscribe'),
    ('push', 'PUSH objects: the sending end of a pipeline'),
    ('pull', 'PULL objects: the receiving end of a pipeline'),
    ('dealer', 'DEALER objects: asynchronous requests, no lockstep'),
    ('router', 'ROUTER objects: receive from and reply to named peers'),
    ('socket', 'the verbs every zpat object shares: attach, options, '
               'send, receive, counters, events, descriptors'),
    ('msg', 'multipart and zero-copy messages'),
    ('poller', 'wait on several zpat objects and file descriptors at once'),
    ('device', 'queue, forwarder and streamer devices'),
    ('cert', 'CURVE certificates: key pairs and their files'),
    ('auth', 'the authenticator: which CURVE and PLAIN peers may connect'),
    ('process', 'process-wide calls: version, errors and the error policy, '
                'shutdown, signals, input, strings'),
]
FAMILY_NAMES = [f for f, _ in FAMILIES]
SUMMARY = dict(FAMILIES)
# Name prefixes (after zpat_ or ZPAT_) that pick a family by themselves.
PREFIX_FAMILY = [(f, f) for f in FAMILY_NAMES if f != 'process'] + [
    ('event', 'socket'),
]
# Where a name of no known prefix goes when its section has no owner.
FALLBACK_FAMILY = 'socket'


def page_name(family):
    return 'zpat_' + family


# ---------------------------------------------------------------------------
# Reading the header


def strip_cplusplus(lines):
    """Returns the lines a C compiler sees of the __cplusplus conditionals:
    the inside of '#ifdef __cplusplus' (and the '#else' of '#ifndef
    __cplusplus') is dropped. Every preprocessor conditional line itself is
    replaced by None (a separator that is neither blank nor text)."""
    out = []
    stack = []  # per open conditional: 'cxx' (C++ only), 'c' or None
    for line in lines:
        m = re.match(r'\s*#\s*(ifdef|ifndef|if|elif|else|endif)\b(.*)', line)
        if not m:
            if 'cxx' not in stack:
                out.append(line)
            continue
        word, cond = m.group(1), m.group(2)
        cond = re.sub(r'//.*|/\*.*?\*/', '', cond)
        if word in ('ifdef', 'ifndef', 'if'):
            kind = None
            if '__cplusplus' in cond:
                negated = (word == 'ifndef'
                           or re.search(r'!\s*(defined\s*)?\(?\s*__cplusplus',
                                        cond))
                kind = 'c' if negated else 'cxx'
            stack.append(kind)
        elif word == 'elif':
            if stack:
                stack[-1] = 'cxx' if stack[-1] == 'c' else None
        elif word == 'else':
            if stack:
                stack[-1] = {'c': 'cxx', 'cxx': 'c', None: None}[stack[-1]]
        elif word == 'endif':
            if stack:
                stack.pop()
        if 'cxx' not in stack:
            out.append(None)
    return out


TOOL_COMMENT = re.compile(r'//\s*(clang-format\s+(on|off)|NOLINT|IWYU)')
SEPARATOR = re.compile(r'//\s*-{8,}\s*$')


class Decl:
    def __init__(self, text):
        self.text = text  # the declaration's lines, as in the header
        flat = ' '.join(re.sub(r'//.*', '', l).strip().rstrip('\\')
                        for l in text.splitlines())
        self.flat = re.sub(r'\s+', ' ', flat).strip()
        self.kind, self.name = classify(self.text, self.flat)
        self.family = None
        self.primary = False  # the declaration that gives its name a page


def classify(text, flat):
    if flat.startswith('#'):
        m = re.match(r'#\s*define\s+(\w+)(\()?', flat)
        if not m:
            return 'other', None
        name = m.group(1)
        if m.group(2) and name.startswith('zpat_'):
            return 'macro', name
        return 'constant', name
    if re.match(r'ZPAT_EXPORT\b', flat):
        m = re.search(r'(\w+)\s*\(', flat[len('ZPAT_EXPORT'):])
        if m:
            return 'function', m.group(1)
        return 'other', None
    if flat.startswith('typedef'):
        m = re.search(r'\(\s*\*?\s*(\w+)\s*\)\s*\(', flat)
        if m:
            return 'type', m.group(1)
        m = re.search(r'(\w+)\s*(\[[^\]]*\])?\s*;\s*$', flat)
        return 'type', m.group(1) if m else None
    m = re.search(r'(\w+)\s*;\s*$', flat)
    return 'other', m.group(1) if m else None


def read_decl(lines, i):
    """Reads the declaration starting at lines[i]; returns (text, next i)."""
    first = lines[i]
    if first.lstrip().startswith('#'):
        j = i
        while lines[j] is not None and lines[j].rstrip().endswith('\\') \
                and j + 1 < len(lines) and lines[j + 1] is not None:
            j += 1
        return '\n'.join(lines[i:j + 1]), j + 1
    depth = 0
    j = i
    while j < len(lines):
        line = lines[j]
        if line is None:
            break
        code = re.sub(r'//.*', '', line)
        code = re.sub(r'"(\\.|[^"\\])*"', '""', code)
        depth += code.count('(') + code.count('{')
        depth -= code.count(')') + code.count('}')
        s = code.strip()
        if depth <= 0 and (s.endswith(';') or (s.endswith('}') and j > i)):
            return '\n'.join(lines[i:j + 1]), j + 1
        j += 1
    return '\n'.join(l for l in lines[i:j] if l is not None), j


class Section:
    def __init__(self, intro):
        self.intro = intro  # comment lines after the separator
        self.items = []     # ('free', comment lines) or ('block', comment, decls)
        self.owner = None

    def title(self):
        text = ' '.join(self.intro).strip()
        m = re.match(r'([^.:(,;]{1,40})(?=[.:(,;]|$)', text)
        return (m.group(1) if m else text[:40]).strip()

    def decls(self):
        for item in self.items:
            if item[0] == 'block':
                yield from item[2]


def comment_text(line):
    """The text of a '//' comment line, without '//' and one space."""
    t = line.strip()[2:]
    return t[1:] if t.startswith(' ') else t


def parse_header(path):
    with open(path, encoding='utf-8') as f:
        raw = f.read().splitlines()
    lines = strip_cplusplus(raw)
    lines = [l for l in lines
             if l is None or not TOOL_COMMENT.match(l.strip())]

    # The conventions: the comment block at the very top.
    top = []
    for l in lines:
        if l is None or not l.startswith('//'):
            break
        top.append(comment_text(l))

    sections = []
    i = 0
    n = len(lines)
    while i < n and not (lines[i] is not None and SEPARATOR.match(lines[i])):
        i += 1
    comment = []   # the comment being gathered
    pending = None  # the block being filled with declarations
    while i < n:
        line = lines[i]
        if line is None:
            pending = None
            i += 1
            continue
        if SEPARATOR.match(line):
            i += 1
            intro = []
            while i < n and lines[i] is not None \
                    and lines[i].startswith('//') \
                    and not SEPARATOR.match(lines[i]):
                intro.append(comment_text(lines[i]))
                i += 1
            sections.append(Section(intro))
            comment, pending = [], None
            continue
        if not line.strip():
            if comment:
                sections[-1].items.append(('free', comment))
            comment, pending = [], None
            i += 1
            continue
        if line.startswith('//'):
            pending = None
            comment.append(comment_text(line))
            i += 1
            continue
        text, i = read_decl(lines, i)
        decl = Decl(text)
        if pending is None:
            pending = ('block', comment, [])
            sections[-1].items.append(pending)
            comment = []
        pending[2].append(decl)
    if comment:
        sections[-1].items.append(('free', comment))
    return top, sections


# ---------------------------------------------------------------------------
# Families


def prefix_family(name):
    if not name:
        return None
    rest = re.sub(r'^(zpat|ZPAT)_', '', name)
    if rest == name:
        return None
    rest = rest.lower()
    for prefix, family in PREFIX_FAMILY:
        if rest == prefix or rest.startswith(prefix + '_'):
            return family
    return None


class Api:
    def __init__(self, header):
        self.top, self.sections = parse_header(header)
        self.functions = {}  # name -> Decl
        self.macros = {}     # name -> Decl
        for s in self.sections:
            for d in s.decls():
                if d.kind == 'function' and d.name not in self.functions:
                    self.functions[d.name] = d
                elif d.kind == 'macro' and d.name not in self.macros:
                    self.macros[d.name] = d
        if not self.functions:
            sys.exit('gen_man.py: no ZPAT_EXPORT declarations in ' + header)
        # Section owners: the family most of its names belong to.
        for s in self.sections:
            counts = {}
            for d in s.decls():
                if d.kind not in ('function', 'macro'):
                    continue
                f = prefix_family(d.name)
                if f is None:
                    f = 'process' if d.kind == 'function' else 'socket'
                counts[f] = counts.get(f, 0) + 1
            s.owner = (max(counts, key=lambda f: (counts[f],
                                                  -FAMILY_NAMES.index(f)))
                       if counts else FALLBACK_FAMILY)
        # Every declaration's family; the first declaration of a function
        # (or, for a macro without a function of its name, the macro) is
        # the primary one.
        self.family = {}  # name -> family, for functions and macros
        seen = set()
        for s in self.sections:
            for d in s.decls():
                d.family = prefix_family(d.name) or s.owner
                if d.kind in ('function', 'macro') and d.name not in seen:
                    if d.kind == 'function' or d.name not in self.functions:
                        seen.add(d.name)
                        d.primary = True
                        self.family[d.name] = d.family
        self.pages = [f for f in FAMILY_NAMES if f in self.family.values()]
        for name, fam in self.family.items():
            if name in (page_name(f) for f in self.pages) \
                    and name != page_name(fam):
                sys.exit('gen_man.py: %s would be both a family page and a '
                         'name on zpat_%s(3)' % (name, fam))

    def wrappers(self):
        """The role-checking macros: one parameter, a _Generic of role
        pointer types, each cast to zpat_socket_t * (zpat_socket,
        ZPAT_SENDER, ...)."""
        out = {}
        for s in self.sections:
            for d in s.decls():
                if d.kind in ('macro', 'constant') and '_Generic' in d.flat \
                        and re.search(r'\*\s*:\s*\(zpat_socket_t\s*\*\)',
                                      d.flat) \
                        and re.match(r'#\s*define\s+\w+\(\s*\w+\s*\)',
                                     d.flat):
                    out[d.name] = d
        return out

    def names(self, family):
        """The names of a family, in header order."""
        out = []
        for s in self.sections:
            for d in s.decls():
                if d.primary and d.family == family:
                    out.append(d.name)
        return out

    def link_pages(self):
        pages = {page_name(f) for f in self.pages}
        return [n for n in self.family if n not in pages]


# ---------------------------------------------------------------------------
# roff


def esc(text, code=False):
    """Escapes text for a roff text line (not its start: see line())."""
    text = text.replace('\\', '\\e')
    if code:
        text = text.replace('-', '\\-')
    else:
        # A hyphen between letters stays a hyphen; others are minus signs
        # (-1, --option, a leading dash).
        text = re.sub(r'(?<![A-Za-z0-9])-|-(?![A-Za-z0-9])', r'\\-', text)
    out = []
    for ch in text:
        if ord(ch) > 126:
            out.append('\\[u%04X]' % ord(ch))
        else:
            out.append(ch)
    return ''.join(out)


def line(text):
    """A roff text line: a leading dot or apostrophe would be a request."""
    if text.startswith(('.', "'")):
        return '\\&' + text
    return text


def arg(text):
    """A macro argument, quoted."""
    return '"' + esc(text).replace('"', '\\(dq') + '"'


class Prose:
    """Turns comment lines into roff paragraphs: lines indented past the
    comment's margin are code (.EX/.EE), blank comment lines end a
    paragraph; known names are set in bold."""

    def __init__(self, names):
        self.names = names

    def bold(self, text):
        return re.sub(r'(\\%)?\b(zpat_\w+)\b',
                      lambda m: ('\\fB%s%s\\fP' % (m.group(1) or '', m.group(2))
                                 if m.group(2) in self.names else m.group(0)),
                      text)

    def text(self, s):
        # "\\%" keeps identifiers whole: no hyphenation inside zpat_recv_str.
        s = re.sub(r'(?<![\w\\])(\w*_\w+)', r'\\%\1', esc(s))
        return line(self.bold(s))

    def render(self, comment):
        out = []
        para, code = [], []

        def flush():
            if para:
                out.append('.PP')
                out.append(self.text(' '.join(p.strip() for p in para)))
                para.clear()
            if code:
                out.append('.PP')
                out.append('.EX')
                width = min(len(c) - len(c.lstrip()) for c in code
                            if c.strip())
                for c in code:
                    out.append(line(esc(c[width:].rstrip(), code=True)))
                out.append('.EE')
                code.clear()

        for c in comment:
            if not c.strip():
                flush()
            elif c.startswith(' '):
                if para:
                    flush()
                code.append(c)
            else:
                if code:
                    flush()
                para.append(c)
        flush()
        return out


def sentences(text):
    """Splits prose into sentences, not inside parentheses."""
    out, cur, depth = [], '', 0
    i = 0
    while i < len(text):
        ch = text[i]
        cur += ch
        if ch == '(':
            depth += 1
        elif ch == ')':
            depth = max(0, depth - 1)
        elif ch in '.!?' and depth == 0 and (i + 1 == len(text)
                                             or text[i + 1] == ' '):
            nxt = text[i + 2:i + 3]
            if not nxt or nxt.isupper() or nxt in '("':
                out.append(cur.strip())
                cur = ''
        i += 1
    if cur.strip():
        out.append(cur.strip())
    return out


# ---------------------------------------------------------------------------
# Synopsis lines


def split_args(s):
    """Splits at top-level commas."""
    out, cur, depth = [], '', 0
    for ch in s:
        if ch in '([{':
            depth += 1
        elif ch in ')]}':
            depth -= 1
        if ch == ',' and depth == 0:
            out.append(cur.strip())
            cur = ''
        else:
            cur += ch
    if cur.strip():
        out.append(cur.strip())
    return out


def parse_prototype(flat):
    """'ZPAT_EXPORT int f (int a, char *b) ZPAT_PRINTF (2, 3);' gives
    ('int', 'f', ['int a', 'char *b'])."""
    flat = re.sub(r'^ZPAT_EXPORT\s+', '', flat).rstrip(';').strip()
    m = re.match(r'(.*?)(\w+)\s*\(', flat)
    ret, name = m.group(1).strip(), m.group(2)
    depth, j = 0, m.end() - 1
    for j in range(m.end() - 1, len(flat)):
        if flat[j] == '(':
            depth += 1
        elif flat[j] == ')':
            depth -= 1
            if depth == 0:
                break
    params = split_args(flat[m.end():j])
    if params == ['void']:
        params = []
    ret = re.sub(r'\s*\*\s*$', ' *', ret)
    return ret, name, params


def param_name(p):
    m = re.search(r'(\w+)\s*(\[[^\]]*\])?\s*$', p)
    return m.group(1) if m else None


def rename_param(p, new):
    m = re.search(r'(\w+)(\s*(\[[^\]]*\])?\s*)$', p)
    return p[:m.start(1)] + new + m.group(2)


class Synopsis:
    """Prototypes for functions, and for macros the prototype of what they
    call: zpat_send_str (s, string) calls zpat_socket_send_str
    (ZPAT_SENDER (s), string), so it reads
    int zpat_send_str (sender *s, const char *string), where "sender" is
    explained by the header's ZPAT_SENDER. A macro that does not fit that
    shape is shown with its parameters only."""

    def __init__(self, api):
        self.api = api
        self.cache = {}
        self.placeholders = {}  # wrapper macro -> placeholder type name

    def placeholder(self, wrapper):
        name = re.sub(r'^(zpat|ZPAT)_', '', wrapper).lower()
        if name == 'socket':
            name = 'any_role'
        self.placeholders[wrapper] = name
        return name

    def prototype(self, name, stack=()):
        if name in self.cache:
            return self.cache[name]
        result = None
        if name in self.api.functions:
            result = parse_prototype(self.api.functions[name].flat)
        elif name in self.api.macros and name not in stack:
            result = self.derive(self.api.macros[name], stack + (name,))
        self.cache[name] = result
        return result

    def derive(self, decl, stack):
        m = re.match(r'#\s*define\s+(\w+)\(([^)]*)\)\s*(.*)$', decl.flat)
        if not m:
            return None
        name, mparams = m.group(1), [p.strip() for p in m.group(2).split(',')]
        body = m.group(3).strip()
        if body.startswith('_Generic'):
            return self.derive_generic(name, mparams, body)
        m = re.match(r'\(?\s*(\w+)\s*\((.*)\)\s*\)?$', body)
        if not m:
            return None
        target = m.group(1)
        if target == name:
            target_proto = self.prototype_of_function(name)
        else:
            target_proto = self.prototype(target, stack)
        if target_proto is None:
            return None
        ret, _, tparams = target_proto
        args = split_args(m.group(2))
        out = []
        for k, a in enumerate(args):
            if k >= len(tparams):
                return None
            if a == '__VA_ARGS__':
                out.extend(tparams[k:])
                break
            if a.startswith('sizeof'):
                continue
            if a in mparams:
                out.append(rename_param(tparams[k], a))
                continue
            w = re.match(r'(\w+)\s*\(\s*(\w+)\s*\)$', a)
            if w and w.group(2) in mparams and w.group(1) in self.api.macros \
                    or w and w.group(2) in mparams \
                    and re.match(r'ZPAT_[A-Z_]+$', w.group(1)):
                stars = '*' * max(1, tparams[k].count('*'))
                out.append('%s %s%s' % (self.placeholder(w.group(1)), stars,
                                        w.group(2)))
                continue
            w = re.match(r'ZPAT_ONLY\s*\((.*),\s*(\w+)\s*\)$', a)
            if w and w.group(2) in mparams:
                t = w.group(1).strip()
                out.append(t + ('' if t.endswith('*') else ' ') + w.group(2))
                continue
            return None
        return ret, name, out

    def generic_types(self, body):
        """[(type, stars, value)] of the first _Generic in body."""
        m = re.search(r'_Generic\s*\(', body)
        if not m:
            return []
        depth, j = 0, m.end() - 1
        for j in range(m.end() - 1, len(body)):
            depth += {'(': 1, ')': -1}.get(body[j], 0)
            if depth == 0:
                break
        out = []
        for assoc in split_args(body[m.end():j])[1:]:
            t = re.match(r'(zpat_\w+_t)\s*(\**)\s*:\s*(.*)$', assoc)
            if t:
                out.append((t.group(1), t.group(2), t.group(3).strip()))
        return out

    def role_placeholder(self, types):
        """The placeholder of the wrapper macro with these role types."""
        want = sorted(set(t for t, _, _ in types))
        for wname, wdecl in sorted(self.api.wrappers().items()):
            have = sorted(set(t for t, _, _ in
                              self.generic_types(wdecl.flat)))
            if have == want:
                return self.placeholder(wname)
        return None

    def derive_generic(self, name, mparams, body):
        """zpat_socket (s): _Generic ((s), zpat_req_t *: (zpat_socket_t *)
        (s), ...) gives zpat_socket_t *zpat_socket (any_role *s);
        zpat_destroy (self_p): _Generic ((self_p), zpat_req_t **:
        zpat_req_destroy, ...) (self_p) gives the prototype of
        zpat_req_destroy with any_role ** for its argument."""
        types = self.generic_types(body)
        if len(mparams) != 1 or not types:
            return None
        ph = self.role_placeholder(types)
        if ph is None:
            return None
        stars = types[0][1] or '*'
        values = [v.strip() for _, _, v in types]
        cast = re.match(r'\(([^()]*)\)\s*\(\s*%s\s*\)$' % mparams[0],
                        values[0])
        if cast and all(v == values[0] for v in values):
            return cast.group(1).strip(), name, [
                '%s %s%s' % (ph, stars, mparams[0])]
        proto = self.prototype_of_function(values[0])
        if proto and len(proto[2]) == 1:
            return proto[0], name, ['%s %s%s' % (ph, stars, mparams[0])]
        return None

    def prototype_of_function(self, name):
        if name in self.api.functions:
            return parse_prototype(self.api.functions[name].flat)
        return None

    def lines(self, name, width=72):
        proto = self.prototype(name)
        if proto is None:
            m = re.match(r'#\s*define\s+\w+\(([^)]*)\)', self.api.macros[name]
                         .flat)
            params = m.group(1) if m else ''
            return ['\\fB%s\\fP (%s);' % (name, esc(params, code=True))
                    + '  /* macro */']
        ret, _, params = proto
        ret = ret + ('' if ret.endswith('*') else ' ')
        head = ret + name + ' ('
        if not params:
            return [esc(ret, True) + '\\fB' + name + '\\fP (void);']
        rows, cur = [], head
        indent = ' ' * len(head)
        if len(indent) > 32:
            indent = ' ' * 8
        for k, p in enumerate(params):
            piece = p + (', ' if k + 1 < len(params) else ');')
            if cur != head and cur.strip() and len(cur + piece.rstrip()) > width:
                rows.append(cur.rstrip())
                cur = indent
            cur += piece
        rows.append(cur.rstrip())
        out = []
        for k, r in enumerate(rows):
            if k == 0:
                r = esc(ret, True) + '\\fB' + name + '\\fP' \
                    + esc(r[len(ret) + len(name):], True)
            else:
                r = esc(r, True)
            out.append(line(r))
        return out


# ---------------------------------------------------------------------------
# Pages


ERRNO_CODE = re.compile(r'\b(ZPAT_E[A-Z]+|E[A-Z0-9]{2,})\b')
RETURN_SENTENCE = re.compile(r'\b[Rr]eturns?\b(?! at once)'
                             r'|(\bNULL|-1|\b0)(\s*with\b|/E|, or\b)'
                             r'|\bErrors?( as|:)')


class Writer:
    def __init__(self, api, version, date):
        self.api = api
        self.version = version
        self.date = date
        self.prose = Prose(set(api.family))
        self.synopsis = Synopsis(api)
        self.conventions = self.parse_conventions()
        self.errors = self.error_texts()

    # The top comment's "Label    text" entries.
    def parse_conventions(self):
        entries = []
        started = False
        for t in self.api.top:
            if not started:
                started = t.strip().startswith('Conventions')
                continue
            m = re.match(r'(\S+)\s+(\S.*)$', t)
            if m:
                entries.append([m.group(1), [m.group(2)]])
            elif entries and t.strip():
                entries[-1][1].append(t.strip())
        return [(label, ' '.join(text)) for label, text in entries]

    def error_texts(self):
        """errno code -> what it means, from the Errors convention
        ("EAGAIN a timeout, ...; EINTR ...") and the comments of zpat's
        own codes; other codes get strerror's text."""
        texts = {}
        for label, text in self.conventions:
            if label != 'Errors':
                continue
            m = re.search(r'Common\s+codes:\s*(.*)', text)
            if not m:
                continue
            body = m.group(1)
            # Up to the first sentence ending after the list.
            for part in re.split(r';\s*', body):
                w = re.match(r'(ZPAT_E[A-Z]+|E[A-Z0-9]+)\s+(.*)', part.strip())
                if w:
                    desc = w.group(2).strip()
                    desc = re.split(r'\.\s+(?=[A-Z])', desc)[0].rstrip('.')
                    texts[w.group(1)] = desc
        for s in self.api.sections:
            for item in s.items:
                if item[0] != 'block':
                    continue
                for d in item[2]:
                    if d.kind == 'constant' and re.match(r'ZPAT_E[A-Z]+$',
                                                         d.name or '') \
                            and d.name not in texts and item[1]:
                        texts[d.name] = ' '.join(item[1])
        return texts

    def error_text(self, code):
        if code in self.errors:
            return self.errors[code]
        value = getattr(errno_mod, code, None)
        if value is not None:
            return os.strerror(value)
        return None

    def th(self, name, section):
        return '.TH %s %s %s %s %s' % (name.upper(), section, arg(self.date),
                                       arg('zpat ' + self.version),
                                       arg('zpat Manual'))

    def family_page(self, family):
        api = self.api
        names = api.names(family)
        out = ['.\\" Generated by docs/man/gen_man.py from include/zpat.h: '
               'edit those, not this file.',
               self.th(page_name(family), 3),
               # Left-adjusted: long identifiers make justified lines gape
               # (and groff warn that it cannot adjust them).
               '.ad l',
               '.SH NAME',
               line(esc(', '.join(names)) + ' \\- ' + esc(SUMMARY[family])),
               '.SH SYNOPSIS',
               '.nf',
               '.B #include <zpat.h>',
               '.fi']
        desc = []
        returns = []
        codes = {}  # code -> names it is mentioned for (in order)
        mentioned = set()
        for s in api.sections:
            mine = [d for d in s.decls() if d.family == family]
            primary = [d for d in mine if d.primary]
            if not primary:
                continue
            syn = []
            sect = []
            intro = s.intro
            title = s.title()
            sect.append('.SS ' + arg(title))
            if ' '.join(intro).strip() != title:
                sect += self.prose.render(intro)
            for item in s.items:
                if item[0] == 'free':
                    sect += self.prose.render(item[1])
                    self.collect(item[1], [], returns, codes, mentioned)
                    continue
                _, comment, decls = item
                own = [d for d in decls if d.family == family]
                own_names = [d.name for d in own if d.primary]
                if not own:
                    continue
                if not own_names and not any(
                        d.kind in ('type', 'constant', 'other') for d in own):
                    continue
                sect += self.prose.render(comment)
                code = []
                for d in own:
                    if d.kind in ('type', 'other') or (
                            d.kind == 'constant' and '\\\n' not in d.text
                            and not re.match(r'#\s*define\s+\w+\(', d.flat)):
                        code += d.text.splitlines()
                if code:
                    sect += ['.PP', '.EX']
                    sect += [line(esc(c.rstrip(), code=True)) for c in code]
                    sect.append('.EE')
                if own_names:
                    self.collect(comment, own_names, returns, codes, mentioned)
                    block = []
                    for name in own_names:
                        block += self.synopsis.lines(name)
                    syn.append(block)
            desc += sect
            for block in syn:
                out += ['.PP', '.nf'] + block + ['.fi']
        if self.synopsis.placeholders and family == 'socket':
            desc += self.placeholder_legend()
            self.synopsis.placeholders.clear()
        out += ['.PP', 'Link with', '.IR "pkg\\-config \\-\\-libs zpat" .']
        out.append('.SH DESCRIPTION')
        out += desc
        out.append('.SH RETURN VALUE')
        for label, text in self.conventions:
            if label == 'Errors':
                first = sentences(text)[0]
                out += ['.PP', self.prose.text('Unless said otherwise: '
                                               + first[0].lower() + first[1:])]
        out += returns
        if codes:
            out.append('.SH ERRORS')
            for code, who in codes.items():
                text = self.error_text(code)
                out += ['.TP', '.B ' + code]
                body = (text[0].upper() + text[1:] + '.') if text else ''
                body = body.replace('..', '.')
                out.append(self.prose.text(body.strip()))
        for m in re.finditer(r'\\fB(?:\\%)?(zpat_\w+)\\fP', '\n'.join(desc)):
            mentioned.add(api.family[m.group(1)])
        out.append('.SH SEE ALSO')
        others = [f for f in api.pages
                  if f != family and (f in mentioned
                                      or (family in FAMILY_NAMES[:8]
                                          and f == 'socket'))]
        refs = ['\\fB%s\\fP(3)' % page_name(f) for f in others]
        refs.append('\\fBzpat\\fP(7)')
        out.append(',\n'.join(refs))
        return '\n'.join(out) + '\n'

    def collect(self, comment, names, returns, codes, mentioned):
        paras, cur = [], []
        for c in comment + ['']:
            if not c.strip() or c.startswith(' '):
                if cur:
                    paras.append(' '.join(cur))
                cur = []
            else:
                cur.append(c.strip())
        for m in re.finditer(r'\bzpat_\w+', ' '.join(comment)):
            f = self.api.family.get(m.group(0))
            if f:
                mentioned.add(f)
        picked = [s for p in paras for s in sentences(p)
                  if RETURN_SENTENCE.search(s)]
        if picked:
            lead = ', '.join(names)
            text = ' '.join(picked)
            if any(text.startswith(n + ' ') for n in names):
                lead = ''
            returns.append('.PP')
            returns.append(self.prose.text((lead + ': ' if lead else '')
                                           + text))
        for m in ERRNO_CODE.finditer(' '.join(comment)):
            code = m.group(1)
            if not (code.startswith('ZPAT_E') and code in self.errors
                    or hasattr(errno_mod, code)):
                continue
            who = codes.setdefault(code, [])
            for n in names:
                if n not in who:
                    who.append(n)

    def placeholder_legend(self):
        """What the synopsis' placeholder types stand for, from the
        _Generic lists of the header's role-checking macros."""
        out = ['.SS "The roles each generic verb takes"',
               '.PP',
               self.prose.text('In the prototypes of the generic macros '
                               'above, these stand for the pointer types '
                               'each accepts (anything else does not '
                               'compile):')]
        for wrapper, ph in sorted(self.synopsis.placeholders.items(),
                                  key=lambda kv: kv[1]):
            d = self.api.wrappers().get(wrapper)
            types = [t for t, _, _ in self.synopsis.generic_types(d.flat)] \
                if d else []
            out += ['.TP', '.I ' + ph,
                    self.prose.text(', '.join(t for t in types)
                                    or 'see ' + wrapper)]
        return out

    def find_decl(self, name):
        for s in self.api.sections:
            for d in s.decls():
                if d.name == name:
                    return d
        return None

    def link_page(self, name):
        return '.so man3/%s.3\n' % page_name(self.api.family[name])

    # zpat(7): the hand-written body with generated parts.
    def conventions_roff(self):
        out = []
        for label, text in self.conventions:
            out += ['.TP', '.B ' + label, self.prose.text(text)]
        return out

    def pages_roff(self):
        out = []
        for f in self.api.pages:
            out += ['.TP', '\\fB%s\\fP(3)' % page_name(f),
                    self.prose.text(SUMMARY[f][0].upper() + SUMMARY[f][1:]
                                    + ': ' + ', '.join(self.api.names(f))
                                    + '.')]
        return out

    def errors_roff(self):
        out = []
        for code in sorted(self.errors, key=lambda c: (c.startswith('ZPAT'),
                                                       c)):
            out += ['.TP', '.B ' + code,
                    self.prose.text(self.errors[code][0].upper()
                                    + self.errors[code][1:].rstrip('.')
                                    + '.')]
        return out

    def zpat7(self, template):
        with open(template, encoding='utf-8') as f:
            text = f.read()
        parts = {
            '@CONVENTIONS@': self.conventions_roff(),
            '@PAGES@': self.pages_roff(),
            '@ERRORS@': self.errors_roff(),
        }
        out = ['.\\" Generated by docs/man/gen_man.py from docs/man/zpat.7.in '
               'and include/zpat.h: edit those, not this file.']
        for l in text.splitlines():
            key = l.strip()
            if key in parts:
                out += parts[key]
            elif key == '@TH@':
                out.append(self.th('zpat', 7))
            else:
                out.append(l)
        return '\n'.join(out) + '\n'


def write(path, text):
    with open(path, 'w', encoding='utf-8') as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--header', required=True)
    ap.add_argument('--list', action='store_true')
    ap.add_argument('--names', action='store_true')
    ap.add_argument('--outdir')
    ap.add_argument('--zpat7')
    ap.add_argument('--version', default='')
    args = ap.parse_args()

    api = Api(args.header)
    if args.list:
        for f in api.pages:
            print(page_name(f) + '.3')
        for n in api.link_pages():
            print(n + '.3')
        return
    if args.names:
        for n, f in api.family.items():
            print(n, page_name(f))
        return
    if not args.outdir:
        ap.error('--outdir, --list or --names')
    epoch = os.environ.get('SOURCE_DATE_EPOCH')
    stamp = int(epoch) if epoch else int(os.stat(args.header).st_mtime)
    date = datetime.datetime.fromtimestamp(
        stamp, datetime.timezone.utc).strftime('%Y-%m-%d')
    w = Writer(api, args.version or 'unknown', date)
    os.makedirs(args.outdir, exist_ok=True)
    for f in api.pages:
        write(os.path.join(args.outdir, page_name(f) + '.3'),
              w.family_page(f))
    for n in api.link_pages():
        write(os.path.join(args.outdir, n + '.3'), w.link_page(n))
    if args.zpat7:
        write(os.path.join(args.outdir, 'zpat.7'), w.zpat7(args.zpat7))


if __name__ == '__main__':
    main()
