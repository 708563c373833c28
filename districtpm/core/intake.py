"""Input limits and decoding for every import, in one place.

Every file a user hands the product (a CSV upload, a OneRoster zip, a folder on the command line)
passes through here before any importer looks at its rows. A file that cannot be read safely is
refused as a whole with `InputRefused`, whose message is plain English fit for the user and never
names a server path. The limits are read from settings on every call (so tests and operators can
change them) under these names, with these defaults:

    DISTRICTPM_MAX_UPLOAD_MB      200        one uploaded or imported file
    DISTRICTPM_MAX_ZIP_MEMBERS    50         entries in one zip
    DISTRICTPM_MAX_EXPANDED_MB    1024       total expanded size of a zip (also per xlsx)
    DISTRICTPM_MAX_FIELD_CHARS    10000      characters in one CSV field
    DISTRICTPM_MAX_ROWS           5000000    data rows in one CSV file

Encoding: text must be UTF-8 (with or without a byte-order mark) or UTF-16/UTF-32 with a
byte-order mark. Anything else (Latin-1, Windows-1252, UTF-16 without a mark, binary data) is
refused with a message asking for "CSV UTF-8". We deliberately do not guess Windows-1252: a wrong
guess silently garbles names, which is worse than a clear refusal.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import os
import re
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

MB = 1024 * 1024


class InputRefused(ValueError):
    """A file refused as a whole; str(exc) is a message fit for the user (no server paths)."""


@dataclass(frozen=True)
class Limits:
    """The input limits in force, read from settings by `limits()`."""

    max_upload_bytes: int
    max_zip_members: int
    max_expanded_bytes: int
    max_field_chars: int
    max_rows: int
    max_zip_ratio: int = 100


def _setting(name: str, default: float) -> float:
    from django.conf import settings

    value = getattr(settings, name, default) if settings.configured else default
    return float(value)


def limits() -> Limits:
    """The limits from settings now (read each call so overrides take effect)."""
    return Limits(
        max_upload_bytes=int(_setting("DISTRICTPM_MAX_UPLOAD_MB", 200) * MB),
        max_zip_members=int(_setting("DISTRICTPM_MAX_ZIP_MEMBERS", 50)),
        max_expanded_bytes=int(_setting("DISTRICTPM_MAX_EXPANDED_MB", 1024) * MB),
        max_field_chars=int(_setting("DISTRICTPM_MAX_FIELD_CHARS", 10_000)),
        max_rows=int(_setting("DISTRICTPM_MAX_ROWS", 5_000_000)),
        max_zip_ratio=int(_setting("DISTRICTPM_MAX_ZIP_RATIO", 100)),
    )


# A member smaller than this when expanded is never refused for its compression ratio.
_RATIO_FLOOR = 10 * 1024 * 1024


def _check_ratio(info: zipfile.ZipInfo, expanded: int, shown: str, lim: Limits) -> None:
    """Refuse a member that expands far more than real data does (a zip bomb): CSV and
    workbook XML shrink about 5 to 20 times; a bomb shrinks a thousand times or more."""
    if expanded <= _RATIO_FLOOR:
        return
    if expanded > max(info.compress_size, 1) * lim.max_zip_ratio:
        raise InputRefused(
            f"{shown} looks like a zip bomb: {PurePosixPath(info.filename).name} expands more "
            f"than {lim.max_zip_ratio} times its packed size. Export the file again."
        )


def _size(n: int) -> str:
    """A size people read: 4 MB, 1.4 KB (one decimal, so two sizes near a limit differ)."""
    for unit, factor in (("MB", MB), ("KB", 1024)):
        if n >= factor:
            return f"{n / factor:,.1f} {unit}".replace(f".0 {unit}", f" {unit}")
    return f"{n:,} bytes"


def display_name(name: Any) -> str:
    """Only the file's own name, never the folder it sits in on the server."""
    text = str(name or "the file")
    return PurePosixPath(text.replace("\\", "/")).name or "the file"


def check_size(size: int, *, name: str) -> None:
    """Refuse a file over the upload limit."""
    cap = limits().max_upload_bytes
    if size > cap:
        raise InputRefused(
            f"{display_name(name)} is {_size(size)}; files may be at most {_size(cap)}."
        )


_BOMS = (
    # Longest first: the UTF-32 LE mark begins with the UTF-16 LE one.
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)


def decode_text(data: bytes, *, name: str) -> str:
    """The text of a file in UTF-8 (BOM optional) or UTF-16/32 with a BOM; else a clear refusal."""
    shown = display_name(name)
    encoding, label, body = "utf-8", "UTF-8", data
    for bom, codec, codec_label in _BOMS:
        if data.startswith(bom):
            encoding, label, body = codec, codec_label, data[len(bom) :]
            break
    try:
        text = body.decode(encoding)
    except UnicodeDecodeError as exc:
        if label == "UTF-8":
            line = body[: exc.start].count(b"\n") + 1
            raise InputRefused(
                f"{shown} is not UTF-8 text (the first unreadable character is on line {line}). "
                'Save it from your spreadsheet as "CSV UTF-8" and import it again.'
            ) from None
        raise InputRefused(
            f"{shown} starts like {label} text but is not readable as {label}. "
            'Save it from your spreadsheet as "CSV UTF-8" and import it again.'
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise InputRefused(
            f"{shown} contains NUL characters (first on line {line}), so it is not a text file "
            'or was saved in an unusual encoding. Save it as "CSV UTF-8" and import it again.'
        )
    return text


# Archives inside an archive are refused rather than ignored: they hide what is being imported.
NESTED_ARCHIVE_SUFFIXES = (
    ".zip",
    ".gz",
    ".tgz",
    ".tar",
    ".bz2",
    ".xz",
    ".7z",
    ".rar",
    ".jar",
)
_DRIVE = re.compile(r"^[A-Za-z]:")
_CHUNK = 64 * 1024


def _is_junk(member: str) -> bool:
    """Files a Mac or Windows zip tool adds by itself; never part of a bundle."""
    parts = member.split("/")
    base = parts[-1]
    return "__MACOSX" in parts or base.startswith("._") or base in (".DS_Store", "Thumbs.db")


def _check_member_name(member: str, shown: str) -> None:
    raw = member
    member = member.replace("\\", "/")
    if (
        member.startswith("/")
        or _DRIVE.match(member)
        or ".." in member.split("/")
        or "\x00" in raw
        or any(ord(c) < 32 for c in raw)
    ):
        raise InputRefused(
            f"{shown} contains a file named {display_name(raw)!r} with an unsafe path "
            "(absolute, with a drive letter or with '..'); it was not opened."
        )


def read_zip(
    data_or_path: bytes | str | os.PathLike | IO[bytes],
    *,
    name: str,
    allowed_suffixes: tuple[str, ...] = (".csv",),
) -> dict[str, bytes]:
    """The members of a zip with an allowed suffix, by base name, within every zip limit.

    Checks the member count and the expanded size from the zip's headers and again while reading
    (a forged header cannot get past the cap), refuses unsafe names, duplicate names (ignoring
    case and folders), nested archives, encrypted members and anything that is not a zip.
    Other members (a manifest, a readme) are counted but not read.
    """
    shown = display_name(name)
    lim = limits()
    with _open_zip(_sized_source(data_or_path, shown), shown) as bundle:
        infos = [i for i in bundle.infolist() if not i.is_dir()]
        _check_declared(infos, shown, lim)
        files: dict[str, bytes] = {}
        total = 0
        for base, info in _wanted_members(infos, shown, allowed_suffixes):
            files[base] = _read_member(bundle, info, base, shown, lim, already_read=total)
            total += len(files[base])
        return files


def _sized_source(data_or_path: bytes | str | os.PathLike | IO[bytes], shown: str) -> Any:
    """What zipfile can open, once the file is known to be within the upload limit."""
    if isinstance(data_or_path, (bytes, bytearray, memoryview)):
        source = io.BytesIO(bytes(data_or_path))
        check_size(len(source.getbuffer()), name=shown)
        return source
    if isinstance(data_or_path, (str, os.PathLike)):
        path = Path(data_or_path)
        try:
            check_size(path.stat().st_size, name=shown)
        except OSError:
            raise InputRefused(f"{shown} could not be opened.") from None
    return data_or_path


def _open_zip(source: Any, shown: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise InputRefused(
            f"{shown} is not a zip file. Upload the .zip file of CSV files as exported."
        ) from None


def _check_declared(infos: list[zipfile.ZipInfo], shown: str, lim: Limits) -> None:
    """Refuse a zip whose headers declare too many members or too much expanded data."""
    if len(infos) > lim.max_zip_members:
        raise InputRefused(
            f"{shown} holds {len(infos):,} files; a zip may hold at most {lim.max_zip_members:,}."
        )
    declared = sum(i.file_size for i in infos)
    if declared > lim.max_expanded_bytes:
        raise InputRefused(
            f"{shown} expands to {_size(declared)}; a zip may expand to at most "
            f"{_size(lim.max_expanded_bytes)}."
        )
    for info in infos:
        _check_ratio(info, info.file_size, shown, lim)


def _wanted_members(
    infos: list[zipfile.ZipInfo], shown: str, allowed_suffixes: tuple[str, ...]
) -> list[tuple[str, zipfile.ZipInfo]]:
    """The members to read, by base name, once every member's name has been checked."""
    wanted = []
    seen: dict[str, str] = {}
    for info in infos:
        _check_member_name(info.filename, shown)
        if _is_junk(info.filename):
            continue
        base = PurePosixPath(info.filename.replace("\\", "/")).name
        lower = base.lower()
        if lower.endswith(NESTED_ARCHIVE_SUFFIXES):
            raise InputRefused(
                f"{shown} contains another archive ({base}); put the CSV files directly in one zip."
            )
        if not lower.endswith(tuple(s.lower() for s in allowed_suffixes)):
            continue
        if lower in seen:
            raise InputRefused(
                f"{shown} contains {base} twice ({seen[lower]} and {info.filename}); keep only one."
            )
        seen[lower] = info.filename
        if info.flag_bits & 0x1:
            raise InputRefused(
                f"{shown} is password-protected ({base}); export it without a password."
            )
        wanted.append((base, info))
    return wanted


def _read_member(
    bundle: zipfile.ZipFile,
    info: zipfile.ZipInfo,
    base: str,
    shown: str,
    lim: Limits,
    *,
    already_read: int,
) -> bytes:
    """One member's bytes, refused as soon as it or the whole zip expands past its limit."""
    chunks = []
    read = 0
    try:
        with bundle.open(info) as member:
            while chunk := member.read(_CHUNK):
                read += len(chunk)
                _check_ratio(info, read, shown, lim)  # a forged header is caught here
                if already_read + read > lim.max_expanded_bytes:
                    raise InputRefused(
                        f"{shown} expands to more than {_size(lim.max_expanded_bytes)}; "
                        "it was not read further."
                    )
                chunks.append(chunk)
    except InputRefused:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError):
        raise InputRefused(
            f"{shown} is damaged: {base} cannot be read. Export the zip again."
        ) from None
    except (NotImplementedError, RuntimeError):
        raise InputRefused(
            f"{shown} uses a compression method or encryption that cannot be read "
            f"({base}); save it as an ordinary zip."
        ) from None
    return b"".join(chunks)


def read_folder(
    path: str | os.PathLike, *, name: str = "", allowed_suffixes: tuple[str, ...] = (".csv",)
) -> dict[str, bytes]:
    """The files with an allowed suffix directly in a folder, by name, within the zip limits."""
    folder = Path(path)
    shown = display_name(name or folder.name)
    lim = limits()
    wanted = sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and p.name.lower().endswith(tuple(s.lower() for s in allowed_suffixes))
    )
    if len(wanted) > lim.max_zip_members:
        raise InputRefused(
            f"The folder {shown} holds {len(wanted):,} files; at most {lim.max_zip_members:,} "
            "may be imported at once."
        )
    seen: dict[str, str] = {}
    files: dict[str, bytes] = {}
    total = 0
    for p in wanted:
        if p.name.lower() in seen:
            raise InputRefused(
                f"The folder {shown} contains {seen[p.name.lower()]} and {p.name}; keep only one."
            )
        seen[p.name.lower()] = p.name
        size = p.stat().st_size
        check_size(size, name=p.name)
        total += size
        if total > lim.max_expanded_bytes:
            raise InputRefused(
                f"The files in {shown} add up to more than {_size(lim.max_expanded_bytes)}."
            )
        files[p.name] = p.read_bytes()
    return files


def _header_key(header: str) -> str:
    return " ".join(header.split()).casefold()


def check_headers(headers: list[str], *, name: str) -> None:
    """Refuse blank or duplicate column headers (ignoring case and spaces)."""
    shown = display_name(name)
    if not headers or all(not h.strip() for h in headers):
        raise InputRefused(f"{shown} has no header row; the first line must name the columns.")
    seen: dict[str, int] = {}
    for position, header in enumerate(headers, start=1):
        key = _header_key(header)
        if not key:
            raise InputRefused(
                f"{shown}: column {position} of the header row has no name; name it or delete it."
            )
        if key in seen:
            raise InputRefused(
                f"{shown}: the column {header.strip()!r} appears twice in the header row "
                f"(columns {seen[key]} and {position}); keep only one."
            )
        seen[key] = position


# Tab, line feed and carriage return are ordinary inside a quoted CSV field; other C0 controls
# and DEL are not text a person typed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_field(value: str, *, name: str, line: int, column: str) -> str | None:
    """A reason the field is unacceptable (too long, NUL or control characters), or None."""
    cap = limits().max_field_chars
    if len(value) > cap:
        return f"value is {len(value):,} characters long; at most {cap:,} are allowed"
    match = _CONTROL.search(value)
    if match:
        char = match.group()
        label = "a NUL character" if char == "\x00" else f"a control character (U+{ord(char):04X})"
        return f"value contains {label}"
    return None


def finite(value: float) -> bool:
    """False for inf, -inf and nan."""
    try:
        return math.isfinite(value)
    except (TypeError, OverflowError):
        return False


@dataclass
class CsvTable:
    """A decoded, size-checked CSV: its header and rows with their physical line numbers."""

    name: str
    headers: list[str]
    # (line, values by header, extra values beyond the header)
    rows: list[tuple[int, dict[str, str], list[str]]] = field(default_factory=list)


def read_csv(data: bytes | str, *, name: str) -> CsvTable:
    """Decode and parse a CSV within the limits; headers are stripped and checked.

    Values are returned as written (not stripped); a row shorter than the header gets "" for
    the missing columns. Field contents are not checked here: importers call `check_field` per
    value so every bad field is reported as a row error with its line and column.
    """
    shown = display_name(name)
    if isinstance(data, (bytes, bytearray)):
        check_size(len(data), name=shown)
        text = decode_text(bytes(data), name=shown)
    else:
        text = data.lstrip("\ufeff")
        if "\x00" in text:
            raise InputRefused(f'{shown} contains NUL characters; save it as "CSV UTF-8".')
    return _parse_csv(text, shown, _stripped_checked(shown))


def _stripped_checked(shown: str) -> Callable[[list[str]], list[str]]:
    def headers_of(raw: list[str]) -> list[str]:
        headers = [h.strip() for h in raw]
        check_headers(headers, name=shown)
        return headers

    return headers_of


def _parse_csv(text: str, shown: str, headers_of: Callable[[list[str]], list[str]]) -> CsvTable:
    """Parse decoded CSV text within the row limit; `headers_of` checks and names the header."""
    lim = limits()
    # The csv module's own field limit (131,072 by default, process-wide) would end the read at
    # the first long field; raised to the upload cap, every long field instead becomes a row
    # error from check_field (with its line and column) and the rest of the file is still checked.
    if csv.field_size_limit() < max(lim.max_upload_bytes, lim.max_field_chars + 1):
        csv.field_size_limit(max(lim.max_upload_bytes, lim.max_field_chars + 1))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        raw_headers = next(reader, None)
        if raw_headers is None:
            raise InputRefused(f"{shown} is empty.")
        headers = headers_of(raw_headers)
        table = CsvTable(shown, headers)
        width = len(headers)
        for values in reader:
            if not values or (len(values) == 1 and not values[0].strip()):
                continue  # a blank line
            if len(table.rows) >= lim.max_rows:
                raise InputRefused(f"{shown} has more than {lim.max_rows:,} rows.")
            row = dict(zip(headers, values, strict=False))
            for header in headers[len(values) :]:
                row[header] = ""
            table.rows.append((reader.line_num, row, values[width:]))
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            reason = f"a value is longer than {lim.max_field_chars:,} characters"
        else:
            reason = "the CSV cannot be read (check the quotes)"
        raise InputRefused(f"{shown}, line {reader.line_num}: {reason}.") from None
    return table


# ------------------------------------------------------------------ added for the data and plan
# imports (helper DATA-IMPORTS)


def check_named_headers(headers: list[str], *, name: str) -> list[str]:
    """The headers with blank ones named "Unnamed: N" (as pandas names them); duplicates refused.

    Student-data exports often carry a nameless first column (a row index), so unlike
    `check_headers` a blank header is allowed here; two headers that differ only in case or
    spacing are still refused, since which one a mapping reads would be a guess.
    """
    named = [h.strip() or f"Unnamed: {i}" for i, h in enumerate(headers)]
    if not any(h.strip() for h in headers):
        raise InputRefused(
            f"{display_name(name)} has no header row; the first line must name the columns."
        )
    check_headers(named, name=name)
    return named


def read_data_csv(data: bytes, *, name: str) -> CsvTable:
    """A student-data CSV within the limits, like `read_csv` with two differences.

    Blank headers are named as by `check_named_headers`. A few NUL characters in a UTF-8 file
    are kept in their fields, so the importer reports each as a row error with its line and
    column; a file with many NUL bytes (over 1 in 100: UTF-16 or UTF-32 without a byte-order
    mark, or binary data) is refused as a whole by `decode_text`.
    """
    shown = display_name(name)
    check_size(len(data), name=shown)
    nul = data.count(b"\x00")
    bom_other = any(data.startswith(b) for b, _, label in _BOMS if label != "UTF-8")
    if not nul or bom_other or nul * 100 > len(data):
        text = decode_text(data, name=shown)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            decode_text(data.replace(b"\x00", b""), name=shown)  # raises the usual refusal
            raise InputRefused(f'{shown} is not UTF-8 text. Save it as "CSV UTF-8".') from None
    text = text.lstrip("\ufeff")
    return _parse_csv(text, shown, lambda raw: check_named_headers(raw, name=shown))


# Office never writes a document type declaration into a workbook's XML; one is how entity
# expansion ("billion laughs") and external-entity attacks get in, so a workbook with one is
# refused before openpyxl parses anything.
_DOCTYPE = re.compile(rb"<!(DOCTYPE|ENTITY)", re.IGNORECASE)
_ROOT_START = re.compile(rb"<[A-Za-z_]")


def check_xlsx(data: bytes, *, name: str) -> None:
    """Refuse a workbook that is not an .xlsx zip, expands past the limit or declares entities.

    Python's zipfile never returns more bytes for a member than its header declares (a forged,
    smaller size ends in a CRC error), so the declared sizes bound what openpyxl can expand.
    """
    shown = display_name(name)
    check_size(len(data), name=shown)
    lim = limits()
    not_xlsx = f"Not an Excel workbook (.xlsx): {shown}. Save it from Excel as .xlsx and try again."
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise InputRefused(not_xlsx) from None
    with book:
        infos = book.infolist()
        names = {i.filename for i in infos}
        if "[Content_Types].xml" not in names or not any(
            n.startswith("xl/worksheets/") for n in names
        ):
            raise InputRefused(not_xlsx)
        declared = sum(i.file_size for i in infos)
        if declared > lim.max_expanded_bytes:
            raise InputRefused(
                f"{shown} expands to {_size(declared)}; a workbook may expand to at most "
                f"{_size(lim.max_expanded_bytes)}."
            )
        for info in infos:
            _check_ratio(info, info.file_size, shown, lim)
        for info in infos:
            if info.flag_bits & 0x1:
                raise InputRefused(f"{shown} is password-protected; save it without a password.")
            if not info.filename.endswith((".xml", ".rels", ".vml")):
                continue
            head = b""
            try:
                with book.open(info) as member:
                    # Only the prolog (before the first element) may hold a DOCTYPE.
                    while chunk := member.read(_CHUNK):
                        head += chunk
                        if _DOCTYPE.search(head):
                            raise InputRefused(
                                f"{shown} contains XML entity declarations, which Excel never "
                                "writes; it was not opened. Save it again from Excel."
                            )
                        if _ROOT_START.search(head) or len(head) > MB:
                            break
            except InputRefused:
                raise
            except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError):
                raise InputRefused(f"{shown} is damaged; save it again from Excel.") from None
            except (NotImplementedError, RuntimeError):
                raise InputRefused(not_xlsx) from None


# ---------------------------------------------------------------- what every importer reports


@dataclass
class RowError:
    """One bad row: where it is and what is wrong with it."""

    file: str  # the file, or the sheet of a workbook
    line: int | None  # None for the file as a whole
    reason: str
    column: str = ""

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}, line {self.line}"
        if self.column:
            where += f", column {self.column}"
        return f"{where}: {self.reason}"


class ImportFailed(Exception):
    """An import that wrote nothing; `outcome` says why (its `summary()` is the message)."""

    def __init__(self, outcome: Any) -> None:
        super().__init__(outcome.summary())
        self.outcome = outcome


@dataclass(frozen=True)
class Rejected:
    """The outcome of an import refused for its bad rows alone (a workbook, say)."""

    errors: list[RowError]

    def summary(self) -> str:
        count = len(self.errors)
        return f"Nothing was imported: {count} problem{'s' if count != 1 else ''} to fix."


# ---------------------------------------------------------------- OneRoster bundles


def read_bundle(
    source: str | os.PathLike | dict[str, bytes], *, only: tuple[str, ...] | None = None
) -> dict[str, CsvTable]:
    """The CSV files of a OneRoster bundle (a folder, a zip, or files already read), parsed.

    `only` names the files an importer reads; the others are not parsed, so a damaged file it
    does not need cannot refuse its import. Raises InputRefused when the bundle or a file read
    cannot be read safely.
    """
    if isinstance(source, dict):
        raw = source
    elif Path(source).is_dir():
        raw = read_folder(source, name=Path(source).name)
    else:
        raw = read_zip(source, name=Path(source).name)
    return {
        name: read_csv(data, name=name)
        for name, data in raw.items()
        if only is None or name in only
    }
