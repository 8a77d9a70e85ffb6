"""Run Neo4j 5.26 LTS Community without Docker: jars from Maven Central, a small launcher.

``start`` resolves ``org.neo4j:neo4j`` with Maven into a cache folder (once),
compiles ``DiffusionNeo4j.java`` against it (once), packs diffusion's server
procedures (``DiffusionProcedures.java``) into a plugin jar (once), and starts
the embedded DBMS with Bolt on ``127.0.0.1:PORT``. Data lives in the *home* folder
(``--home``, ``$DIFFUSION_HOME``, default ``~/.diffusion``), private to its owner
(0700, files 0600); jars in the cache (``$DIFFUSION_CACHE``, default ``~/.cache/diffusion``).

Auth is on unless asked otherwise: the first start writes a generated password for
user ``neo4j`` into ``HOME/neo4j.password`` (0600), and clients of the project's own
server find it there (:func:`credentials_for`), through the per-port registry that
``start`` keeps in the cache. LOAD CSV reads only ``HOME/import``. See docs/neo4j.md.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .. import progress
from ..errors import ServerError

__all__ = ["ServerConfig", "ServerStatus", "NEO4J_VERSION", "start", "stop", "status",
           "parse_size", "default_home", "credentials_for", "home_for_uri", "died_message"]

HERE = Path(__file__).resolve().parent
POM = HERE / "pom.xml"
LAUNCHER = HERE / "DiffusionNeo4j.java"
PROCEDURES = HERE / "DiffusionProcedures.java"
_VERSION = re.search(r"<neo4j.version>([^<]+)<", POM.read_text())
assert _VERSION is not None, f"{POM} names no neo4j.version"
NEO4J_VERSION = _VERSION.group(1)
#: The JVM options Neo4j's own launcher passes (its default neo4j.conf, 5.26). Without the
#: --add-opens the page cache falls back to a slower mode ("Reflection access to
#: java.nio.DirectByteBuffer is not available") and file-descriptor advice fails.
JVM_OPTIONS = (
    "-XX:+UseG1GC", "-XX:-OmitStackTraceInFastThrow", "-XX:+UnlockExperimentalVMOptions",
    "-XX:+TrustFinalNonStaticFields", "-XX:+DisableExplicitGC",
    "-Djdk.nio.maxCachedBufferSize=1024", "-Dio.netty.tryReflectionSetAccessible=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED",
    "-Dlog4j2.disable.jmx=true",
)
DOCKER_HINT = ("Users with Docker can run `docker compose -f docker/compose.yml up -d` instead "
               "and point NEO4J_URI at it.")


def default_home() -> Path:
    return Path(os.environ.get("DIFFUSION_HOME") or Path.home() / ".diffusion").expanduser()


def default_cache() -> Path:
    return Path(os.environ.get("DIFFUSION_CACHE") or Path.home() / ".cache" / "diffusion").expanduser()


def parse_size(text: str | int) -> int:
    """'4g', '512m', '1024k' or a plain number of bytes."""
    if isinstance(text, int):
        return text
    m = re.fullmatch(r"\s*(\d+)\s*([kmgKMG]?)[bB]?\s*", str(text))
    if not m:
        raise ServerError(f"cannot read size {text!r}; use e.g. 512m or 4g")
    return int(m.group(1)) * {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30}[m.group(2).lower()]


@dataclass(frozen=True)
class ServerConfig:
    """One home's server. ``tx_memory`` None is half the heap; it may never reach the heap,
    since the transaction pool lives inside it (a cap above it ends in OutOfMemoryError)."""

    home: Path
    port: int = 7687
    heap: str = "4g"
    pagecache: str = "4g"
    tx_memory: str | None = None
    cache: Path | None = None
    auth: bool = True

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"

    @property
    def tx_memory_bytes(self) -> int:
        heap = parse_size(self.heap)
        if self.tx_memory is None:
            return heap // 2
        tx = parse_size(self.tx_memory)
        if tx >= heap:
            raise ServerError(f"--tx-memory {self.tx_memory} must be below --heap {self.heap}: "
                              f"transactions use the heap, and a cap at or above it lets one "
                              f"transaction kill the server (leave it unset for half the heap)")
        return tx

    @property
    def password_file(self) -> Path:
        return self.home / "neo4j.password"

    @property
    def import_dir(self) -> Path:
        return self.home / "import"

    @property
    def pid_file(self) -> Path:
        return self.home / "neo4j.pid"

    @property
    def state_file(self) -> Path:
        return self.home / "neo4j.json"

    @property
    def data_dir(self) -> Path:
        return self.home / "neo4j"

    @property
    def log_file(self) -> Path:
        return self.home / "logs" / "launcher.log"

    @property
    def lib_dir(self) -> Path:
        return (self.cache or default_cache()) / f"neo4j-{NEO4J_VERSION}" / "lib"

    @property
    def registry_file(self) -> Path:
        return _registry_dir(self.cache) / f"{self.port}.json"

    @property
    def classes_dir(self) -> Path:
        return (self.cache or default_cache()) / f"neo4j-{NEO4J_VERSION}" / "classes"

    @property
    def plugins_dir(self) -> Path:
        return (self.cache or default_cache()) / f"neo4j-{NEO4J_VERSION}" / "plugins"

    @property
    def plugin_jar(self) -> Path:
        return self.plugins_dir / "diffusion-procedures.jar"


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    pid: int | None
    uri: str | None
    port: int | None
    version: str | None
    store_bytes: int
    home: str

    def to_dict(self) -> dict:
        return dict(self.__dict__)

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame([self.to_dict()])


def _require_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ServerError(f"`{name}` was not found on PATH; the project's Neo4j needs Java 17+ "
                          f"and Maven. {DOCKER_HINT}")
    return path


def _java_major(java: str) -> int:
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    m = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not m:
        return 0
    major = int(m.group(1))
    return int(m.group(2)) if major == 1 and m.group(2) else major


def ensure_jars(cfg: ServerConfig, *, echo=print) -> None:
    """Resolve the Neo4j jars into the cache with Maven (once) and compile the launcher."""
    java = _require_tool("java")
    if _java_major(java) < 17:
        raise ServerError(f"Neo4j {NEO4J_VERSION} needs Java 17 or 21; `java -version` reports "
                          f"an older one. {DOCKER_HINT}")
    marker = cfg.lib_dir / ".complete"
    if not marker.exists():
        mvn = _require_tool("mvn")
        echo(f"Resolving Neo4j {NEO4J_VERSION} jars from Maven Central into {cfg.lib_dir} "
             f"(once, about 125 MB) ...")
        cfg.lib_dir.mkdir(parents=True, exist_ok=True)
        with progress.step("Maven download"):
            proc = subprocess.run(
                [mvn, "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
                 f"-DoutputDirectory={cfg.lib_dir}", "-DincludeScope=runtime"],
                capture_output=True, text=True)
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-15:]
            raise ServerError("Maven could not resolve the Neo4j jars:\n" + "\n".join(tail))
        marker.write_text(NEO4J_VERSION)
    launcher_class = cfg.classes_dir / "DiffusionNeo4j.class"
    if (not launcher_class.exists()
            or launcher_class.stat().st_mtime < LAUNCHER.stat().st_mtime):
        javac = _require_tool("javac")
        cfg.classes_dir.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run([javac, "-cp", f"{cfg.lib_dir}/*", "-d", str(cfg.classes_dir),
                               str(LAUNCHER)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise ServerError("could not compile the Neo4j launcher:\n" + proc.stderr.strip())
    if not cfg.plugin_jar.exists() or cfg.plugin_jar.stat().st_mtime < PROCEDURES.stat().st_mtime:
        build_plugin(cfg)


def build_plugin(cfg: ServerConfig) -> Path:
    """Compile DiffusionProcedures.java and pack it as a plugin jar (a zip of the classes;
    Neo4j finds the procedures by their annotations). Written aside and renamed into place."""
    import tempfile
    import zipfile

    javac = _require_tool("javac")
    cfg.plugins_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cfg.plugins_dir.parent) as tmp:
        out = Path(tmp) / "classes"
        proc = subprocess.run([javac, "-nowarn", "-cp", f"{cfg.lib_dir}/*", "-d", str(out),
                               str(PROCEDURES)], capture_output=True, text=True)
        if proc.returncode != 0:
            raise ServerError("could not compile diffusion's server procedures:\n"
                              + proc.stderr.strip())
        jar = Path(tmp) / "plugin.jar"
        with zipfile.ZipFile(jar, "w", zipfile.ZIP_DEFLATED) as z:
            for f in sorted(out.rglob("*.class")):
                z.write(f, f.relative_to(out).as_posix())
        os.replace(jar, cfg.plugin_jar)
    return cfg.plugin_jar


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of ours counts as gone
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return True


def _registry_dir(cache: Path | None = None) -> Path:
    """Where ``start`` notes which home serves which loopback port (one JSON file a port)."""
    return (cache or default_cache()) / "servers"


def _cmdline(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.decode(errors="replace").split("\0")


def _our_pid(cfg: ServerConfig) -> int | None:
    """The pid of this home's running server: the pid file names a live DiffusionNeo4j whose
    store argument is this home's store (a copied home's pid file names another's server)."""
    try:
        pid = int(cfg.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    if not _alive(pid):
        return None
    args = _cmdline(pid)
    if args is None:  # no /proc: trust the pid file
        return pid
    if "DiffusionNeo4j" not in args:
        return None
    at = args.index("DiffusionNeo4j")
    store = args[at + 1] if at + 1 < len(args) else ""
    if Path(store).resolve() != cfg.data_dir.resolve():
        return None
    return pid


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def check_port(cfg: ServerConfig) -> None:
    """Refuse a port that another process (not this home's server) listens on."""
    if _our_pid(cfg) is None and _port_open(cfg.port):
        raise ServerError(f"port {cfg.port} on 127.0.0.1 is already taken by another process "
                          f"(not the server of {cfg.home}); stop it or pass --port")


def _password(cfg: ServerConfig) -> str | None:
    try:
        return cfg.password_file.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def ensure_password(cfg: ServerConfig) -> str:
    """This home's password, generated once (32 url-safe characters) into a 0600 file."""
    found = _password(cfg)
    if found:
        return found
    cfg.home.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(24)
    fd = os.open(cfg.password_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(password + "\n")
    os.chmod(cfg.password_file, 0o600)
    return password


def _registered(port: int, cache: Path | None = None) -> dict | None:
    try:
        entry = json.loads((_registry_dir(cache) / f"{port}.json").read_text())
    except (OSError, ValueError):
        return None
    return entry if isinstance(entry, dict) else None


def _loopback_port(uri: str) -> int | None:
    try:
        parts = urlsplit(uri)
        host, port = parts.hostname, parts.port
    except ValueError:
        return None
    if host not in ("127.0.0.1", "localhost", "::1"):
        return None
    return port or 7687


def home_for_uri(uri: str | None, cache: Path | None = None) -> Path | None:
    """The home of the project's server registered on the loopback port of ``uri``."""
    port = _loopback_port(uri or "bolt://127.0.0.1:7687")
    entry = _registered(port, cache) if port is not None else None
    return Path(entry["home"]) if entry and entry.get("home") else None


def credentials_for(uri: str, home: Path | None = None) -> tuple[str, str] | None:
    """(user, password) of the project's own server at ``uri``: the home given (when it serves
    that port), else the home the registry names for the port. None for any other server,
    or a server started with auth off."""
    port = _loopback_port(uri)
    if port is None:
        return None
    candidates = [home] if home is not None else []
    registered = home_for_uri(uri)
    if registered is not None:
        candidates.append(registered)
    for h in candidates:
        cfg = ServerConfig(home=Path(h), port=port)
        try:
            state = json.loads(cfg.state_file.read_text())
        except (OSError, ValueError):
            continue
        if state.get("port") != port:
            continue
        if not state.get("auth", False):
            return None
        password = _password(cfg)
        if password:
            return "neo4j", password
    return None


def died_message(uri: str) -> str | None:
    """For the project's server at ``uri`` that was started but no longer runs: what happened,
    with the end of its log. None when no such server is registered, or it is alive."""
    home = home_for_uri(uri)
    port = _loopback_port(uri)
    if home is None or port is None:
        return None
    cfg = ServerConfig(home=home, port=port)
    if _our_pid(cfg) is not None:
        return None
    try:
        tail = [ln for ln in cfg.log_file.read_text(errors="replace").splitlines() if ln.strip()]
    except OSError:
        tail = []
    reason = next((ln.strip() for ln in reversed(tail) if "OutOfMemoryError" in ln), None)
    last = reason or (tail[-1].strip() if tail else "no log lines")
    return (f"the project's Neo4j at {uri} (home {home}) is no longer running; it died: {last} "
            f"-- see {cfg.log_file}, then `diffusion neo4j start --home {home}`")


def _bolt_answers(uri: str, auth: tuple[str, str] | None = None) -> str | None:
    """The server version if Bolt answers a query, else None."""
    from neo4j import GraphDatabase
    from neo4j.exceptions import Neo4jError, DriverError

    try:
        with GraphDatabase.driver(uri, auth=auth, connection_timeout=2,
                                  max_connection_lifetime=30) as driver:
            records, _, _ = driver.execute_query(
                "CALL dbms.components() YIELD versions RETURN versions[0] AS v")
            return records[0]["v"]
    except (Neo4jError, DriverError, OSError):
        return None


def _store_bytes(path: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(root, f))
            except OSError:
                pass
    return total


def _state(cfg: ServerConfig) -> dict:
    try:
        state = json.loads(cfg.state_file.read_text())
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def status(cfg: ServerConfig) -> ServerStatus:
    pid = _our_pid(cfg)
    state = _state(cfg) if pid is not None else {}
    port = state.get("port", cfg.port)
    uri = f"bolt://127.0.0.1:{port}"
    auth = (("neo4j", _password(cfg) or "") if state.get("auth") else None)
    version = _bolt_answers(uri, auth) if pid is not None else None
    return ServerStatus(pid is not None and version is not None, pid, uri if pid else None,
                        port if pid else None, version, _store_bytes(cfg.data_dir), str(cfg.home))


def running_settings(cfg: ServerConfig) -> ServerConfig:
    """``cfg`` with the port, memory and auth its home's server last ran with, so a restart
    (``load --fresh``) keeps them."""
    state = _state(cfg)
    keep = {k: state[k] for k in ("port", "heap", "pagecache", "tx_memory", "auth")
            if k in state}
    return ServerConfig(home=cfg.home, cache=cfg.cache, **{**dict(
        port=cfg.port, heap=cfg.heap, pagecache=cfg.pagecache, tx_memory=cfg.tx_memory,
        auth=cfg.auth), **keep})


def _private(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    os.chmod(path, 0o700)


def start(cfg: ServerConfig, *, timeout: float = 180.0, echo=print) -> tuple[ServerStatus, bool]:
    """Start the server; returns its status and whether this call started it.

    A home whose server already runs is not restarted; when it runs on another port than
    ``cfg.port``, the caller is told through ``echo``.
    """
    pid = _our_pid(cfg)
    if pid is not None:
        st = status(cfg)
        if st.running:
            if st.port != cfg.port:
                echo(f"note: the server of {cfg.home} already runs on port {st.port}, not "
                     f"{cfg.port}; stop it first to move it (`diffusion neo4j stop --home "
                     f"{cfg.home}`)")
            return st, False
    tx_memory = cfg.tx_memory_bytes  # refuse a cap at or above the heap before anything starts
    check_port(cfg)
    ensure_jars(cfg, echo=echo)
    _private(cfg.home)
    _private(cfg.import_dir)
    cfg.log_file.parent.mkdir(parents=True, exist_ok=True)
    password_arg = "-"
    if cfg.auth:
        ensure_password(cfg)
        password_arg = str(cfg.password_file.resolve())
    heap = parse_size(cfg.heap)
    cmd = [
        _require_tool("java"), f"-Xms{heap}", f"-Xmx{heap}", *JVM_OPTIONS,
        "-XX:+ExitOnOutOfMemoryError", "-Dfile.encoding=UTF-8",
        "-cp", f"{cfg.classes_dir}{os.pathsep}{cfg.lib_dir}/*", "DiffusionNeo4j",
        str(cfg.data_dir.resolve()), str(cfg.port), str(parse_size(cfg.pagecache)),
        str(tx_memory), str(cfg.plugins_dir), str(cfg.import_dir.resolve()), password_arg,
    ]
    log = open(cfg.log_file, "ab")
    os.chmod(cfg.log_file, 0o600)
    # umask 077: the store, logs and everything else the server writes are its owner's alone
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True, cwd=cfg.home, umask=0o077)
    log.close()
    cfg.pid_file.write_text(str(proc.pid))
    cfg.state_file.write_text(json.dumps({
        "pid": proc.pid, "port": cfg.port, "uri": cfg.uri, "version": NEO4J_VERSION,
        "started_at": time.time(), "auth": cfg.auth, "heap": cfg.heap,
        "pagecache": cfg.pagecache, "tx_memory": cfg.tx_memory}))
    cfg.registry_file.parent.mkdir(parents=True, exist_ok=True)
    cfg.registry_file.write_text(json.dumps({"home": str(cfg.home.resolve()), "pid": proc.pid}))
    auth = ("neo4j", _password(cfg) or "") if cfg.auth else None
    deadline = time.monotonic() + timeout
    with progress.step("Neo4j start-up"):
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                cfg.pid_file.unlink(missing_ok=True)
                tail = cfg.log_file.read_text(errors="replace").strip().splitlines()[-20:]
                raise ServerError(f"Neo4j exited during start-up (code {proc.returncode}); "
                                  f"log {cfg.log_file}:\n" + "\n".join(tail))
            if _port_open(cfg.port) and _bolt_answers(cfg.uri, auth):
                return status(cfg), True
            time.sleep(0.5)
    raise ServerError(f"Neo4j did not answer on {cfg.uri} within {timeout:.0f} s; "
                      f"see {cfg.log_file}")


def stop(cfg: ServerConfig, *, timeout: float = 120.0) -> bool:
    """SIGTERM the server and wait for a clean shutdown. Returns False if none was running."""
    pid = _our_pid(cfg)
    if pid is None:
        cfg.pid_file.unlink(missing_ok=True)
        return False
    port = _state(cfg).get("port", cfg.port)
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _alive(pid):
        try:  # reap it if it is our own child (tests start it in-process)
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
        time.sleep(0.2)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
        raise ServerError(f"Neo4j (pid {pid}) did not stop within {timeout:.0f} s and was killed")
    cfg.pid_file.unlink(missing_ok=True)
    entry = _registered(port, cfg.cache)
    if entry and entry.get("pid") == pid:
        (_registry_dir(cfg.cache) / f"{port}.json").unlink(missing_ok=True)
    return True


def bulk_import(cfg: ServerConfig, nodes: list[tuple[str, Path]], relationships: list[tuple[str, Path]],
                *, multiline: bool = False, echo=print) -> str:
    """Replace the database with ``neo4j-admin database import full`` (offline).

    The server must be stopped; the caller restarts it. Returns the importer's
    output. Raises ServerError with the importer's last lines on failure.
    """
    if _our_pid(cfg) is not None:
        raise ServerError("stop the server before a bulk import")
    ensure_jars(cfg, echo=echo)
    conf = cfg.home / "import-conf"
    conf.mkdir(parents=True, exist_ok=True)
    (conf / "neo4j.conf").touch()
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    cmd = [_require_tool("java"), f"-Xmx{parse_size(cfg.heap)}", *JVM_OPTIONS,
           "-Dfile.encoding=UTF-8", "-cp", f"{cfg.lib_dir}/*", "org.neo4j.cli.AdminTool",
           "database", "import", "full", "neo4j", "--overwrite-destination=true",
           "--id-type=string",
           f"--multiline-fields={'true' if multiline else 'false'}",
           f"--report-file={cfg.home / 'logs' / 'import.report'}"]
    cmd += [f"--nodes={label}={path}" for label, path in nodes]
    cmd += [f"--relationships={rtype}={path}" for rtype, path in relationships]
    env = {**os.environ, "NEO4J_HOME": str(cfg.data_dir), "NEO4J_CONF": str(conf)}
    (cfg.home / "logs").mkdir(parents=True, exist_ok=True)
    with progress.step("bulk import"):
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    output = proc.stdout + proc.stderr
    (cfg.home / "logs" / "import.log").write_text(output)
    if proc.returncode != 0:
        tail = output.strip().splitlines()[-15:]
        raise ServerError("neo4j-admin database import failed:\n" + "\n".join(tail))
    return output
