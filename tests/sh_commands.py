#!/usr/bin/env python3
"""sh_commands FILE...: the commands that POSIX shell scripts run.

Prints one line "FILE:LINE: NAME" for every word in command position that
is neither a shell keyword or builtin nor a function of that script or of
a script it sources (". .../lib.sh", matched by file name among the FILEs).
A file whose #! line names another interpreter is not read: its
interpreter is printed instead (env and python3 for "#!/usr/bin/env
python3").

A word is in command position at the start of a simple command (after
; & | && || ;; ( ) newline, the reserved words, assignments and
redirections), inside $(...), `...` and $((...)), behind the builtins and
commands that run their arguments (exec, command, env, nice, timeout,
setpriv, valgrind, ip netns exec), in the string of sh -c, trap and eval,
and behind the scripts' own functions that run "$@" (after as many
arguments as they shift).  "command -v NAME" reports NAME too: the script
uses it where it is there.  After an unquoted lone variable such as
$SUDO, which may expand to nothing, the next word is taken as a command
as well.

Not seen: commands named by variables ("$cc", $VG) and the contents of
here-documents (a script written to a file and run later); the caller
lists those by hand.  Exit 2 on a file that cannot be read or lexed.
"""
import os
import re
import sys

KEYWORDS = {"if", "then", "else", "elif", "fi", "do", "done", "case", "esac",
            "while", "until", "for", "in", "{", "}", "!"}
# POSIX sh and dash builtins: no package provides them
BUILTINS = {".", ":", "[", "alias", "bg", "break", "cd", "command",
            "continue", "echo", "eval", "exec", "exit", "export", "false",
            "fc", "fg", "getopts", "hash", "jobs", "kill", "local", "printf",
            "pwd", "read", "readonly", "return", "set", "shift", "test",
            "times", "trap", "true", "type", "ulimit", "umask", "unalias",
            "unset", "wait"}
SEPARATORS = {";", "&", "|", "&&", "||", "\n", "(", ")", ";;"}
REDIRECTS = {"<", ">", ">>", "<&", ">&", "<>", ">|", "<<", "<<-"}
OPERATORS = sorted(SEPARATORS | REDIRECTS, key=len, reverse=True)
ASSIGN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
VARIABLE = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_][A-Za-z0-9_]*\})$")
ALL_ARGS = {'"$@"', "$@", '"$*"', "$*"}
PARAMETER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-]")


class LexError(Exception):
    pass


class Word:
    def __init__(self, line, start=0):
        self.line = line
        self.start = start      # where it begins in the text
        self.chars = []         # the word with quotes removed
        self.raw = ""           # the word as written
        self.quoted = False
        self.expand = False     # holds a $ or ` expansion
        self.subs = []          # token lists of its command substitutions

    @property
    def value(self):
        return "".join(self.chars)

    def literal(self):
        return not self.expand and not self.quoted


class Op:
    def __init__(self, value, line):
        self.value = value
        self.line = line


class Lexer:
    """Splits sh source into words and operators; command substitutions
    become token lists of their own, here-document bodies are dropped."""

    def __init__(self, text, line=1):
        self.s = text
        self.i = 0
        self.line = line
        self.heredocs = []      # (delimiter, strip tabs) to skip at newline
        self.want_delim = None

    def tokens(self):
        toks = self.lex(None)
        if self.i < len(self.s):
            raise LexError("line %d: unmatched )" % self.line)
        return toks

    def eof(self, what):
        raise LexError("line %d: end of file inside %s" % (self.line, what))

    def lex(self, end):
        s = self.s
        toks = []
        word = None
        depth = 0

        def flush():
            nonlocal word
            if word is not None:
                word.raw = s[word.start:self.i]
                if self.want_delim is not None:
                    self.heredocs.append((word.value, self.want_delim))
                    self.want_delim = None
                toks.append(word)
                word = None

        def cur():
            nonlocal word
            if word is None:
                word = Word(self.line, self.i)
            return word

        while self.i < len(s):
            c = s[self.i]
            if end == "`" and c == "`":
                flush()
                self.i += 1
                return toks
            if c == "\n":
                flush()
                toks.append(Op("\n", self.line))
                self.i += 1
                self.line += 1
                self.skip_heredocs()
            elif c in " \t":
                flush()
                self.i += 1
            elif c == "\\":
                if s.startswith("\\\n", self.i):
                    self.i += 2
                    self.line += 1
                    continue
                w = cur()
                w.chars.append(s[self.i + 1:self.i + 2])
                w.quoted = True
                self.i += 2
            elif c == "#" and word is None:
                j = s.find("\n", self.i)
                self.i = len(s) if j < 0 else j
            elif c == "'":
                w = cur()
                j = s.find("'", self.i + 1)
                if j < 0:
                    self.eof("'...'")
                w.chars.append(s[self.i + 1:j])
                self.line += s.count("\n", self.i, j)
                w.quoted = True
                self.i = j + 1
            elif c == '"':
                self.dquote(cur())
            elif c == "$":
                self.dollar(cur())
            elif c == "`":
                w = cur()
                self.i += 1
                w.subs.append(self.lex("`"))
                w.expand = True
            elif c in "|&;()<>":
                if (c in "<>" and word is not None and word.literal() and
                        word.value.isdigit()):
                    word = None         # an IO number: 2>, 8>&-
                flush()
                if c == ")" and end == ")" and depth == 0:
                    self.i += 1
                    return toks
                op = next(o for o in OPERATORS if s.startswith(o, self.i))
                depth += op == "("
                depth -= op == ")"
                toks.append(Op(op, self.line))
                self.i += len(op)
                if op in ("<<", "<<-"):
                    self.want_delim = op == "<<-"
            else:
                cur().chars.append(c)
                self.i += 1
        flush()
        if end is not None:
            self.eof("$(...)" if end == ")" else "`...`")
        return toks

    def skip_heredocs(self):
        s = self.s
        for delim, strip in self.heredocs:
            while True:
                if self.i >= len(s):
                    self.eof("a here-document ending in " + delim)
                j = s.find("\n", self.i)
                j = len(s) if j < 0 else j
                text = s[self.i:j]
                self.i = min(j + 1, len(s))
                self.line += 1
                if (text.lstrip("\t") if strip else text) == delim:
                    break
        self.heredocs = []

    def dquote(self, w):
        s = self.s
        w.quoted = True
        self.i += 1
        while True:
            if self.i >= len(s):
                self.eof('"..."')
            c = s[self.i]
            if c == '"':
                self.i += 1
                return
            if c == "\\" and s[self.i + 1:self.i + 2] in ("$", "`", '"',
                                                        "\\", "\n"):
                if s[self.i + 1] == "\n":
                    self.line += 1
                else:
                    w.chars.append(s[self.i + 1])
                self.i += 2
            elif c == "$":
                self.dollar(w)
            elif c == "`":
                self.i += 1
                w.subs.append(self.lex("`"))
                w.expand = True
            else:
                self.line += c == "\n"
                w.chars.append(c)
                self.i += 1

    def dollar(self, w):
        s = self.s
        start = self.i
        if s.startswith("$((", self.i):
            self.i += 3
            depth = 0
            while not (depth == 0 and s.startswith("))", self.i)):
                if self.i >= len(s):
                    self.eof("$((...))")
                c = s[self.i]
                if s.startswith("$(", self.i) and not s.startswith("$((",
                                                                   self.i):
                    self.i += 2
                    w.subs.append(self.lex(")"))
                    continue
                depth += c == "("
                depth -= c == ")"
                self.line += c == "\n"
                self.i += 1
            self.i += 2
        elif s.startswith("$(", self.i):
            self.i += 2
            w.subs.append(self.lex(")"))
        elif s.startswith("${", self.i):
            self.i += 2
            depth = 1
            while depth:
                if self.i >= len(s):
                    self.eof("${...}")
                c = s[self.i]
                if c == "$" and s[self.i + 1:self.i + 2] in ("(", "{"):
                    inner = Word(self.line)
                    self.dollar(inner)
                    w.subs.extend(inner.subs)
                    continue
                if c == "'":
                    j = s.find("'", self.i + 1)
                    if j < 0:
                        self.eof("'...'")
                    self.line += s.count("\n", self.i, j)
                    self.i = j + 1
                    continue
                if c == '"':
                    inner = Word(self.line)
                    self.dquote(inner)
                    w.subs.extend(inner.subs)
                    continue
                if c == "\\":
                    self.i += 1
                depth += c == "{"
                depth -= c == "}"
                self.line += c == "\n"
                self.i += 1
        else:
            m = PARAMETER.match(s, self.i + 1)
            if m:
                self.i = m.end()
            else:
                self.i += 1     # a lone $ is itself
                w.chars.append("$")
                return
        w.expand = True
        w.chars.append(s[start:self.i])


class Script:
    """One file: its functions ({name: number of arguments a wrapper
    shifts before it runs "$@", or None}) and the commands it runs."""

    def __init__(self, path):
        self.path = path
        self.name = os.path.basename(path)
        self.functions = {}
        self.sources = set()
        self.calls = []
        self.interpreter = None
        with open(path, encoding="utf-8", errors="replace") as f:
            self.text = f.read()
        first = self.text.split("\n", 1)[0]
        if first.startswith("#!"):
            argv = first[2:].split()
            prog = os.path.basename(argv[0]) if argv else ""
            if prog == "env" and len(argv) > 1:
                self.interpreter = ["env", os.path.basename(argv[1])]
            elif prog not in ("sh", "dash", "bash"):
                self.interpreter = [prog]
        self.tokens = [] if self.interpreter else Lexer(self.text).tokens()


class Parser:
    def __init__(self, script, scope, emit):
        self.script = script
        self.scope = scope      # functions visible here
        self.emit = emit        # emit(line, name) or None in the first pass
        self.frames = []        # [name, brace depth, shifts] of open bodies
        self.depth = 0
        self.pending = None     # a function whose body is next

    def run(self, toks):
        k = 0
        cur = []
        expect_pattern = False
        skip_word = False
        while k < len(toks):
            t = toks[k]
            if isinstance(t, Word):
                self.subs(t)
            if expect_pattern:
                if isinstance(t, Op) and t.value in ("\n", "("):
                    k += 1
                    continue
                if isinstance(t, Word) and t.literal() and t.value == "esac":
                    expect_pattern = False
                    k += 1
                    continue
                while k < len(toks) and not (isinstance(toks[k], Op) and
                                             toks[k].value == ")"):
                    k += 1
                expect_pattern = False
                k += 1
                continue
            if isinstance(t, Op):
                if t.value in REDIRECTS:
                    skip_word = True
                else:
                    self.simple(cur)
                    cur = []
                    expect_pattern = t.value == ";;"
                k += 1
                continue
            if skip_word:
                skip_word = False
                k += 1
                continue
            first = not cur
            if first and t.literal() and t.value == "case":
                for u in toks[k + 1:k + 3]:
                    if isinstance(u, Word):
                        self.subs(u)
                k += 3
                expect_pattern = True
                continue
            if first and t.literal() and t.value == "for":
                while k < len(toks) and not (isinstance(toks[k], Op) and
                                             toks[k].value in (";", "\n")):
                    if isinstance(toks[k], Word):
                        self.subs(toks[k])
                    k += 1
                continue
            if (first and t.literal() and k + 2 < len(toks) and
                    isinstance(toks[k + 1], Op) and toks[k + 1].value == "("
                    and isinstance(toks[k + 2], Op) and
                    toks[k + 2].value == ")"):
                self.scope.setdefault(t.value, None)
                self.script.functions.setdefault(t.value, None)
                self.pending = t.value
                k += 3
                continue
            cur.append(t)
            k += 1
        self.simple(cur)

    def subs(self, w):
        for sub in w.subs:
            Parser(self.script, self.scope, self.emit).run(sub)

    def string(self, w):
        """Commands in a string the shell runs: sh -c, trap, eval."""
        try:
            toks = Lexer(w.value, w.line).tokens()
        except LexError:
            return
        p = Parser(self.script, self.scope, self.emit)
        p.frames = self.frames
        p.run(toks)

    def simple(self, ws):
        i = 0
        while i < len(ws) and ws[i].literal() and ws[i].value in KEYWORDS:
            v = ws[i].value
            if v == "{":
                self.depth += 1
                if self.pending:
                    self.frames.append([self.pending, self.depth, 0])
                    self.pending = None
            elif v == "}":
                if self.frames and self.frames[-1][1] == self.depth:
                    self.frames.pop()
                self.depth -= 1
            i += 1
        self.command(ws[i:])

    def wrapper(self):
        if self.frames:
            name, _, shifts = self.frames[-1]
            self.scope[name] = shifts
            self.script.functions[name] = shifts

    def command(self, ws):
        i = 0
        while i < len(ws) and ASSIGN.match(ws[i].raw):
            i += 1
        if i >= len(ws):
            return
        w, rest = ws[i], ws[i + 1:]
        if w.raw in ALL_ARGS:
            self.wrapper()
            return
        if w.expand:
            if (VARIABLE.match(w.raw) and rest and rest[0].literal() and
                    not rest[0].value.startswith("-")):
                self.command(rest)
            return
        name = w.value
        if name in self.scope:
            if self.scope[name] is not None:
                self.command(rest[self.scope[name]:])
            return
        if name not in BUILTINS and name not in KEYWORDS and self.emit:
            self.emit(w.line, name)
        opts = 0
        if name == "shift" and self.frames:
            n = rest[0].value if rest else "1"
            self.frames[-1][2] += int(n) if n.isdigit() else 1
        elif name in ("exec", "nohup", "time"):
            self.command(rest)
        elif name == "command":
            if rest and rest[0].value in ("-v", "-V"):
                for u in rest[1:]:
                    if u.literal() and self.emit and u.value not in BUILTINS:
                        self.emit(u.line, u.value)
            else:
                self.command([u for u in rest if u.value != "-p"])
        elif name == "env":
            while opts < len(rest) and (rest[opts].value.startswith("-") or
                                        ASSIGN.match(rest[opts].raw)):
                opts += 2 if rest[opts].value == "-u" else 1
            self.command(rest[opts:])
        elif name == "nice":
            while opts < len(rest) and rest[opts].value.startswith("-"):
                opts += 2 if rest[opts].value == "-n" else 1
            self.command(rest[opts:])
        elif name == "timeout":
            while opts < len(rest) and rest[opts].value.startswith("-"):
                opts += 2 if rest[opts].value in ("-s", "-k") else 1
            self.command(rest[opts + 1:])
        elif name in ("setpriv", "valgrind", "stdbuf", "unshare", "xargs"):
            while opts < len(rest) and rest[opts].value.startswith("-"):
                opts += 1
            self.command(rest[opts:])
        elif name == "ip":
            vals = [u.value for u in rest[:2]]
            if vals == ["netns", "exec"]:
                self.command(rest[3:])
        elif name in ("sh", "dash", "bash"):
            for j, u in enumerate(rest[:-1]):
                if u.value == "-c":
                    self.string(rest[j + 1])
                    break
                if not u.value.startswith("-"):
                    break
        elif name == "trap":
            if rest and rest[0].value != "-":
                self.string(rest[0])
        elif name == "eval":
            for u in rest:
                self.string(u)


def main(argv):
    try:
        scripts = [Script(p) for p in argv[1:]]
    except (OSError, LexError) as e:
        sys.stderr.write("sh_commands: %s\n" % e)
        return 2
    byname = {s.name: s for s in scripts}

    def scope_of(s):
        scope = {}
        for src in sorted(s.sources):
            if src in byname and byname[src] is not s:
                scope.update(byname[src].functions)
        scope.update(s.functions)
        return scope

    # Which scripts source which, then every script's functions and which
    # of them run "$@" (twice: a wrapper may be built on another one).
    for s in scripts:
        for k, t in enumerate(s.tokens[:-1]):
            if (isinstance(t, Word) and t.literal() and
                    t.value in (".", "source") and
                    isinstance(s.tokens[k + 1], Word)):
                s.sources.add(os.path.basename(s.tokens[k + 1].value))
    for _ in range(3):
        for s in scripts:
            Parser(s, scope_of(s), None).run(s.tokens)

    out = []
    for s in scripts:
        if s.interpreter:
            for prog in s.interpreter:
                out.append("%s:1: %s" % (s.path, prog))
            continue
        seen = set()

        def emit(line, name, s=s, seen=seen):
            if (line, name) not in seen:
                seen.add((line, name))
                s.calls.append((line, name))
        Parser(s, scope_of(s), emit).run(s.tokens)
        for line, name in sorted(s.calls):
            out.append("%s:%d: %s" % (s.path, line, name))
    sys.stdout.write("".join(x + "\n" for x in out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
