"""Notice finished work in tool output: :class:`KeywordDetector`.

The seed matched keyword substrings in the output alone.  That misses most real completions
(``git commit`` prints ``[main 4f2a9c1] message``, ``cargo build`` prints ``Finished``) and
completes items on prose (``cat notes.md``), on ``git log`` lines and on ``nothing to
commit``.  This detector uses three sources, in this order:

1. **The event.**  A failed tool call (``PostToolUseFailure``) is never a completion.
2. **The command.**  It is split into simple commands (``&&``, ``;``, ``|``, newlines;
   quotes and heredoc bodies respected).  Read-only commands (``cat``, ``grep``, ``git log``,
   ``echo`` ...) never give evidence.  A command that matches a category's ``commands``
   patterns (``git commit``, ``pytest``, ``cargo build``, ``kubectl apply`` ...) and succeeded
   is evidence for that category, and only that category's evidence counts in its output.
3. **The output.**  Tool formats are parsed where they are unambiguous (the commit line, push
   ref updates, the summary lines of pytest, unittest, node --test, jest, vitest, mocha,
   cargo test, go test and rspec, ``cargo build``'s ``Finished``, pip's ``Successfully
   installed``), and they win over keywords: ``1 failed, 13 passed`` is a failure.  Then
   keywords: whole words, case-insensitive, one compiled alternative per category inside one
   pattern that also finds the failure indicators, so the output is scanned once.  A keyword
   preceded by a negation (``not``, ``no``, ``0`` ...) does not count; a single-word keyword
   from an unknown command is weak (-20); a failure indicator within 160 characters of the
   evidence costs 30 points, one further away 10.

Long outputs are cut to their first 16 KB and last 48 KB (the summary end is where runners
and builders put their verdict); test summaries are looked for in the last 80 lines only.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field

#: Seed category names the structural rules below report under.
COMMIT, PUSH, TESTS, DEPLOY, FIX, BUILD, FILE, INSTALL = (
    "commit-related", "pushed", "test-success", "deployment", "bug-fixed", "build-success",
    "file-created", "installed")

WEAK_KEYWORD_PENALTY = 20
NEAR_FAILURE_PENALTY = 30
FAR_FAILURE_PENALTY = 10
NEAR_CHARS = 160
#: A command of a category that succeeded but printed no confirming evidence.
UNCONFIRMED_PENALTY = {TESTS: 20, DEPLOY: 10, COMMIT: 5}
HEAD_CHARS, TAIL_CHARS = 16_000, 48_000
SUMMARY_LINES = 80
SNIPPET_CHARS = 160

#: Programs whose first words are dropped before matching: ``sudo make`` is ``make``.
_WRAPPERS = {"sudo", "time", "nice", "nohup", "command", "exec", "builtin", "env", "xargs",
             "npx", "bunx", "stdbuf", "unbuffer", "caffeinate"}
_RUNNERS = {("uv", "run"), ("poetry", "run"), ("pipenv", "run"), ("pdm", "run"),
            ("hatch", "run"), ("pnpm", "exec"), ("npm", "exec"), ("yarn", "exec"),
            ("bundle", "exec"), ("rye", "run"), ("uvx",)}
#: Commands that neither give evidence nor make the command line "unknown".
_NEUTRAL = {"cd", "pushd", "popd", "export", "set", "unset", "source", ".", "true", "false",
            "sleep", "clear", "wait", "alias", ":", "rm", "git add", "git checkout", "git switch",
            "git fetch", "git stash", "git config", "chmod", "exit", "trap"}
#: Options that turn any command into a question: it changes nothing, so it finishes nothing.
#: (``-n`` is not one: ``pytest -n 4`` runs tests; ``make -n`` and ``git push -n`` are below.)
_QUESTION_OPTIONS = {"--help", "--version", "--dry-run", "--collect-only", "--co", "--check",
                     "--diff", "--list", "--noop", "--what-if", "--plan", "--simulate"}
_DRY_RUN_N = {"make", "git push", "rsync"}

_NEGATION = r"\b(?:not|no|never|nothing|none|without|zero|0)\b[\w ,'-]{0,14}$"


@dataclass
class DetectionResult:
    """What the detector found in one tool call (the seed's four fields, then extras).

    ``detected_keyword`` is the keyword or rule that fired; ``failed`` means the output is
    evidence that the work is *not* done (a failing test run, a failed tool call);
    ``explanation`` lists the rules applied, in order (``tier1 detect --explain``);
    ``others`` holds the best evidence of each other category found in the same call
    (``git commit && git push`` is a commit and a push), best first, so the updater can try
    them when no todo fits the first.
    """

    keyword_found: bool
    confidence: int
    category: str | None
    context_snippet: str
    detected_keyword: str | None = None
    failed: bool = False
    explanation: list[str] = field(default_factory=list)
    others: list["DetectionResult"] = field(default_factory=list)

    def to_dict(self, explain: bool = False) -> dict:
        data = asdict(self)
        if not explain:
            data.pop("explanation")
        data["others"] = [{k: v for k, v in other.items() if k not in ("explanation", "others")}
                          for other in data["others"]]
        return data


class _Record:
    """A tiny record type.  The hook runs in a new process per tool call and ``@dataclass``
    costs about a millisecond per class to build, so internal records are plain classes."""

    __slots__ = ()

    def __init__(self, *args, **kwargs):
        for name, value in zip(self.__slots__, args):
            setattr(self, name, value)
        for name in self.__slots__[len(args):]:
            setattr(self, name, kwargs.pop(name) if name in kwargs else self._default(name))
        if kwargs:
            raise TypeError(f"unexpected arguments: {', '.join(kwargs)}")

    def _default(self, name):
        raise TypeError(f"missing argument: {name}")

    def __repr__(self):
        fields = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__slots__)
        return f"{type(self).__name__}({fields})"

    def __eq__(self, other):
        return type(self) is type(other) and all(
            getattr(self, n) == getattr(other, n) for n in self.__slots__)


class Category(_Record):
    """One evidence category: base confidence, keywords, command patterns, todo words."""

    __slots__ = ("name", "confidence", "keywords", "commands", "todo_words")

    def _default(self, name):
        if name in ("commands", "todo_words"):
            return []
        return super()._default(name)

    def as_dict(self) -> dict:
        return {n: getattr(self, n) for n in self.__slots__}


class Segment(_Record):
    """One simple command of a command line, normalised (``sudo``, paths, ``python -m`` gone)."""

    __slots__ = ("words", "read_only", "neutral", "categories")

    def _default(self, name):
        return [] if name == "categories" else False

    @property
    def text(self) -> str:
        return " ".join(self.words)


class CommandInfo(_Record):
    __slots__ = ("segments",)

    @property
    def producing(self) -> list[Segment]:
        return [s for s in self.segments if not s.read_only and not s.neutral]

    @property
    def read_only(self) -> bool:
        return bool(self.segments) and not self.producing and any(s.read_only for s in self.segments)

    @property
    def categories(self) -> list[str]:
        found = []
        for segment in self.producing:
            found += [c for c in segment.categories if c not in found]
        return found

    @property
    def unknown(self) -> bool:
        """Some producing command matches no category: any evidence may come from it."""
        return any(not s.categories for s in self.producing)

    def has(self, category: str) -> bool:
        return category in self.categories

    def segment_for(self, category: str) -> Segment | None:
        return next((s for s in self.producing if category in s.categories), None)


class _Evidence(_Record):
    # position: in the scanned text, -1 when the evidence is the command itself
    __slots__ = ("category", "confidence", "keyword", "position", "structural", "note")


class KeywordDetector:
    """Detect finished work; built from ``action_items`` in the config (see ``tier1.yaml``)."""

    def __init__(self, categories: dict, failure_indicators=(), read_only_commands=()):
        self.categories: dict[str, Category] = {}
        for name, spec in categories.items():
            if not isinstance(spec, dict) or spec.get("enabled", True) is False:
                continue
            self.categories[name] = Category(
                name=name, confidence=int(spec.get("confidence", 80)),
                keywords=[str(k) for k in spec.get("keywords", [])],
                commands=[str(c) for c in spec.get("commands", [])],
                todo_words=[str(w) for w in spec.get("todo_words", [])])
        self.failure_indicators = [str(f) for f in failure_indicators]
        self.read_only_commands = [str(c).split() for c in read_only_commands]
        self._compile()

    @classmethod
    def from_config(cls, config, *, call_each=None) -> "KeywordDetector":
        """The detector for ``config``'s ``action_items``, plus ``tier1_keyword_categories``."""
        section = (config or {}).get("action_items") or {}
        categories = {name: dict(spec) for name, spec in (section.get("categories") or {}).items()}
        if call_each is None:
            from tier1_plugin.plugins import call_each
        for outcome in call_each("tier1_keyword_categories", config=config):
            if outcome.error is not None or not isinstance(outcome.result, dict):
                continue  # reported by `tier1 plugins`; a bad plugin never stops detection
            for name, spec in outcome.result.items():
                if isinstance(spec, dict):
                    categories[str(name)] = {**categories.get(str(name), {}), **spec}
        return cls(categories, section.get("failure_indicators") or (),
                   section.get("read_only_commands") or ())

    def _compile(self) -> None:
        """One pattern for every category's keywords and the failure indicators: one pass.

        Whole-word boundaries wrap the whole alternation once (per-keyword lookarounds would
        make the pattern several times larger, and ``re`` compiles in pure Python on every
        hook start).
        """
        bounded, loose, self._group_category = [], [], {}
        entries = [(f"c{i}", c.name, c.keywords) for i, c in enumerate(self.categories.values())]
        entries.append(("fail", None, self.failure_indicators))
        for group, name, words in entries:
            plain = [w for w in words if _is_plain(w)]
            other = [w for w in words if w.strip() and not _is_plain(w)]
            if plain:
                bounded.append(f"(?P<{group}>{_alternation(plain, bounds=False)})")
                self._group_category[group] = name
            if other:
                loose.append(f"(?P<{group}x>{_alternation(other)})")
                self._group_category[f"{group}x"] = name
        parts = ([_WORD_START + "(?:" + "|".join(bounded) + ")" + _WORD_END] if bounded else []) + loose
        self._pattern = re.compile("|".join(parts), re.IGNORECASE) if parts else None
        # (category, pattern, first words it can match or None, compiled): compiled lazily,
        # and only when the command's first word is one the pattern can start with
        self._command_patterns = [[category.name, pattern, _first_words(pattern), None]
                                  for category in self.categories.values() for pattern in category.commands]

    def _command_categories(self, words: list[str]) -> list[str]:
        text, found = " ".join(words), []
        for entry in self._command_patterns:
            name, pattern, first_words, compiled = entry
            if name in found or (first_words is not None and words[0] not in first_words):
                continue
            if compiled is None:
                compiled = entry[3] = re.compile(pattern)
            if compiled.search(text):
                found.append(name)
        return found

    # -- the command ----------------------------------------------------------------------

    def analyse_command(self, command: str | None) -> CommandInfo | None:
        if not command or not isinstance(command, str) or not command.strip():
            return None
        segments = []
        for words in split_command(command):
            words = normalise(words)
            if not words:
                continue
            segment = Segment(words=words)
            if self._is_read_only(words):
                segment.read_only = True
            elif words[0] in _NEUTRAL or " ".join(words[:2]) in _NEUTRAL:
                segment.neutral = True
            else:
                segment.categories = self._command_categories(words)
            segments.append(segment)
        return CommandInfo(segments)

    def _is_read_only(self, words: list[str]) -> bool:
        for prefix in self.read_only_commands:
            if prefix and words[: len(prefix)] == prefix:
                return True
        if any(option in _QUESTION_OPTIONS for option in words[1:]):
            return True
        if "-n" in words[1:] and (words[0] in _DRY_RUN_N or " ".join(words[:2]) in _DRY_RUN_N):
            return True
        return False

    # -- detection ------------------------------------------------------------------------

    def detect(self, output, command: str | None = None, tool_name: str | None = None, *,
               failed: bool = False) -> DetectionResult:
        """Look for evidence of finished work in one tool call's output.

        ``command`` is the Bash command that produced ``output`` (when known); ``failed`` means
        the tool call failed (Claude Code's ``PostToolUseFailure``): never a completion.
        ``tier1 detect`` assumes success unless told ``--failed``, as ``PostToolUse`` does.
        """
        text = _as_text(output)
        why: list[str] = []
        if len(text) > HEAD_CHARS + TAIL_CHARS:
            text = text[:HEAD_CHARS] + "\n[...]\n" + text[-TAIL_CHARS:]
            why.append(f"long output: read the first {HEAD_CHARS} and last {TAIL_CHARS} characters")
        if failed:
            why.append(f"{tool_name or 'the tool'} call failed (PostToolUseFailure): "
                       "a failure is never a completion")
            return self._nothing(text, why, failed=True)
        info = self.analyse_command(command)
        if info is not None:
            why.append("commands: " + "; ".join(
                f"`{s.text[:60]}` " + ("read-only" if s.read_only else "neutral" if s.neutral
                                       else ("-> " + ", ".join(s.categories)) if s.categories
                                       else "unknown") for s in info.segments))
            if info.read_only or not info.producing:
                why.append("only read-only or neutral commands ran: their output is never evidence")
                return self._nothing(text, why)
        verdict = self._structural(text, info, why)
        if isinstance(verdict, DetectionResult):
            return verdict
        evidence = verdict
        evidence += self._keywords(text, info, why)
        evidence += self._command_success(text, info, evidence, why)
        if not evidence:
            why.append("no evidence of finished work")
            return self._nothing(text, why)
        ranked = sorted(evidence, key=lambda e: (e.confidence, e.structural, e.position), reverse=True)
        per_category = []
        for item in ranked:
            if all(item.category != chosen.category for chosen in per_category):
                per_category.append(item)
        best = per_category[0]
        why.append(f"chosen: {best.category} at {best.confidence} ({best.note})")
        results = [DetectionResult(
            keyword_found=True, confidence=max(0, min(100, item.confidence)), category=item.category,
            context_snippet=_snippet(text, item.position, item.keyword), detected_keyword=item.keyword)
            for item in per_category]
        results[0].explanation = why
        results[0].others = results[1:]
        return results[0]

    def _nothing(self, text, why, failed=False, position=None, keyword=None) -> DetectionResult:
        snippet = _snippet(text, position if position is not None else len(text), keyword or "")
        return DetectionResult(keyword_found=False, confidence=0, category=None,
                               context_snippet=snippet, failed=failed, explanation=why)

    def _allowed(self, category: str, info: CommandInfo | None) -> bool:
        """May evidence of ``category`` in the output count for this command line?"""
        if category not in self.categories:
            return False
        return info is None or info.unknown or info.has(category)

    def _base(self, category: str) -> int:
        return self.categories[category].confidence

    def _structural(self, text: str, info: CommandInfo | None, why: list[str]):
        """Tool formats: returns evidence found, or a DetectionResult that settles the call."""
        found: list[_Evidence] = []
        # Test runner summaries: a failure or an empty run settles it.
        if TESTS in self.categories and (info is None or info.unknown or info.has(TESTS)
                                         or info.has(BUILD)):
            summary = parse_test_summary(text)
            if summary is not None:
                position = text.rfind(summary.line)
                why.append(f"{summary.runner} summary `{summary.line.strip()[:80]}`: "
                           f"{summary.passed} passed, {summary.failed} failed")
                if summary.failed:
                    why.append("failing tests: evidence the work is not done")
                    return self._nothing(text, why, failed=True, position=position,
                                         keyword=summary.line)
                if not summary.passed:
                    why.append("no test passed: nothing was shown to work")
                    return self._nothing(text, why, position=position, keyword=summary.line)
                found.append(_Evidence(TESTS, self._base(TESTS), summary.line.strip().strip("=").strip(), position,
                                       True, f"{summary.runner} summary"))
        if COMMIT in self.categories and (info is None or info.unknown or info.has(COMMIT)):
            match = _COMMIT_LINE.search(text)
            if match:
                penalty = 0 if info is None or info.has(COMMIT) else 15
                found.append(_Evidence(COMMIT, self._base(COMMIT) - penalty, match.group(0).strip(),
                                       match.start(), True, "git's commit line"))
                why.append(f"commit line `{match.group(0).strip()[:80]}`"
                           + (f" from an unknown command (-{penalty})" if penalty else ""))
            elif info is not None and info.has(COMMIT) and _NOTHING_TO_COMMIT.search(text):
                why.append("git says there was nothing to commit")
                return self._nothing(text, why)
        if PUSH in self.categories and (info is None or info.unknown or info.has(PUSH)):
            if _PUSH_REJECTED.search(text):
                why.append("push rejected")
                return self._nothing(text, why, failed=True)
            match = _PUSH_REF.search(text)
            if match:
                found.append(_Evidence(PUSH, self._base(PUSH), match.group(0).strip(),
                                       match.start(), True, "git's pushed ref update"))
                why.append(f"push ref update `{match.group(0).strip()[:80]}`")
            elif info is not None and info.has(PUSH) and "up-to-date" in text.lower():
                why.append("git says everything was up to date: nothing was pushed")
                return self._nothing(text, why)
        if BUILD in self.categories and (info is None or info.unknown or info.has(BUILD)):
            if info is not None and info.has(BUILD) and _NOTHING_TO_BUILD.search(text):
                why.append("the builder had nothing to do")
                if not found:
                    return self._nothing(text, why)
            match = _BUILD_DONE.search(text)
            if match:
                found.append(_Evidence(BUILD, self._base(BUILD), match.group(0).strip(),
                                       match.start(), True, "builder's success line"))
                why.append(f"build success line `{match.group(0).strip()[:80]}`")
        if INSTALL in self.categories and (info is None or info.unknown or info.has(INSTALL)):
            match = _INSTALLED.search(text)
            if match:
                found.append(_Evidence(INSTALL, self._base(INSTALL), match.group(0).strip(),
                                       match.start(), True, "installer's success line"))
                why.append(f"install success line `{match.group(0).strip()[:80]}`")
        if FIX in self.categories and (info is None or info.unknown or info.has(FIX)):
            match = _FIXED_COUNT.search(text)
            if match and int(match.group("fixed")) > 0:
                found.append(_Evidence(FIX, self._base(FIX), match.group(0).strip(),
                                       match.start(), True, "fixer's count of fixes"))
                why.append(f"fixer reports `{match.group(0).strip()[:80]}`")
        return found

    def _keywords(self, text: str, info: CommandInfo | None, why: list[str]) -> list[_Evidence]:
        if self._pattern is None:
            return []
        hits, failures = [], []
        for match in self._pattern.finditer(text):
            group = match.lastgroup
            if self._group_category.get(group) is None:  # a failure indicator
                if not _negated(text, match.start()):
                    failures.append(match.start())
                continue
            category = self._group_category[group]
            if not self._allowed(category, info):
                continue
            if _negated(text, match.start()):
                why.append(f"`{match.group(0)}` is negated here: `{_before(text, match.start())}`")
                continue
            hits.append((category, match))
        found = []
        for category, match in hits:
            keyword = match.group(0)
            confidence = self._base(category)
            notes = [f"keyword `{keyword}`"]
            command_backed = info is not None and info.has(category)
            if not command_backed and not re.search(r"\s", keyword.strip()):
                confidence -= WEAK_KEYWORD_PENALTY
                notes.append(f"single word without a {category} command (-{WEAK_KEYWORD_PENALTY})")
            penalty, note = _failure_penalty(match.start(), failures)
            if penalty:
                confidence -= penalty
                notes.append(note)
            found.append(_Evidence(category, confidence, keyword, match.start(), False,
                                   ", ".join(notes)))
        if found:
            best = max(found, key=lambda e: (e.confidence, e.position))
            why.append(f"keywords: {len(found)} hit(s), best {best.category} at {best.confidence} "
                       f"({best.note})")
        return found

    def _command_success(self, text, info, evidence, why) -> list[_Evidence]:
        """A category's own command succeeded: evidence even when it printed no keyword."""
        if info is None:
            return []
        found = []
        seen = {e.category for e in evidence if e.structural}
        for category in info.categories:
            if category in seen or category not in self.categories:
                continue
            if category == PUSH or category == INSTALL:
                continue  # their success is only what their output says
            confidence = self._base(category) - UNCONFIRMED_PENALTY.get(category, 0)
            notes = [f"`{info.segment_for(category).text[:60]}` succeeded"]
            if UNCONFIRMED_PENALTY.get(category):
                notes.append(f"nothing in the output confirms it (-{UNCONFIRMED_PENALTY[category]})")
            failures = self._failure_positions(text)
            if failures:
                near = any(p >= len(text) - 2000 for p in failures)
                penalty = NEAR_FAILURE_PENALTY if near else FAR_FAILURE_PENALTY
                confidence -= penalty
                notes.append(f"failure indicator in the output (-{penalty})")
            found.append(_Evidence(category, confidence, info.segment_for(category).text, -1,
                                   False, ", ".join(notes)))
            why.append(f"command success: {category} at {confidence} ({', '.join(notes)})")
        return found

    def _failure_positions(self, text: str) -> list[int]:
        if self._pattern is None:
            return []
        return [m.start() for m in self._pattern.finditer(text)
                if self._group_category.get(m.lastgroup) is None and not _negated(text, m.start())]

    def explain_categories(self) -> dict:
        return {name: category.as_dict() for name, category in self.categories.items()}


# -- command lines ------------------------------------------------------------------------

class _Lazy:
    """A regular expression compiled on first use: the hook pays only for the ones it needs
    (``re`` compiles in pure Python, about 0.2-1 ms per pattern)."""

    __slots__ = ("_args", "_compiled")

    def __init__(self, pattern, flags=0):
        self._args = (pattern, flags)
        self._compiled = None

    def __getattr__(self, name):
        if self._compiled is None:
            self._compiled = re.compile(*self._args)
        return getattr(self._compiled, name)


_SEPARATORS = {";", "&&", "||", "|", "&", "\n", "(", ")", ";;", "|&", ";&", "{", "}"}
_REDIRECTS = _Lazy(r"^\d*(?:>>?|<|>&|&>>?|<&|>\|)$")


def split_command(command: str) -> list[list[str]]:
    """A shell command line as a list of simple commands (lists of words)."""
    import shlex

    lexer = shlex.shlex(command, posix=True, punctuation_chars="();<>|&\n")
    lexer.whitespace = " \t\r"
    lexer.whitespace_split = True
    try:
        tokens = list(lexer)
    except ValueError:  # an unbalanced quote: fall back to plain words
        tokens = re.findall(r"&&|\|\||[;|&\n()]|[^\s;|&()]+", command)
    segments, current, index = [], [], 0
    heredoc_end = None
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if heredoc_end is not None:  # skip a heredoc body up to its delimiter line
            if token == heredoc_end and (index >= len(tokens) or tokens[index] == "\n"):
                heredoc_end = None
            continue
        if token in _SEPARATORS:
            if current:
                segments.append(current)
                current = []
            continue
        if token in ("<<", "<<-"):
            if index < len(tokens):
                delimiter = tokens[index]
                index += 1
                # the body starts after the end of this line
                while index < len(tokens) and tokens[index] != "\n":
                    current.append(tokens[index]) if tokens[index] not in _SEPARATORS else None
                    index += 1
                heredoc_end = delimiter
            continue
        if _REDIRECTS.match(token):
            if current and current[-1].isdigit():  # the 2 of 2>&1 (shlex splits it off)
                current.pop()
            index += 1  # the redirection target
            continue
        current.append(token)
    if current:
        segments.append(current)
    return segments


def normalise(words: list[str]) -> list[str]:
    """Drop ``VAR=value``, wrappers (``sudo``, ``uv run``), paths and ``python -m``."""
    words = list(words)
    changed = True
    while words and changed:
        changed = False
        if re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
            words.pop(0)
            changed = True
            continue
        head = os.path.basename(words[0])
        if head in _WRAPPERS:
            words.pop(0)
            while words and (words[0].startswith("-") or re.match(r"^\d+[smhd]?$", words[0])):
                words.pop(0)
            changed = True
            continue
        if head == "timeout":
            words.pop(0)
            while words and (words[0].startswith("-") or re.match(r"^[\d.]+[smhd]?$", words[0])):
                words.pop(0)
            changed = True
            continue
        for runner in _RUNNERS:
            if tuple(os.path.basename(w) for w in words[: len(runner)]) == runner:
                del words[: len(runner)]
                changed = True
                break
        if changed:
            continue
        if re.match(r"^python[\d.]*$|^py$|^pypy[\d.]*$", head) and len(words) > 2 and words[1] == "-m":
            del words[:2]
            changed = True
            continue
    if words:
        words[0] = os.path.basename(words[0])
        if words[0] == "git":  # git -C path -c key=value commit ... is git commit
            rest = words[1:]
            while len(rest) > 1 and rest[0] in ("-C", "-c", "--git-dir", "--work-tree"):
                rest = rest[2:]
            words = ["git", *rest]
        if words[0].endswith(".exe"):
            words[0] = words[0][:-4]
    return words


# -- output formats -----------------------------------------------------------------------

_COMMIT_LINE = _Lazy(
    r"^\[(?P<branch>[^\]\n]+?) (?:\(root-commit\) )?(?P<sha>[0-9a-f]{7,40})\] (?P<message>[^\n]*)$",
    re.MULTILINE)
_NOTHING_TO_COMMIT = _Lazy(r"nothing to commit|nothing added to commit|no changes added to commit",
                                re.IGNORECASE)
_PUSH_REF = _Lazy(
    r"^ *(?:[+*]? ?[0-9a-f]{7,40}\.\.\.?[0-9a-f]{7,40}|\* \[new (?:branch|tag|reference)\]|\+ [0-9a-f]+\.\.\.[0-9a-f]+)"
    r"\s+\S+ -> \S+.*$", re.MULTILINE)
_PUSH_REJECTED = _Lazy(r"^ *! \[(?:rejected|remote rejected)\]|^error: failed to push",
                            re.MULTILINE)
_BUILD_DONE = _Lazy(
    r"^\s*Finished\b.*\b(?:profile|target|release|dev)\b.*$"            # cargo build
    r"|^.*\bbuilt in \d[\d.]*\s*m?s\b.*$"                               # vite
    r"|^.*\bcompiled successfully\b.*$"                                 # webpack, next
    r"|^Successfully built \S+.*$"                                      # python -m build, docker
    r"|^BUILD SUCCESS(?:FUL)?\b.*$"                                     # maven, gradle
    r"|^\[100%\] Built target \S+.*$",                                  # cmake
    re.MULTILINE | re.IGNORECASE)
_NOTHING_TO_BUILD = _Lazy(r"Nothing to be done for|is up to date\.$", re.MULTILINE)
_INSTALLED = _Lazy(r"^Successfully installed \S.*$|^added \d+ packages?\b.*$", re.MULTILINE)
_FIXED_COUNT = _Lazy(r"^Found \d+ errors? \((?P<fixed>\d+) fixed, 0 remaining\)\.?$"
                          r"|^fixed (?P<fixed2>\d+) of \d+ vulnerabilit.*$", re.MULTILINE)


class TestSummary(_Record):
    """A test runner's verdict: ``failed`` counts failures and errors."""

    __slots__ = ("runner", "passed", "failed", "line")


_PYTEST = _Lazy(
    r"^=*\s*(?P<body>(?:\d+ (?:passed|failed|errors?|skipped|deselected|xfailed|xpassed|warnings?|"
    r"rerun|subtests passed|subtests failed)(?:, )?)+|no tests ran)"
    r"(?: in [\d.]+s(?: \([^)]*\))?)\s*=*\s*$")
_UNITTEST_RAN = _Lazy(r"^Ran (\d+) tests? in [\d.]+s\s*$")
_TAP = _Lazy(r"^(?:#|ℹ) (tests|pass|fail|cancelled) (\d+)\s*$")
_JEST = _Lazy(r"^Tests:\s+(.*\d+ total)\s*$")
_VITEST = _Lazy(r"^\s*Tests\s{2,}(.*\(\d+\))\s*$")
_CARGO = _Lazy(r"^test result: (ok|FAILED)\. (\d+) passed; (\d+) failed;")
_GO_OK = _Lazy(r"^ok\s+\S+\s+(?:[\d.]+s|\(cached\))")
_GO_FAIL = _Lazy(r"^(?:FAIL\s+\S+|--- FAIL: )")
_MOCHA = _Lazy(r"^\s+(\d+) (passing|failing) ?(?:\(|$)")
_RSPEC = _Lazy(r"^(\d+) examples?, (\d+) failures?")
_COUNTS = _Lazy(r"(\d+) (passed|failed|errors?|subtests failed)")


def parse_test_summary(text: str) -> TestSummary | None:
    """The verdict of a test run from its last lines, or ``None`` when no runner summary is there.

    Every runner found is counted (``make test`` may run two); ``failed`` includes errors.
    """
    lines = text.splitlines()[-SUMMARY_LINES:]
    summaries: list[TestSummary] = []
    tap: dict[str, tuple[int, str]] = {}
    cargo = [0, 0, ""]
    go = [0, 0, ""]
    mocha: dict[str, tuple[int, str]] = {}
    for index, raw in enumerate(lines):
        line = raw.rstrip()
        # cheap substring tests first: each pattern compiles only when a line could match it
        if " in " in line and ("passed" in line or "failed" in line or "error" in line
                               or "no tests ran" in line):
            match = _PYTEST.match(line)
            if match:
                counts = _counts(match.group("body"))
                summaries.append(TestSummary("pytest", counts.get("passed", 0),
                                             counts.get("failed", 0) + counts.get("error", 0)
                                             + counts.get("subtests failed", 0), line))
                continue
        if line.startswith("Ran "):
            match = _UNITTEST_RAN.match(line)
            if match:
                verdict = next((l.strip() for l in lines[index + 1:] if l.strip()), "")
                ran = int(match.group(1))
                if verdict.startswith("OK"):
                    summaries.append(TestSummary("unittest", ran, 0, f"{line} {verdict}"))
                elif verdict.startswith("FAILED"):
                    failed = sum(int(n) for n in re.findall(r"(?:failures|errors)=(\d+)", verdict)) or 1
                    summaries.append(TestSummary("unittest", max(0, ran - failed), failed, f"{line} {verdict}"))
                elif ran == 0 or verdict.startswith("NO TESTS RAN"):
                    summaries.append(TestSummary("unittest", 0, 0, line))
                continue
        if line[:1] in ("#", "ℹ"):
            match = _TAP.match(line)
            if match:
                tap[match.group(1)] = (int(match.group(2)), line)
                continue
        if "Tests" in line:
            match = _JEST.match(line) or _VITEST.match(line)
            if match:
                counts = _counts(match.group(1))
                runner = "jest" if line.startswith("Tests:") else "vitest"
                summaries.append(TestSummary(runner, counts.get("passed", 0), counts.get("failed", 0), line))
                continue
        if line.startswith("test result:"):
            match = _CARGO.match(line)
            if match:
                cargo[0] += int(match.group(2))
                cargo[1] += int(match.group(3)) + (match.group(1) == "FAILED" and not int(match.group(3)))
                cargo[2] = line
                continue
        if line.startswith("ok") and _GO_OK.match(line):
            go[0] += 1
            go[2] = go[2] or line
            continue
        if "FAIL" in line and _GO_FAIL.match(line):
            go[1] += 1
            go[2] = line
            continue
        if "passing" in line or "failing" in line:
            match = _MOCHA.match(line)
            if match:
                mocha[match.group(2)] = (int(match.group(1)), line)
                continue
        if "example" in line:
            match = _RSPEC.match(line)
            if match:
                examples, failures = int(match.group(1)), int(match.group(2))
                summaries.append(TestSummary("rspec", examples - failures, failures, line))
    if "pass" in tap and "fail" in tap:
        summaries.append(TestSummary("node --test", tap["pass"][0],
                                     tap["fail"][0] + tap.get("cancelled", (0, ""))[0], tap["pass"][1]))
    if cargo[2]:
        summaries.append(TestSummary("cargo test", cargo[0], cargo[1], cargo[2]))
    if go[2]:
        summaries.append(TestSummary("go test", go[0], go[1], go[2]))
    if mocha:
        line = (mocha.get("failing") or mocha.get("passing"))[1]
        summaries.append(TestSummary("mocha", mocha.get("passing", (0, ""))[0],
                                     mocha.get("failing", (0, ""))[0], line))
    if not summaries:
        return None
    failing = [s for s in summaries if s.failed]
    chosen = failing[-1] if failing else summaries[-1]
    return TestSummary(chosen.runner, sum(s.passed for s in summaries),
                       sum(s.failed for s in summaries), chosen.line)


def _counts(body: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for number, word in _COUNTS.findall(body):
        key = "error" if word.startswith("error") else word
        counts[key] = counts.get(key, 0) + int(number)
    return counts


# -- helpers ------------------------------------------------------------------------------

_LITERAL_HEAD = r"\^\(?((?:[\w+-]|\\[.+])+(?:\|(?:[\w+-]|\\[.+])+)*)(\)|\\b| |$)"


def _first_words(pattern: str):
    """The first words a ``^word`` / ``^(a|b)`` pattern can match, or ``None`` (any word).

    ``^git (commit|push)`` -> {"git"}; ``^(npm|yarn)( run)? test`` -> {"npm", "yarn"};
    ``^python[\\d.]* x`` -> None (the word is not a plain literal).
    """
    match = re.match(_LITERAL_HEAD, pattern)
    if not match or (match.group(2) == ")" and not pattern[1:2] == "("):
        return None
    if pattern[1:2] == "(" and match.group(2) != ")":
        return None  # ^(npm run|yarn) ...: alternatives with spaces; do not guess
    return {word.replace("\\", "") for word in match.group(1).split("|")}


# "error" is not a word in "-Werror", "error.c" or "errors"
_WORD_START = r"(?<![\w-])(?<!\w\.)"
_WORD_END = r"(?![\w-]|\.\w)"


def _is_plain(word: str) -> bool:
    word = word.strip()
    return bool(word) and (word[0].isalnum() or word[0] == "_") and (word[-1].isalnum() or word[-1] == "_")


def _alternation(words, bounds: bool = True) -> str:
    """Whole-word alternatives, longest first; inner spaces match any whitespace run."""
    parts = []
    for word in sorted({w.strip() for w in words if w and w.strip()}, key=len, reverse=True):
        escaped = r"\s+".join(re.escape(piece) for piece in word.split())
        start = _WORD_START if bounds and (word[0].isalnum() or word[0] == "_") else ""
        end = _WORD_END if bounds and (word[-1].isalnum() or word[-1] == "_") else ""
        parts.append(f"{start}{escaped}{end}")
    return "|".join(parts) or r"(?!x)x"


def _negated(text: str, position: int) -> bool:
    return bool(re.search(_NEGATION, _before(text, position), re.IGNORECASE))


def _before(text: str, position: int) -> str:
    line_start = text.rfind("\n", 0, position) + 1
    return text[max(line_start, position - 30):position]


def _failure_penalty(position: int, failures: list[int]) -> tuple[int, str]:
    if not failures:
        return 0, ""
    distance = min(abs(position - f) for f in failures)
    if distance <= NEAR_CHARS:
        return NEAR_FAILURE_PENALTY, f"failure indicator {distance} characters away (-{NEAR_FAILURE_PENALTY})"
    return FAR_FAILURE_PENALTY, f"failure indicator {distance} characters away (-{FAR_FAILURE_PENALTY})"


def _as_text(output) -> str:
    if output is None:
        return ""
    if isinstance(output, str):
        return output
    if isinstance(output, bytes):
        return output.decode("utf-8", "replace")
    import json

    try:
        return json.dumps(output, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return str(output)


def _snippet(text: str, position: int, keyword: str) -> str:
    if not text:
        return ""
    if position is None or position < 0:
        position = len(text)
    start = max(0, position - SNIPPET_CHARS // 2)
    end = min(len(text), max(position + len(keyword or ""), start) + SNIPPET_CHARS // 2)
    snippet = " ".join(text[start:end].split())
    return snippet[:200]
