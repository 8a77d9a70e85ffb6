"""Run Neo4j 5.26 LTS Community without Docker: jars from Maven Central, a small launcher.

``start`` resolves ``org.neo4j:neo4j`` with Maven into a cache folder (once),
compiles ``DiffusionNeo4j.java`` against it (once), packs diffusion's server
procedures (``DiffusionProcedures.java``) into a plugin jar (once), and starts
the embedded DBMS with Bolt on ``127.0.0.1:PORT`` and auth disabled. Data lives in the
*home* folder (``--home``, ``$DIFFUSION_HOME``, default ``~/.diffusion``); jars
in the cache (``$DIFFUSION_CACHE``, default ``~/.cache/diffusion``).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import ServerError

__all__ = ["ServerConfig", "ServerStatus", "NEO4J_VERSION", "start", "stop", "status",
           "parse_size", "default_home"]

HERE = Path(__file__).resolve().parent
POM = HERE / "pom.xml"
LAUNCHER = HERE / "DiffusionNeo4j.java"
PROCEDURES = HERE / "DiffusionProcedures.java"
NEO4J_VERSION = re.search(r"<neo4j.version>([^<]+)<", POM.read_text()).group(1)
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
    home: Path
    port: int = 7687
    heap: str = "4g"
    pagecache: str = "4g"
    tx_memory: str = "2g"
    cache: Path | None = None

    @property
    def uri(self) -> str:
        return f"bolt://127.0.0.1:{self.port}"

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
        echo(f"Resolving Neo4j {NEO4J_VERSION} jars from Maven Central into {cfg.lib_dir} ...")
        cfg.lib_dir.mkdir(parents=True, exist_ok=True)
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


def _our_pid(cfg: ServerConfig) -> int | None:
    try:
        pid = int(cfg.pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    if not _alive(pid):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        if b"DiffusionNeo4j" not in cmdline:
            return None
    except OSError:
        pass
    return pid


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _bolt_answers(uri: str) -> str | None:
    """The server version if Bolt answers a query, else None."""
    from neo4j import GraphDatabase
    from neo4j.exceptions import Neo4jError, DriverError

    try:
        with GraphDatabase.driver(uri, auth=None, connection_timeout=2,
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


def status(cfg: ServerConfig) -> ServerStatus:
    pid = _our_pid(cfg)
    port = cfg.port
    if pid is not None and cfg.state_file.exists():
        port = json.loads(cfg.state_file.read_text()).get("port", port)
    uri = f"bolt://127.0.0.1:{port}"
    version = _bolt_answers(uri) if pid is not None else None
    return ServerStatus(pid is not None and version is not None, pid, uri if pid else None,
                        port if pid else None, version, _store_bytes(cfg.data_dir), str(cfg.home))


def start(cfg: ServerConfig, *, timeout: float = 180.0, echo=print) -> tuple[ServerStatus, bool]:
    """Start the server; returns its status and whether this call started it."""
    pid = _our_pid(cfg)
    if pid is not None:
        st = status(cfg)
        if st.running:
            return st, False
    if _port_open(cfg.port):
        raise ServerError(f"port {cfg.port} on 127.0.0.1 is already taken by another process; "
                          f"stop it or pass --port")
    ensure_jars(cfg, echo=echo)
    cfg.home.mkdir(parents=True, exist_ok=True)
    cfg.log_file.parent.mkdir(parents=True, exist_ok=True)
    heap = parse_size(cfg.heap)
    cmd = [
        _require_tool("java"), f"-Xms{heap}", f"-Xmx{heap}", *JVM_OPTIONS,
        "-XX:+ExitOnOutOfMemoryError", "-Dfile.encoding=UTF-8",
        "-cp", f"{cfg.classes_dir}{os.pathsep}{cfg.lib_dir}/*", "DiffusionNeo4j",
        str(cfg.data_dir), str(cfg.port), str(parse_size(cfg.pagecache)),
        str(parse_size(cfg.tx_memory)), str(cfg.plugins_dir),
    ]
    log = open(cfg.log_file, "ab")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                            start_new_session=True, cwd=cfg.home)
    log.close()
    cfg.pid_file.write_text(str(proc.pid))
    cfg.state_file.write_text(json.dumps({"pid": proc.pid, "port": cfg.port, "uri": cfg.uri,
                                          "version": NEO4J_VERSION, "started_at": time.time()}))
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            cfg.pid_file.unlink(missing_ok=True)
            tail = cfg.log_file.read_text(errors="replace").strip().splitlines()[-20:]
            raise ServerError(f"Neo4j exited during start-up (code {proc.returncode}); "
                              f"log {cfg.log_file}:\n" + "\n".join(tail))
        if _port_open(cfg.port) and _bolt_answers(cfg.uri):
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
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    output = proc.stdout + proc.stderr
    (cfg.home / "logs" / "import.log").write_text(output)
    if proc.returncode != 0:
        tail = output.strip().splitlines()[-15:]
        raise ServerError("neo4j-admin database import failed:\n" + "\n".join(tail))
    return output
