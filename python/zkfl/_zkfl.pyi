"""Type stubs of the native module ``zkfl._zkfl`` (see ``zkfl`` and docs/PYTHON.md)."""

from os import PathLike
from typing import Any, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

__version__: str

_Path = Union[str, PathLike[str]]
_F32 = npt.NDArray[np.float32]

class ZkflError(Exception):
    """Base class of every ZKFL-PQ error."""

    code: str
    """Stable machine-readable code: the API's error code for answers of the aggregator, else a local one."""
    status: Optional[int]
    """HTTP status for answers of the aggregator (and local verification), else None."""

class InputError(ZkflError):
    """The update is refused: ``wrong_dtype``, ``wrong_shape``, ``wrong_length``, ``not_finite``, ``not_an_array``."""

class KeysError(ZkflError):
    """A key directory is missing, unreadable or malformed: ``keys``."""

class AnnouncementError(ZkflError):
    """``announcement_invalid``, ``round_not_open``, ``stale_announcement``, ``model_mismatch``,
    ``bfv_key_mismatch``, ``terms_invalid``."""

class ApiError(ZkflError):
    """The aggregator refused; ``code`` is the API's code (``proof_invalid``, ``wrong_round``, ...)."""

class TransportError(ZkflError):
    """``transport``, ``decode``, ``timeout``."""

class PipelineError(ZkflError):
    """``encrypt_failed``, ``prove_refused``, ``seal_failed``."""

class Announcement:
    """A round announcement whose ML-DSA-65 signature was checked with a pinned aggregator key."""

    @property
    def round(self) -> int: ...
    @property
    def state(self) -> str: ...
    @property
    def model_dim(self) -> int: ...
    @property
    def norm_bound(self) -> float: ...
    @property
    def scale(self) -> float: ...
    @property
    def b_int(self) -> int: ...
    @property
    def plaintext_modulus(self) -> int: ...
    @property
    def opened_at(self) -> int: ...
    @property
    def deadline(self) -> int: ...
    @property
    def model_sha3(self) -> bytes: ...
    @property
    def bfv_public_key_sha3(self) -> bytes: ...
    @property
    def model(self) -> Optional[str]: ...
    def matches_model(self, model: _F32) -> bool:
        """Whether ``model`` (1-D float32) is the global model this round announces."""
    def expired(self) -> bool:
        """Whether the round's deadline has passed."""

class Sealed:
    """A sealed submission ready to be sent."""

    @property
    def envelope(self) -> bytes: ...
    @property
    def round(self) -> int: ...
    @property
    def clinic_id(self) -> int: ...
    @property
    def sequence(self) -> int: ...
    @property
    def norm(self) -> float:
        """The float update's l2 norm before clipping."""
    @property
    def clipped(self) -> bool: ...
    @property
    def proof_kind(self) -> str:
        """``honest``, or ``cheating`` / ``forged`` for ``Clinic.seal_poisoned``."""
    @property
    def timings(self) -> dict[str, float]:
        """Seconds: ``encrypt`` (quantize + encrypt), ``prove``, ``seal`` (sign + seal)."""

class Clinic:
    """One clinic of a ``zkfl serve`` federation, from its own ``zkfl keygen`` directory."""

    def __init__(self, keys: _Path, server: str = "http://127.0.0.1:8787", retries: int = 5) -> None: ...
    @property
    def id(self) -> int: ...
    @property
    def server(self) -> str: ...
    def announcement(self) -> Announcement:
        """The current round's announcement, signature checked; raises AnnouncementError unless open."""
    def global_model(self, announcement: Announcement) -> _F32:
        """The round's global model, checked against the announced hash."""
    def seal(self, update: _F32, announcement: Announcement, sequence: Optional[int] = None) -> Sealed:
        """Clip, quantize, encrypt, prove, sign and seal ``update`` (GIL released while working)."""
    def seal_poisoned(
        self, update: _F32, announcement: Announcement, sequence: Optional[int] = None
    ) -> Sealed:
        """Attack simulation: no clipping, the prover without its norm checks; the aggregator rejects it."""
    def send(self, sealed: Sealed) -> dict[str, Any]:
        """POST with retries; the verdict dict, or ApiError with the API's code."""
    def submit(self, update: _F32, announcement: Optional[Announcement] = None) -> dict[str, Any]:
        """``announcement()`` if not given, ``seal()``, ``send()``; adds ``norm``, ``clipped``, ``timings``."""

class Server:
    """A client of a running ``zkfl serve`` for whoever drives the rounds."""

    def __init__(
        self, url: str = "http://127.0.0.1:8787", keys: Optional[_Path] = None, retries: int = 5
    ) -> None: ...
    @property
    def url(self) -> str: ...
    def health(self) -> dict[str, Any]: ...
    def params(self) -> dict[str, Any]: ...
    def announcement(self) -> Announcement:
        """The current announcement, checked with the aggregator's key (needs ``keys``), in any state."""
    def status(self, round: int) -> dict[str, Any]: ...
    def wait(
        self, round: int, states: Sequence[str] = ("published", "failed"), timeout: float = 600.0
    ) -> dict[str, Any]: ...
    def close(self, round: int) -> dict[str, Any]:
        """Admin close (loopback, admin token from ``keys``)."""
    def model(self, round: int) -> _F32: ...
    def update(self, round: int) -> _F32:
        """The published mean update of ``round``."""
    def published_model(self, round: int) -> _F32:
        """w_{round+1}, checked against the published ``next_model_sha3``."""

class Verifier:
    """Opens and verifies sealed submissions with the aggregator's keys, as ``zkfl serve`` does."""

    def __init__(self, keys: _Path, max_submission_len: int = 16 << 20) -> None: ...
    def verify(self, envelope: bytes, announcement: Announcement) -> dict[str, Any]:
        """``{"clinic_id", "round", "digest"}`` or ApiError with the code the server would answer."""

def parameter_sets() -> dict[str, dict[str, Any]]:
    """Limits of parameter sets S and L."""

def model_sha3(model: _F32) -> bytes:
    """SHA3-256 of a float32 model as the aggregator hashes it."""
