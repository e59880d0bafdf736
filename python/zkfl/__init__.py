"""ZKFL-PQ for Python: verifiable, private, post-quantum federated learning.

A clinic clips its model update to the round's bound τ, quantizes it, BFV-encrypts it, proves in lattice
zero knowledge that the ciphertext is well formed and the update's l2 norm is at most the bound, signs it
(ML-DSA-65) and seals it (ML-KEM-768 + ChaCha20-Poly1305) for a running ``zkfl serve``. The aggregator
verifies every submission, sums the accepted ones homomorphically, and a key holder decrypts only the sum.

Everything here runs the Rust implementation the ``zkfl`` command-line tool runs (the native module
``zkfl._zkfl``); nothing is downloaded at run time. ``zkfl.flower`` plugs it into Flower (``flwr``).

Clinic side::

    clinic = zkfl.Clinic("keys/clinics/1", server="http://127.0.0.1:8787")
    ann = clinic.announcement()              # signature checked with the pinned aggregator key
    w = clinic.global_model(ann)             # checked against the announced hash
    verdict = clinic.submit(new_w - w, ann)  # clip, quantize, encrypt, prove, sign, seal, POST

Aggregator side: ``zkfl.Server`` (round status, published models, admin close), ``zkfl.Verifier``
(open and verify a sealed submission with the aggregator's keys), ``zkfl.parameter_sets()``.

Errors are typed: every exception is a ``zkfl.ZkflError`` with a stable ``code`` (the API's error code for
answers of the aggregator) and ``status`` (HTTP status, or None).
"""

from ._zkfl import (
    Announcement,
    AnnouncementError,
    ApiError,
    Clinic,
    InputError,
    KeysError,
    PipelineError,
    Sealed,
    Server,
    TransportError,
    Verifier,
    ZkflError,
    __version__,
    model_sha3,
    parameter_sets,
)

__all__ = [
    "Announcement",
    "AnnouncementError",
    "ApiError",
    "Clinic",
    "InputError",
    "KeysError",
    "PipelineError",
    "Sealed",
    "Server",
    "TransportError",
    "Verifier",
    "ZkflError",
    "__version__",
    "model_sha3",
    "parameter_sets",
]
