"""ZKFL-PQ under Flower's Message API (``flwr`` >= 1.20).

Client side: ``zkfl_mod`` is a ClientApp mod. After the app's own ``train`` handler ran, it replaces the
plain model in the reply by a ZKFL-PQ submission to ``zkfl serve``: the update (trained weights minus the
global weights) is clipped, quantized, encrypted, proven, signed and sealed by ``zkfl.Clinic``, and the reply
carries only metrics and the aggregator's verdict, never the weights. ``protect_reply`` does the same for a
ClientApp that prefers to call it itself.

Server side: ``ZkflFedAvg`` is a ``FedAvg`` whose aggregate is not computed from the replies: it waits for
``zkfl serve`` to publish the round (the homomorphic sum of the verified submissions, decrypted only as a
sum by the key holder) and takes the published model; the clinics the aggregator rejected appear in the
round's metrics (``zkfl-rejected``, ``zkfl-rejected-ids``).

Configuration (node config of each SuperNode, or the train message's config):
``zkfl-keys`` — the clinic's own key directory from ``zkfl keygen`` (``<keys>/clinics/<id>``);
``zkfl-server`` — the aggregator URL (node config wins; the strategy also sends its URL).
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any, Callable, Iterable, Optional

import numpy as np
from flwr.app import (
    Array,
    ArrayRecord,
    ConfigRecord,
    Context,
    Message,
    MessageType,
    MetricRecord,
    RecordDict,
)
from flwr.serverapp import Grid
from flwr.serverapp.strategy import FedAvg

from . import AnnouncementError, ApiError, Clinic, Server

log = logging.getLogger("zkfl.flower")

#: Key of the train config entry naming the zkfl round the strategy expects.
ROUND_KEY = "zkfl-round"
#: Key of the aggregator URL (node config or train config).
SERVER_KEY = "zkfl-server"
#: Key of the clinic's key directory (node config).
KEYS_KEY = "zkfl-keys"
#: Key of the ConfigRecord carrying the aggregator's verdict in a train reply.
VERDICT_KEY = "zkfl"


def flatten(arrays: ArrayRecord) -> np.ndarray:
    """The arrays of a record as one float32 vector, in the record's order (the zkfl model layout)."""
    parts = [np.asarray(a, dtype=np.float32).ravel() for a in arrays.to_numpy_ndarrays()]
    if not parts:
        return np.zeros(0, dtype=np.float32)
    return np.ascontiguousarray(np.concatenate(parts), dtype=np.float32)


def unflatten(vector: np.ndarray, like: ArrayRecord) -> ArrayRecord:
    """A record with ``like``'s keys, shapes and dtypes holding ``vector``'s values."""
    out, at = {}, 0
    for key, arr in like.items():
        a = arr.numpy()
        out[key] = vector[at : at + a.size].reshape(a.shape).astype(a.dtype)
        at += a.size
    if at != vector.size:
        raise ValueError(f"vector of {vector.size} values for a model of {at}")
    return ArrayRecord({k: Array(v) for k, v in out.items()})


_clinics: dict[tuple[str, str], Clinic] = {}
_clinics_lock = threading.Lock()


def clinic_for(context: Context, config: Optional[ConfigRecord] = None) -> Clinic:
    """The ``zkfl.Clinic`` of this SuperNode (``zkfl-keys``, ``zkfl-server``), loaded once per process."""
    node = context.node_config
    if KEYS_KEY not in node:
        raise KeyError(f"node config has no '{KEYS_KEY}' (the clinic's key directory from `zkfl keygen`)")
    server = node.get(SERVER_KEY) or (config or {}).get(SERVER_KEY) or "http://127.0.0.1:8787"
    key = (str(node[KEYS_KEY]), str(server))
    with _clinics_lock:
        if key not in _clinics:
            _clinics[key] = Clinic(key[0], server=key[1])
        return _clinics[key]


def _announcement_error(code: str, message: str) -> AnnouncementError:
    err = AnnouncementError(message)
    err.code, err.status = code, None
    return err


def protect_reply(
    msg: Message,
    reply: Message,
    clinic: Clinic,
    *,
    poisoned: bool = False,
    arrays_key: str = "arrays",
    config_key: str = "config",
) -> Message:
    """Replaces the plain model in ``reply`` (to train message ``msg``) by a ZKFL-PQ submission.

    The update is the reply's weights minus the message's global weights. The global weights must be the
    model the signed round announcement names (AnnouncementError ``model_mismatch`` otherwise), and the
    round must be the one the strategy expects. ``poisoned=True`` is the attack simulation (no clipping,
    cheating prover) used by the examples' poisoning clinic. A rejection by the aggregator is not an
    error of the ClientApp: the reply says ``decision = rejected`` with the API's code.
    """
    config = msg.content.config_records.get(config_key, ConfigRecord())
    ann = clinic.announcement()
    want = config.get(ROUND_KEY)
    if want is not None and int(want) != ann.round:
        raise _announcement_error(
            "round_mismatch", f"the strategy expects zkfl round {want}, the aggregator announces {ann.round}"
        )
    global_w = flatten(msg.content.array_records[arrays_key])
    if not ann.matches_model(global_w):
        raise _announcement_error(
            "model_mismatch", f"the global model Flower sent is not the model zkfl round {ann.round} announces"
        )
    update = flatten(reply.content.array_records[arrays_key]) - global_w
    sealed = (clinic.seal_poisoned if poisoned else clinic.seal)(update, ann)
    verdict = ConfigRecord({"clinic-id": clinic.id, "decision": "accepted", "code": "", "message": ""})
    try:
        clinic.send(sealed)
        accepted = 1
    except ApiError as e:
        verdict.update({"decision": "rejected", "code": e.code, "message": str(e)})
        accepted = 0
    metrics = MetricRecord()
    for record in reply.content.metric_records.values():
        for k, v in record.items():
            metrics[k] = v
    metrics.update(
        {
            "zkfl-accepted": accepted,
            "zkfl-round": ann.round,
            "zkfl-norm": float(sealed.norm),
            "zkfl-clipped": int(sealed.clipped),
            "zkfl-encrypt-s": float(sealed.timings["encrypt"]),
            "zkfl-prove-s": float(sealed.timings["prove"]),
        }
    )
    content = RecordDict({"metrics": metrics, VERDICT_KEY: verdict})
    return Message(content=content, reply_to=msg)


def zkfl_mod(msg: Message, context: Context, call_next: Callable[[Message, Context], Message]) -> Message:
    """ClientApp mod: train replies leave as ZKFL-PQ submissions; other messages pass through.

    Use as ``ClientApp(mods=[zkfl_mod])`` with ``zkfl-keys`` (and ``zkfl-server``) in the node config.
    """
    reply = call_next(msg, context)
    if msg.metadata.message_type != MessageType.TRAIN or reply.has_error():
        return reply
    config = msg.content.config_records.get("config", ConfigRecord())
    return protect_reply(msg, reply, clinic_for(context, config))


class ZkflFedAvg(FedAvg):
    """FedAvg whose aggregate is the published result of ``zkfl serve``.

    Each round: ``configure_train`` waits for the aggregator's next open round, checks that Flower's
    global model is the announced one and tells the clinics the zkfl round; ``aggregate_train`` closes the
    zkfl round if clinics are missing (admin close), waits until it is published and returns the published
    model w_{r+1} = w_r + mean of the accepted updates (decrypted as a sum by the key holder; the plain
    updates never reach Flower). Metrics: the replies' own metrics (weighted by ``weighted_by_key``) plus
    ``zkfl-round``, ``zkfl-accepted``, ``zkfl-rejected``, ``zkfl-rejected-ids`` and the server's timings.

    ``server`` is a ``zkfl.Server`` built with the aggregator's key directory (announcement checks, admin
    token); ``round_timeout`` bounds the wait for each round's publication, in seconds.
    """

    def __init__(self, server: Server, *, round_timeout: float = 600.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.server = server
        self.round_timeout = round_timeout
        self._zkfl_round: dict[int, int] = {}
        self._arrays: Optional[ArrayRecord] = None
        self._last: Optional[int] = None
        #: Per Flower round: the aggregator's status when the round was published.
        self.statuses: dict[int, dict[str, Any]] = {}

    def _open_announcement(self) -> Any:
        """The next open zkfl round (the previous one's successor is opened by ``zkfl serve --rounds``)."""
        deadline = time.monotonic() + self.round_timeout
        while True:
            ann = self.server.announcement()
            if ann.state == "open" and ann.round != self._last:
                return ann
            if time.monotonic() > deadline:
                raise TimeoutError(f"zkfl serve opened no new round (current: {ann!r})")
            time.sleep(0.2)

    def configure_train(
        self, server_round: int, arrays: ArrayRecord, config: ConfigRecord, grid: Grid
    ) -> Iterable[Message]:
        ann = self._open_announcement()
        if not ann.matches_model(flatten(arrays)):
            raise ValueError(
                f"Flower's global model is not the model zkfl round {ann.round} starts from; start the "
                "strategy from Server.model(round) (or the published model of the previous round)"
            )
        self._zkfl_round[server_round] = ann.round
        self._arrays = arrays
        config[ROUND_KEY] = ann.round
        config[SERVER_KEY] = self.server.url
        return super().configure_train(server_round, arrays, config, grid)

    def aggregate_train(
        self, server_round: int, replies: Iterable[Message]
    ) -> tuple[Optional[ArrayRecord], Optional[MetricRecord]]:
        valid, _ = self._check_and_log_replies(list(replies), is_train=True, validate=False)
        r = self._zkfl_round[server_round]
        self._last = r
        if self.server.status(r)["state"] == "open":
            self.server.close(r)
        status = self.server.wait(r, timeout=self.round_timeout)
        self.statuses[server_round] = status
        rejected = [s for s in status["submissions"] if s["decision"] == "rejected"]
        for s in rejected:
            log.warning("zkfl round %d: clinic %d rejected (%s): %s", r, s["clinic_id"], s["code"], s["message"])
        contents = [m.content for m in valid if m.content.metric_records]
        metrics = self.train_metrics_aggr_fn(contents, self.weighted_by_key) if contents else MetricRecord()
        metrics["zkfl-round"] = r
        metrics["zkfl-accepted"] = int(status["accepted"])
        metrics["zkfl-rejected"] = int(status["rejected"])
        metrics["zkfl-rejected-ids"] = [int(s["clinic_id"]) for s in rejected]
        timing = status.get("timing_s") or {}
        for k in ("verify", "aggregate", "decrypt"):
            if k in timing:
                metrics[f"zkfl-{k}-s"] = float(timing[k])
        if status["state"] != "published":
            log.warning("zkfl round %d failed: %s", r, status.get("failure"))
            return None, metrics
        assert self._arrays is not None
        return unflatten(self.server.published_model(r), like=self._arrays), metrics
