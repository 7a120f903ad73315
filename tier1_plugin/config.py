"""Find, parse, validate, merge and cache ``tier1.yaml``.

Lookup: ``--config`` / ``TIER1_CONFIG``, else the nearest ``tier1.yaml`` from the working
directory upwards, else only the packaged default.  The project file is merged over the default
key by key (lists are replaced, not appended).  Environment variables then override endpoints
and ``${VAR}`` is expanded in every string, on every load, so neither is ever cached.

The validated merge is cached as JSON, keyed by each source file's path, size and
modification time: the Claude Code hook loads the config in a new process on every tool call
and PyYAML alone costs more than the rest of the hook.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path

FILE_NAME = "tier1.yaml"
DEFAULT_FILE = Path(__file__).with_name(FILE_NAME)

#: Environment variable -> key path it overrides.
ENV_OVERRIDES = {
    "TIER1_PROJECT_ID": ("project_id",),
    "TIER1_DATABASE_URL": ("database", "url"),
    "TIER1_BROKER_URL": ("fallback", "celery", "broker_url"),
    "TIER1_RESULT_BACKEND": ("fallback", "celery", "result_backend"),
    "TIER1_TASK_API_URL": ("fallback", "api", "url"),
    "N8N_BASE_URL": ("n8n", "base_url"),
}

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")
_memo: dict[tuple, "Config"] = {}


class ConfigError(Exception):
    """A problem in a config file; ``str()`` is one line naming file, key path and line."""

    def __init__(self, file, key_path, message, line=None):
        self.file, self.key_path, self.line, self.message = str(file), key_path, line, message
        where = f"{self.file}:{line}" if line else self.file
        key = format_key(key_path)
        super().__init__(f"{where}: {key}: {message}" if key else f"{where}: {message}")


class Config(dict):
    """The merged configuration (a plain dict of sections) plus where it came from."""

    def __init__(self, data, *, root: Path, sources: list[str], lines: dict):
        super().__init__(data)
        self.root = root
        self.sources = sources
        self.path = Path(sources[-1]) if len(sources) > 1 else None
        self._lines = lines

    def error(self, key_path: tuple, message: str) -> ConfigError:
        """A :class:`ConfigError` located at ``key_path`` in whichever file set it."""
        file, line = self._lines.get(format_key(key_path), (self.sources[-1], None))
        return ConfigError(file, key_path, message, line)

    @property
    def project_id(self) -> str:
        return self.get("project_id") or self.root.name


def format_key(key_path) -> str:
    text = ""
    for part in key_path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def find_project_file(start: Path | None = None) -> Path | None:
    explicit = os.environ.get("TIER1_CONFIG")
    if explicit:
        return Path(explicit)
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        path = candidate / FILE_NAME
        if path.is_file():
            return path
    return None


def find_root(start: Path | None = None, config_file: Path | None = None) -> Path:
    """The project root: the project config's folder, else the git top level, else ``start``."""
    if config_file is not None and not os.environ.get("TIER1_CONFIG"):
        return config_file.resolve().parent
    folder = (start or Path.cwd()).resolve()
    for candidate in (folder, *folder.parents):
        if (candidate / ".git").exists():
            return candidate
    return folder


def load_config(path: str | os.PathLike | None = None, *, start: Path | None = None) -> Config:
    """Load the configuration for the project at ``start`` (default: the working directory).

    ``path`` names the project file explicitly (``--config``).  Raises :class:`ConfigError`.
    """
    project_file = Path(path) if path else find_project_file(start)
    if project_file is not None and not project_file.is_file():
        raise ConfigError(project_file, (), "config file not found")
    root = find_root(start, project_file)
    sources = [DEFAULT_FILE.resolve()]
    if project_file is not None and project_file.resolve() != sources[0]:
        sources.append(project_file.resolve())
    fingerprint = tuple(_stat(source) for source in sources)
    key = (fingerprint, str(root))
    config = _memo.get(key)
    if config is None:
        data, lines = _cached(fingerprint) or _parse_and_cache(sources, fingerprint)
        config = Config(data, root=root, sources=[str(s) for s in sources], lines=lines)
        _validate_advisory(config)
        _memo[key] = config
    return _with_environment(config)


def _stat(path: Path) -> tuple:
    stat = path.stat()
    return (str(path), stat.st_size, stat.st_mtime_ns)


def _cache_file(fingerprint) -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    name = hashlib.sha1(json.dumps([f[0] for f in fingerprint]).encode()).hexdigest()[:16]
    return Path(base, "tier1", "config", f"{name}.json")


def _cached(fingerprint):
    try:
        cached = json.loads(_cache_file(fingerprint).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if cached.get("fingerprint") != json.loads(json.dumps(fingerprint)):
        return None
    return cached["data"], {k: tuple(v) for k, v in cached["lines"].items()}


def _parse_and_cache(sources, fingerprint):
    from tier1_plugin.config_schema import SCHEMA

    merged, lines = {}, {}
    for source in sources:
        data, file_lines = _parse(source)
        for key_path, message in SCHEMA.errors(data, ()):
            line = _nearest_line(file_lines, key_path)
            raise ConfigError(source, key_path, message, line)
        merged = _merge(merged, data)
        lines.update({format_key(k): (str(source), v) for k, v in file_lines.items()})
    path = _cache_file(fingerprint)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps({"fingerprint": fingerprint, "data": merged,
                                         "lines": lines}), encoding="utf-8")
        os.replace(temporary, path)
    except OSError:
        pass
    return merged, lines


def _parse(source: Path):
    """Parse one YAML file into data plus the line (1-based) of every key path."""
    import yaml

    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    text = source.read_text(encoding="utf-8")
    loader = loader_class(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(source, (), f"invalid YAML: {problem}",
                          mark.line + 1 if mark else None) from None
    finally:
        loader.dispose()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(source, (), "the top level must be a mapping of sections", 1)
    lines: dict[tuple, int] = {}
    _record_lines(node, (), lines)
    return data, lines


def _record_lines(node, path, lines):
    import yaml

    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key_path = (*path, key_node.value)
            lines[key_path] = key_node.start_mark.line + 1
            _record_lines(value_node, key_path, lines)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines[(*path, index)] = item.start_mark.line + 1
            _record_lines(item, (*path, index), lines)


def _nearest_line(lines: dict, key_path: tuple):
    for length in range(len(key_path), 0, -1):
        if key_path[:length] in lines:
            return lines[key_path[:length]]
    return None


def _merge(base, override):
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = _merge(base.get(key), value) if key in base else value
        return merged
    return override


def _with_environment(config: Config) -> Config:
    data = _expand(json.loads(json.dumps(config)))  # a deep copy the caller may change
    for variable, key_path in ENV_OVERRIDES.items():
        value = os.environ.get(variable)
        if value:
            section = data
            for key in key_path[:-1]:
                section = section.setdefault(key, {})
            section[key_path[-1]] = value
    return Config(data, root=config.root, sources=config.sources, lines=config._lines)


def _expand(value):
    if isinstance(value, str):
        if "${" not in value:
            return value
        return _VAR.sub(lambda m: os.environ.get(m.group(1), m.group(2) or ""), value)
    if isinstance(value, list):
        return [_expand(item) for item in value]
    if isinstance(value, dict):
        return {key: _expand(item) for key, item in value.items()}
    return value


def _validate_advisory(config: Config) -> None:
    """Every name in ``production_check.advisory`` must be a check somebody registers."""
    section = config.get("production_check", {})
    known = set(section.get("checks", {}))
    unknown = [(i, name) for i, name in enumerate(section.get("advisory", [])) if name not in known]
    if not unknown:
        return
    known |= registered_check_names(config)  # only now: it imports every plugin
    for index, name in unknown:
        if name not in known:
            raise config.error(("production_check", "advisory", index),
                               f"unknown check {name!r} (known: {', '.join(sorted(known))})")


def registered_check_names(config) -> set[str]:
    from tier1_plugin.plugins import call_each

    names: set[str] = set()

    def register(name, run=None, **_options):
        names.add(name)

    call_each("tier1_register_checks", register=register, config=config)
    return names
