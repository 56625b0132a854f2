"""TLS for HTTPS serving: a generated certificate, or the user's, checked before the server starts.

``MockServer(https=True)`` needs a certificate that clients can be told to trust. trustme makes a
throwaway CA and a certificate it signs for the loopback names, once per process (a test session
starts many servers); the CA's PEM file is what clients pass to ``verify=``. The files live in a
private temporary folder removed at exit.
"""

from __future__ import annotations

import atexit
import os
import shutil
import ssl
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mockpit._errors import ServerError
from mockpit._extras import require

if TYPE_CHECKING:
    import trustme

#: the names every generated certificate is valid for
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
#: "every interface": not a name a client connects to, so not one to certify
_WILDCARDS = {"", "0.0.0.0", "::"}


@dataclass(frozen=True)
class TlsFiles:
    """What uvicorn loads (``certfile``, ``keyfile``) and what clients trust (``ca_bundle``)."""

    certfile: str
    #: None when the key is in ``certfile``
    keyfile: str | None = None
    #: the CA to pass to clients (``verify=``); None for a certificate the user brought
    ca_bundle: str | None = None


class _Generated:
    """One CA per process, and one server certificate per set of names, made on first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._folder: Path | None = None
        self._ca: trustme.CA | None = None
        self._files: dict[tuple[str, ...], TlsFiles] = {}

    def files_for(self, names: tuple[str, ...]) -> TlsFiles:
        with self._lock:
            found = self._files.get(names)
            if found is None:
                found = self._files[names] = self._issue(names)
            return found

    def _issue(self, names: tuple[str, ...]) -> TlsFiles:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="mockpit-tls-"))
            atexit.register(shutil.rmtree, self._folder, ignore_errors=True)
        ca = self._ca
        if ca is None:
            import trustme  # an extra: checked by generated_files()

            ca = self._ca = trustme.CA(organization_name="mockpit", organization_unit_name="mockpit test CA")
        ca_bundle = self._folder / "ca.pem"
        if not ca_bundle.exists():
            ca.cert_pem.write_to_path(str(ca_bundle))
        stem = f"server-{len(self._files)}"
        certfile, keyfile = self._folder / f"{stem}.pem", self._folder / f"{stem}.key"
        issued = ca.issue_cert(*names)
        for i, pem in enumerate(issued.cert_chain_pems):
            pem.write_to_path(str(certfile), append=i > 0)
        issued.private_key_pem.write_to_path(str(keyfile))
        os.chmod(keyfile, 0o600)
        return TlsFiles(str(certfile), str(keyfile), str(ca_bundle))


_generated = _Generated()


def generated_files(host: str) -> TlsFiles:
    """A certificate signed by this process's CA for the loopback names and ``host``."""
    require("trustme", "HTTPS with a generated certificate (https=True, --https)")
    names = LOOPBACK_NAMES if host in _WILDCARDS or host in LOOPBACK_NAMES else (*LOOPBACK_NAMES, host)
    return _generated.files_for(names)


def given_files(certfile: str | os.PathLike[str], keyfile: str | os.PathLike[str] | None) -> TlsFiles:
    """The user's certificate and key, loaded once here so that a bad file fails now, naming itself."""
    cert, key = os.fspath(certfile), None if keyfile is None else os.fspath(keyfile)
    for option, path in (("certfile", cert), ("keyfile", key)):
        if path is not None and not Path(path).is_file():
            raise ServerError(f"{option}={path!r}: no such file; give the path of a PEM file")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    try:
        context.load_cert_chain(cert, key)
    except (ssl.SSLError, OSError) as exc:
        where = f"certfile={cert!r}" + (f", keyfile={key!r}" if key else "")
        raise ServerError(
            f"{where}: cannot load the certificate and its private key ({exc.strerror or exc}); "
            "give a PEM certificate (chain) and the PEM key that belongs to it"
            + ("" if key else " (the key goes in keyfile= unless certfile holds it too)")
        ) from None
    return TlsFiles(cert, key)
