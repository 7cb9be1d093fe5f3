"""List sources: turn the user's arguments (files, folders, URLs, list files) into one ordered list of URIs.

Every bad argument becomes a `Failure(stage="list")`; nothing here raises for user input.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from qbank.formats import SOURCE_EXTENSIONS  # searched for in folders; a file named explicitly is always listed
from qbank.records import Failure, KnownSource


# "scheme:" prefix; two letters at least so a Windows drive ("C:\\notes") is not taken for a scheme.
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")
# A comment after a source needs whitespace before "#", so URL fragments ("page#q3") stay intact.
_TRAILING_COMMENT = re.compile(r"\s+#.*$")


def expand_sources(args: Sequence[str], from_files: Sequence[Path] = ()) -> tuple[list[str], list[Failure]]:
    """Expand arguments and list files into unique source URIs, in a stable order.

    Args:
        args: files, folders (searched recursively for `SOURCE_EXTENSIONS`, hidden entries skipped),
            and http(s) URLs.
        from_files: list files with one source per line; blank lines and `#` comments are ignored,
            relative paths are taken from the list file's folder.

    Returns:
        The URIs (absolute resolved paths or normalized URLs; first occurrence wins) and one
        `Failure` per argument or line that names nothing readable.
    """
    uris: dict[str, None] = {}  # an ordered set
    failures: list[Failure] = []
    pending: list[tuple[str, Path]] = [(arg, Path.cwd()) for arg in args]
    for list_file in from_files:
        lines, failure = read_list_file(Path(list_file))
        if failure is not None:
            failures.append(failure)
        base = Path(list_file).expanduser().resolve().parent
        pending.extend((line, base) for line in lines)
    for arg, base in pending:
        found, failure = _expand_one(arg, base)
        if failure is not None:
            failures.append(failure)
        uris.update(dict.fromkeys(found))
    return list(uris), failures


def gone_from_folders(
    args: Sequence[str], known: Mapping[str, KnownSource], listed: Iterable[str], from_files: Sequence[Path] = ()
) -> list[Failure]:
    """Files the warehouse has from a folder named in `args` (or in a list file) that are gone from it.

    Each becomes a failure that keeps the file's questions and says how to retire them (`qbank remove`);
    a folder never named again is not looked at.
    """
    named: list[tuple[str, Path]] = [(arg, Path.cwd()) for arg in args]
    for list_file in from_files:
        lines, _ = read_list_file(Path(list_file))
        named.extend((line, Path(list_file).expanduser().resolve().parent) for line in lines)
    folders = []
    for arg, base in named:
        path = base / Path(arg.strip()).expanduser()
        if arg.strip() and path.is_dir():
            folders.append(path.resolve())
    seen = set(listed)
    gone = []
    for uri, source in sorted(known.items()):
        if uri in seen or "://" in uri:
            continue
        path = Path(uri)
        folder = next((f for f in folders if path.is_relative_to(f)), None)
        if folder is not None and not path.exists():
            held = f"its {source.question_count} questions are kept" if source.question_count else "nothing is kept"
            gone.append(Failure(uri, "list", f"file is gone from {folder}: {held}; `qbank remove` retires it"))
    return gone


def read_list_file(path: Path) -> tuple[list[str], Failure | None]:
    """The sources named in one list file, comments and blank lines removed (a Failure if unreadable)."""
    try:
        text = path.expanduser().read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return [], Failure(str(path), "list", f"no such list file: {path}")
    except (OSError, UnicodeDecodeError) as exc:
        return [], Failure(str(path), "list", f"cannot read list file {path}: {_one_line(exc)}")
    lines = []
    for line in text.splitlines():
        line = _TRAILING_COMMENT.sub("", line).strip()
        if line and not line.startswith("#"):
            lines.append(line)
    return lines, None


def _expand_one(arg: str, base: Path) -> tuple[list[str], Failure | None]:
    """The URIs one argument names: a URL, a file, or every source file under a folder."""
    arg = arg.strip()
    if not arg:
        return [], None
    candidate = (base / Path(arg).expanduser()) if not Path(arg).expanduser().is_absolute() else Path(arg)
    # An existing path wins over scheme detection, so a file called "notes:v2.md" still works.
    if not candidate.exists():
        match = _SCHEME.match(arg)
        if match:
            scheme = match.group(1).lower()
            if scheme in ("http", "https"):
                url = normalize_url(arg)
                if url is None:
                    return [], Failure(arg, "list", f"not a valid URL: {arg}")
                return [url], None
            if scheme == "file":
                candidate = Path(unquote(urlsplit(arg).path))
            else:
                return [], Failure(arg, "list", f"unsupported scheme {scheme}: only http(s) URLs, files and folders")
    if not candidate.exists():
        return [], Failure(arg, "list", f"no such file or folder: {arg}")
    path = candidate.resolve()
    if path.is_dir():
        files = sorted(_walk_folder(path))
        if not files:
            kinds = " ".join(sorted(SOURCE_EXTENSIONS))
            return [], Failure(str(path), "list", f"no source files ({kinds}) in folder {path}", status="skipped")
        return [str(f) for f in files], None
    return [str(path)], None


def _walk_folder(root: Path) -> Iterable[Path]:
    """Source files under `root`, skipping hidden folders and files (.git, .venv, .DS_Store...)."""
    for folder, dirnames, filenames in os.walk(root):  # followlinks=False: no symlink loops
        dirnames[:] = [d for d in dirnames if not d.startswith(".")]
        for name in filenames:
            if not name.startswith(".") and Path(name).suffix.lower() in SOURCE_EXTENSIONS:
                yield Path(folder, name).resolve()


def normalize_url(url: str) -> str | None:
    """Lower-case scheme and host, drop the fragment and default port, give an empty path "/", and
    resolve "." and ".." segments (RFC 3986 5.2.4), so `/a/b/../../ok.md` and `/ok.md` are one source.

    Returns None when the text is not an http(s) URL with a host.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is not None and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    return urlunsplit((scheme, netloc, remove_dot_segments(parts.path) or "/", parts.query, ""))


def remove_dot_segments(path: str) -> str:
    """RFC 3986 section 5.2.4: "/a/b/../c/./d" -> "/a/c/d"; ".." never climbs above the root."""
    if "." not in path:
        return path
    output: list[str] = []
    segments = path.split("/")
    for i, segment in enumerate(segments):
        last = i == len(segments) - 1
        if segment == "..":
            if len(output) > 1:
                output.pop()
            if last:
                output.append("")  # "/a/b/.." is "/a/": the result names a folder
        elif segment == ".":
            if last:
                output.append("")
        else:
            output.append(segment)
    result = "/".join(output)
    return result if not path.startswith("/") or result.startswith("/") else "/" + result


def _one_line(exc: BaseException) -> str:
    """An exception as one short line (OSError messages carry the errno text)."""
    text = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return " ".join(text.split()) or type(exc).__name__
