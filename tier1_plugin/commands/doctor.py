"""``tier1 doctor``: one line per thing Tier 1 depends on; exit 1 if a required one is broken.

Required: the config loads, the event store answers, every plugin loads.  Reported but not
required (a project may not use them): the Celery broker and the n8n instance.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

OK, WARN, FAIL = "ok", "warn", "FAIL"


def configure(parser):
    parser.add_argument("--timeout", type=float, default=2.0, help="seconds per network probe")


def run(args) -> int:
    lines: list[tuple[str, str, str]] = []
    config = _config(lines)
    if config is not None:
        _database(config, lines)
        _reachable("broker", config.get("fallback", {}).get("celery", {}).get("broker_url", ""),
                   args.timeout, lines)
        _reachable("n8n", config.get("n8n", {}).get("base_url", ""), args.timeout, lines)
    _plugins(lines)
    width = max(len(name) for _, name, _ in lines)
    for state, name, detail in lines:
        print(f"{state:<4}  {name:<{width}}  {detail}")
    return 1 if any(state == FAIL for state, _, _ in lines) else 0


def _config(lines):
    from tier1_plugin.config import ConfigError, load_config

    try:
        config = load_config()
    except ConfigError as exc:
        lines.append((FAIL, "config", str(exc)))
        return None
    source = config.path or f"{config.sources[0]} (packaged default)"
    lines.append((OK, "config", f"{source}; project {config.project_id}; root {config.root}"))
    return config


def _database(config, lines):
    from tier1_plugin.errors import StoreUnavailable
    from tier1_plugin.hub import AutomationHub, sqlite_unavailable
    from tier1_plugin.migrations import latest_version

    hub = AutomationHub(config=config)
    try:
        version = hub.store.schema_version()
    except (StoreUnavailable, *sqlite_unavailable()) as exc:
        lines.append((FAIL, "database", f"{hub.store_name} unreachable: {exc}"))
        return
    except Exception as exc:  # noqa: BLE001 - doctor reports, never crashes
        lines.append((FAIL, "database", f"{hub.store_name}: {type(exc).__name__}: {exc}"))
        return
    finally:
        waiting = hub.outbox.pending()
        hub.close()
    latest = latest_version(hub.store.dialect)
    state = OK if version >= latest else WARN
    note = "" if version >= latest else f" (latest {latest}: run `tier1 db upgrade`)"
    lines.append((state, "database", f"{hub.store_name} reachable, schema version {version}{note}"))
    lines.append((OK if waiting == 0 else WARN, "outbox",
                  f"{waiting} event(s) waiting" + (" (run `tier1 db flush`)" if waiting else "")))


def _reachable(name, url, timeout, lines):
    if not url:
        lines.append((WARN, name, "not configured"))
        return
    parts = urlsplit(url)
    default_port = {"redis": 6379, "amqp": 5672, "http": 80, "https": 443}.get(parts.scheme, 0)
    host, port = parts.hostname or "localhost", parts.port or default_port
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        lines.append((WARN, name, f"{parts.scheme}://{host}:{port} unreachable ({exc.strerror or exc})"))
    else:
        lines.append((OK, name, f"{parts.scheme}://{host}:{port} accepts connections"))


def _plugins(lines):
    from tier1_plugin.plugins import get_plugin_manager, load_plugins

    try:
        get_plugin_manager()
    except Exception as exc:  # noqa: BLE001
        lines.append((FAIL, "plugins", f"{type(exc).__name__}: {exc}"))
        return
    plugins = load_plugins()
    broken = [p for p in plugins if p.error]
    for plugin in broken:
        lines.append((FAIL, f"plugin {plugin.name}", plugin.error))
    lines.append((OK if not broken else FAIL, "plugins",
                  f"{len(plugins) - len(broken)} loaded, {len(broken)} broken"))


