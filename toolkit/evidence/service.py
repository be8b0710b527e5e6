"""Evidence files: what may be attached (the kind read from the content, the size, the virus
scanner's word), where the bytes are kept, and attaching and removing them as changes of the
answer (answering.change_files).

Services flush; the request boundary commits.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import shlex
import subprocess
import unicodedata
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePath

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from toolkit.accounts.models import User
from toolkit.assessments.answering import change_files
from toolkit.assessments.models import Answer, Assessment
from toolkit.core.audit import record
from toolkit.core.extensions import db
from toolkit.core.models import utcnow
from toolkit.evidence.models import MAX_NAME, EvidenceContent, EvidenceFile

log = logging.getLogger(__name__)

MB = 1024 * 1024


class EvidenceRefused(ValueError):
    """A file that is not attached; the message, naming the file, is for the person."""


@dataclass(frozen=True)
class Kind:
    """A kind of file that may be attached: its media type and the extensions it goes by (the
    first is given to a file whose name has none of them)."""

    content_type: str
    extensions: tuple[str, ...]


PDF = Kind("application/pdf", (".pdf",))
PNG = Kind("image/png", (".png",))
JPEG = Kind("image/jpeg", (".jpg", ".jpeg"))
GIF = Kind("image/gif", (".gif",))
WEBP = Kind("image/webp", (".webp",))
TIFF = Kind("image/tiff", (".tif", ".tiff"))
# Office Open XML: the folder inside the ZIP says which.
OOXML = {
    "word/": Kind(
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)
    ),
    "xl/": Kind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", (".xlsx",)),
    "ppt/": Kind(
        "application/vnd.openxmlformats-officedocument.presentationml.presentation", (".pptx",)
    ),
}
ODF_EXTENSIONS = {"text": ".odt", "spreadsheet": ".ods", "presentation": ".odp", "graphics": ".odg"}
# Legacy Office files are all OLE2 compound files: only the name tells a sheet from a letter.
OLE2 = {
    ".doc": Kind("application/msword", (".doc",)),
    ".xls": Kind("application/vnd.ms-excel", (".xls",)),
    ".ppt": Kind("application/vnd.ms-powerpoint", (".ppt",)),
}
TEXT = {".csv": Kind("text/csv", (".csv",)), ".txt": Kind("text/plain", (".txt",))}
MAGIC = [
    (b"%PDF-", PDF),
    (b"\x89PNG\r\n\x1a\n", PNG),
    (b"\xff\xd8\xff", JPEG),
    (b"GIF87a", GIF),
    (b"GIF89a", GIF),
    (b"II*\x00", TIFF),
    (b"MM\x00*", TIFF),
]
ZIP = b"PK\x03\x04"
OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
ODF_PREFIX = "application/vnd.oasis.opendocument."


def largest() -> int:
    """The largest file that may be attached, in bytes (config EVIDENCE_MAX_MB)."""
    return int(current_app.config["EVIDENCE_MAX_MB"] * MB)


def clean_name(raw: str | None) -> str:
    """A file name as it may be shown and sent back: without a folder, control or formatting
    characters (a right-to-left override would disguise the extension), at most MAX_NAME
    characters with its extension kept."""
    name = _plain(PurePath((raw or "").replace("\\", "/")).name).strip(". ") or _("file")
    stem, dot, extension = name.rpartition(".")
    if len(name) > MAX_NAME:
        if dot and len(extension) < 10:
            return stem[: MAX_NAME - len(extension) - 1] + "." + extension
        return name[:MAX_NAME]
    return name


def _plain(text: str) -> str:
    """Text on one line without control or formatting characters."""
    kept = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp"))
    return " ".join(kept.split())


def kind_of(name: str, data: bytes) -> Kind | None:
    """What the content is, read from its first bytes (and, for a ZIP, from the names in its
    central directory, never unpacking it); None for a kind that may not be attached."""
    for magic, kind in MAGIC:
        if data.startswith(magic):
            return kind
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    extension = PurePath(name.lower()).suffix
    if data.startswith(OLE2_MAGIC):
        return OLE2.get(extension)
    if data.startswith(ZIP):
        return _office_zip(data)
    if extension in TEXT and b"\x00" not in data:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return None
        return TEXT[extension]
    return None


def _office_zip(data: bytes) -> Kind | None:
    """An OOXML or OpenDocument file, from the names its central directory lists."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
            first = entries[0] if entries else None
            if (
                first is not None
                and first.filename == "mimetype"
                and first.compress_type == zipfile.ZIP_STORED
                and first.file_size <= 100
            ):
                mimetype = archive.read(first).decode("ascii", "replace").strip()
                extension = ODF_EXTENSIONS.get(mimetype.removeprefix(ODF_PREFIX))
                if mimetype.startswith(ODF_PREFIX) and extension:
                    return Kind(mimetype, (extension,))
                return None
            names = {e.filename for e in entries}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, NotImplementedError):
        return None
    if "[Content_Types].xml" not in names:
        return None
    for folder, kind in OOXML.items():
        if any(n.startswith(folder) for n in names):
            return kind
    return None


def named_for(name: str, kind: Kind) -> str:
    """The name with an extension that matches the content (added where it has none)."""
    if PurePath(name.lower()).suffix in kind.extensions:
        return name
    return clean_name(name + kind.extensions[0])


@dataclass(frozen=True)
class Checked:
    """A file that may be attached: its cleaned name (with a matching extension), its kind, its
    content and the content's SHA-256."""

    name: str
    kind: Kind
    data: bytes
    sha256: str


def check(raw_name: str | None, data: bytes) -> Checked:
    """The file as it may be attached; EvidenceRefused (naming it) when it is empty, too
    large, of a kind that may not be attached, or refused by the virus scanner."""
    name = clean_name(raw_name)
    if not data:
        raise EvidenceRefused(_("%(name)s is empty: attach the file itself.", name=name))
    if len(data) > largest():
        raise EvidenceRefused(
            _(
                "%(name)s is larger than %(mb)s MB: attach a smaller file.",
                name=name,
                mb=current_app.config["EVIDENCE_MAX_MB"],
            )
        )
    kind = kind_of(name, data)
    if kind is None:
        raise EvidenceRefused(
            _(
                "%(name)s: this kind of file cannot be attached: attach a PDF, an image or an "
                "office document.",
                name=name,
            )
        )
    scan(name, data)
    return Checked(named_for(name, kind), kind, data, hashlib.sha256(data).hexdigest())


def scan(name: str, data: bytes) -> None:
    """Run the virus scanner (config EVIDENCE_SCAN_COMMAND) with the file on its standard input:
    exit 0 is clean, 1 infected (the first line it writes says why); anything else, or no
    answer in EVIDENCE_SCAN_SECONDS, refuses the file as not checked."""
    command = current_app.config["EVIDENCE_SCAN_COMMAND"]
    if not command:
        return
    seconds = current_app.config["EVIDENCE_SCAN_SECONDS"]
    try:
        done = subprocess.run(
            shlex.split(command), input=data, capture_output=True, timeout=seconds, check=False
        )
    except subprocess.TimeoutExpired:
        log.error("virus scanner gave no answer on %s in %s seconds", name, seconds)
        code = None
    except OSError as error:
        log.error("virus scanner could not run: %s", error)
        code = None
    else:
        code = done.returncode
    if code == 0:
        return
    if code == 1:
        lines = done.stdout.decode("utf-8", "replace").splitlines()
        reason = _plain(lines[0])[:MAX_NAME] if lines else ""
        reason = reason or _("no reason given")
        raise EvidenceRefused(
            _("%(name)s was refused by the virus scanner: %(reason)s", name=name, reason=reason)
        )
    if code is not None:
        log.error(
            "virus scanner failed on %s with exit %s: %s",
            name,
            code,
            done.stderr.decode("utf-8", "replace")[:500],
        )
    raise EvidenceRefused(
        _("%(name)s could not be checked for viruses, try again later.", name=name)
    )


def attach(
    assessment: Assessment, question_id: str, files: list[Checked], by: User | None
) -> Answer:
    """Attach checked files to the answer to a question: one change of the answer."""

    def add(answer: Answer) -> None:
        at = utcnow()
        for file in files:
            _keep(file)
            answer.files.append(
                EvidenceFile(
                    name=file.name,
                    size=len(file.data),
                    content_type=file.kind.content_type,
                    sha256=file.sha256,
                    uploaded_by_id=by.id if by else None,
                    uploaded_at=at,
                )
            )

    answer = change_files(assessment, question_id, add, by)
    record(
        "evidence_attached",
        assessment,
        user=by,
        question=question_id,
        files=[{"name": f.name, "size": len(f.data), "sha256": f.sha256} for f in files],
    )
    return answer


class _AlreadyRemoved(Exception):
    """The file was removed meanwhile (a second click on Remove): nothing to change."""


def remove(assessment: Assessment, file: EvidenceFile, by: User | None) -> None:
    """Remove a file from its answer: one change of the answer; the file stays in the
    history. A file removed already is left as it is (no change, no audit record): two
    requests at once (a double click) both find it attached, and the second one reads it
    again under the assessment's lock."""

    def take_away(answer: Answer) -> None:
        kept = next(f for f in answer.files if f.id == file.id)
        if kept.removed_at is not None:
            raise _AlreadyRemoved
        kept.removed_at, kept.removed_by_id = utcnow(), by.id if by else None

    try:
        change_files(assessment, file.answer.question_id, take_away, by)
    except _AlreadyRemoved:
        return
    record(
        "evidence_removed",
        assessment,
        user=by,
        question=file.answer.question_id,
        file={"id": file.id, "name": file.name},
    )


def find_file(assessment: Assessment, file_id: int) -> EvidenceFile | None:
    """The file with this id among the files of the assessment's answers (removed ones too)."""
    return db.session.execute(
        db.select(EvidenceFile)
        .join(Answer, EvidenceFile.answer_id == Answer.id)
        .where(EvidenceFile.id == file_id, Answer.assessment_id == assessment.id)
    ).scalar_one_or_none()


def content_of(file: EvidenceFile) -> bytes | None:
    """The bytes of a file, from the file store or the database; None when they are lost."""
    path = stored_path(file.sha256)
    if path is not None and path.is_file():
        return path.read_bytes()
    data = db.session.execute(
        db.select(EvidenceContent.data).filter_by(sha256=file.sha256)
    ).scalar_one_or_none()
    if data is None:
        log.error("the content %s of evidence file %s is missing", file.sha256, file.id)
    return data


def file_store() -> Path | None:
    """The directory evidence files are kept in (config EVIDENCE_STORE); None: the database."""
    store = current_app.config["EVIDENCE_STORE"]
    return Path(store) if store else None


def stored_path(sha256: str) -> Path | None:
    """Where the file store keeps the content with this SHA-256 (None: no file store)."""
    store = file_store()
    return store / sha256[:2] / sha256 if store else None


def write_to_store(sha256: str, data: bytes) -> None:
    """Write content to the file store under its SHA-256, whole or not at all (a temporary
    file renamed: a reader never finds half a file)."""
    path = stored_path(sha256)
    if path.is_file():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{sha256}.{uuid.uuid4().hex}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _keep(file: Checked) -> None:
    """Keep the content once: in the file store if there is one, else in the database. A file
    written to the store for an upload that is then rolled back stays there, unused: contents
    are named by their hash, so it is the same file when it comes again."""
    in_store = stored_path(file.sha256) is not None
    if in_store:
        write_to_store(file.sha256, file.data)
    known = db.session.execute(
        db.select(EvidenceContent.sha256, EvidenceContent.data.is_(None)).where(
            EvidenceContent.sha256 == file.sha256
        )
    ).first()
    if known is not None:
        if known[1] and not in_store:  # kept in a store before: now in the database too
            db.session.execute(
                db.update(EvidenceContent)
                .filter_by(sha256=file.sha256)
                .values(data=file.data)
                .execution_options(synchronize_session=False)
            )
        return
    try:
        with db.session.begin_nested():
            db.session.add(
                EvidenceContent(
                    sha256=file.sha256, data=None if in_store else file.data, size=len(file.data)
                )
            )
    except IntegrityError:
        pass  # the same content was attached elsewhere meanwhile
