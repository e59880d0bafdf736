"""The `zkfl` package against a real `zkfl serve`: round trip, typed errors, verification, GIL release."""

from __future__ import annotations

import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import zkfl
from conftest import CLINICS, DIM, NORM_BOUND


def updates(seed: int = 1) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(CLINICS):
        u = rng.normal(size=DIM).astype(np.float32)
        out.append(u * np.float32(0.5 * NORM_BOUND / np.linalg.norm(u)))
    return out


def test_parameter_sets_and_model_hash() -> None:
    sets = zkfl.parameter_sets()
    assert sets["S"]["ring_degree"] > 0 and sets["S"]["max_model_dim"] >= DIM
    assert sets["S"]["id"] != sets["L"]["id"]
    h = zkfl.model_sha3(np.zeros(DIM, np.float32))
    assert len(h) == 32 and h != zkfl.model_sha3(np.ones(DIM, np.float32))


def test_round_trip_publishes_the_mean_of_the_accepted_updates(serve) -> None:
    s = serve(rounds=2)
    server = zkfl.Server(s.url, keys=s.keys)
    assert server.params()["roster_size"] == CLINICS
    clinics = [zkfl.Clinic(s.clinic_keys(i + 1), server=s.url) for i in range(CLINICS)]
    ann = clinics[0].announcement()
    assert (ann.round, ann.state, ann.model_dim, ann.norm_bound) == (1, "open", DIM, NORM_BOUND)
    w = clinics[0].global_model(ann)
    assert w.dtype == np.float32 and w.shape == (DIM,) and ann.matches_model(w)
    ups = updates()
    for c, u in zip(clinics, ups):
        verdict = c.submit(u, ann)
        assert verdict["decision"] == "accepted" and verdict["clinic_id"] == c.id
        assert not verdict["clipped"] and verdict["timings"]["prove"] > 0
    status = server.wait(1, timeout=120)
    assert status["state"] == "published" and status["accepted"] == CLINICS
    mean = server.update(1)
    # Quantization error: at most 1/(2S) per coordinate and clinic, S = 512.
    assert np.max(np.abs(mean - np.mean(ups, axis=0))) <= 1 / 512
    nxt = server.published_model(1)
    np.testing.assert_allclose(nxt, w + mean, atol=1e-6)
    ann2 = clinics[0].announcement()
    assert ann2.round == 2 and ann2.matches_model(nxt)


def test_clipped_update_is_accepted_and_reported(serve) -> None:
    s = serve(rounds=1)
    c = zkfl.Clinic(s.clinic_keys(1), server=s.url)
    big = np.full(DIM, 10.0, np.float32)
    sealed = c.seal(big, c.announcement())
    assert sealed.clipped and sealed.norm > NORM_BOUND and sealed.proof_kind == "honest"
    assert c.send(sealed)["decision"] == "accepted"


@pytest.mark.parametrize(
    "update, code",
    [
        (np.zeros(DIM, np.float64), "wrong_dtype"),
        (np.zeros(DIM, ">f4"), "wrong_dtype"),
        (np.zeros((2, DIM // 2), np.float32), "wrong_shape"),
        (np.zeros(DIM + 1, np.float32), "wrong_length"),
        (np.zeros(DIM - 1, np.float32), "wrong_length"),
        (np.array([np.nan] + [0.0] * (DIM - 1), np.float32), "not_finite"),
        (np.array([np.inf] + [0.0] * (DIM - 1), np.float32), "not_finite"),
        ([0.0] * DIM, "not_an_array"),
    ],
)
def test_bad_updates_raise_typed_input_errors(serve, update, code) -> None:
    s = serve(rounds=1)
    c = zkfl.Clinic(s.clinic_keys(1), server=s.url)
    ann = c.announcement()
    with pytest.raises(zkfl.InputError) as e:
        c.seal(update, ann)
    assert e.value.code == code and e.value.status is None
    assert isinstance(e.value, zkfl.ZkflError)


def test_non_contiguous_view_is_accepted(serve) -> None:
    s = serve(rounds=1)
    c = zkfl.Clinic(s.clinic_keys(1), server=s.url)
    base = np.zeros(2 * DIM, np.float32)
    base[::2] = 0.01
    assert c.submit(base[::2])["decision"] == "accepted"


def test_stale_announcement_is_refused_by_the_server(serve) -> None:
    s = serve(rounds=2)
    clinics = [zkfl.Clinic(s.clinic_keys(i + 1), server=s.url) for i in range(CLINICS)]
    old = clinics[0].announcement()
    for c, u in zip(clinics, updates()):
        c.submit(u, old)
    zkfl.Server(s.url).wait(1, timeout=120)
    # Round 2 is open now; an envelope sealed for round 1 is answered with the API's code.
    with pytest.raises(zkfl.ApiError) as e:
        clinics[0].submit(updates()[0], old)
    assert e.value.code in ("wrong_round", "round_not_open") and e.value.status == 409


def test_announcement_past_its_deadline_is_stale(serve) -> None:
    s = serve(rounds=1, deadline=2)
    c = zkfl.Clinic(s.clinic_keys(1), server=s.url)
    ann = c.announcement()
    time.sleep(max(0.0, ann.deadline - time.time()) + 1.0)
    assert ann.expired()
    with pytest.raises(zkfl.AnnouncementError) as e:
        c.seal(updates()[0], ann)
    assert e.value.code == "stale_announcement"


def test_admin_close_publishes_the_clinics_that_submitted(serve) -> None:
    s = serve(rounds=1)
    c = zkfl.Clinic(s.clinic_keys(2), server=s.url)
    u = updates()[1]
    c.submit(u)
    server = zkfl.Server(s.url, keys=s.keys)
    assert server.announcement().state == "open"
    server.close(1)
    status = server.wait(1, timeout=120)
    assert (status["state"], status["accepted"], status["rejected"]) == ("published", 1, 0), status["failure"]
    assert np.max(np.abs(server.update(1) - u)) <= 1 / 1024
    with pytest.raises(zkfl.KeysError):
        zkfl.Server(s.url).announcement()


def test_announcement_of_a_finished_federation_is_not_open(serve) -> None:
    s = serve(rounds=1)
    clinics = [zkfl.Clinic(s.clinic_keys(i + 1), server=s.url) for i in range(CLINICS)]
    ann = clinics[0].announcement()
    for c, u in zip(clinics, updates()):
        c.submit(u, ann)
    zkfl.Server(s.url).wait(1, timeout=120)
    with pytest.raises(zkfl.AnnouncementError) as e:
        clinics[0].announcement()
    assert e.value.code == "round_not_open"
    # Sealing for a round that was open when fetched but is not any more is refused by the server.
    with pytest.raises(zkfl.ApiError) as e2:
        clinics[0].submit(updates()[0], ann)
    assert e2.value.code == "round_not_open"


def test_keys_of_another_aggregator_fail_the_announcement_check(serve, other_keys) -> None:
    s = serve(rounds=1)
    c = zkfl.Clinic(other_keys / "clinics" / "1", server=s.url)
    with pytest.raises(zkfl.AnnouncementError) as e:
        c.announcement()
    assert e.value.code == "announcement_invalid"


def test_signing_key_of_another_clinic_is_refused(serve, tmp_path: Path) -> None:
    s = serve(rounds=1)
    forged = tmp_path / "forged"
    shutil.copytree(s.clinic_keys(1), forged)
    (forged / "clinic-id").write_text("2")  # clinic 1's signing key, claiming to be clinic 2
    c = zkfl.Clinic(forged, server=s.url)
    with pytest.raises(zkfl.ApiError) as e:
        c.submit(updates()[1])
    assert e.value.code == "signature_invalid" and e.value.status == 403


def test_missing_keys_raise_keys_error(tmp_path: Path) -> None:
    with pytest.raises(zkfl.KeysError) as e:
        zkfl.Clinic(tmp_path / "nowhere")
    assert e.value.code == "keys"


def test_unreachable_server_raises_transport_error(keys: Path) -> None:
    from conftest import free_port

    c = zkfl.Clinic(keys / "clinics" / "1", server=f"http://127.0.0.1:{free_port()}", retries=0)
    with pytest.raises(zkfl.TransportError) as e:
        c.announcement()
    assert e.value.code == "transport"


def test_poisoned_submission_is_rejected_and_duplicate_refused(serve) -> None:
    s = serve(rounds=1)
    c = zkfl.Clinic(s.clinic_keys(CLINICS), server=s.url)
    ann = c.announcement()
    poison = np.full(DIM, 5.0, np.float32)  # norm ≈ 32 ≫ τ
    sealed = c.seal_poisoned(poison, ann)
    assert sealed.proof_kind in ("cheating", "forged")
    with pytest.raises(zkfl.ApiError) as e:
        c.send(sealed)
    assert e.value.code == "proof_invalid" and e.value.status == 422
    with pytest.raises(zkfl.ApiError) as e2:
        c.submit(updates()[0], ann)
    assert e2.value.code == "duplicate_submission"
    status = zkfl.Server(s.url).status(1)
    assert [(x["clinic_id"], x["code"]) for x in status["submissions"]] == [(CLINICS, "proof_invalid")]


def test_verifier_checks_submissions_like_the_server(serve, other_keys) -> None:
    s = serve(rounds=1)
    c = zkfl.Clinic(s.clinic_keys(2), server=s.url)
    ann = c.announcement()
    v = zkfl.Verifier(s.keys)
    ok = v.verify(c.seal(updates()[0], ann).envelope, ann)
    assert ok["clinic_id"] == 2 and ok["round"] == 1 and len(ok["digest"]) == 128
    with pytest.raises(zkfl.ApiError) as e:
        v.verify(c.seal_poisoned(np.full(DIM, 5.0, np.float32), ann).envelope, ann)
    assert e.value.code == "proof_invalid"
    env = bytearray(c.seal(updates()[0], ann).envelope)
    env[-1] ^= 1
    with pytest.raises(zkfl.ApiError) as e2:
        v.verify(bytes(env), ann)
    assert e2.value.code == "envelope_open_failed"
    with pytest.raises(zkfl.ApiError) as e3:
        zkfl.Verifier(other_keys).verify(c.seal(updates()[0], ann).envelope, ann)
    assert e3.value.code in ("envelope_open_failed", "unknown_clinic", "signature_invalid")


def test_gil_is_released_while_proving(serve) -> None:
    """A Python thread keeps running while another thread seals: its longest pause is far below the seal's
    duration (with the GIL held through encrypt and prove it would be about the whole duration)."""
    s = serve(rounds=1)
    c = zkfl.Clinic(s.clinic_keys(1), server=s.url)
    ann = c.announcement()
    c.seal(updates()[0], ann)  # warm: BFV key download and decode
    done = threading.Event()
    gaps: list[float] = []

    def ticker() -> None:
        last = time.perf_counter()
        while not done.is_set():
            now = time.perf_counter()
            gaps.append(now - last)
            last = now
            time.sleep(0.001)

    t = threading.Thread(target=ticker)
    t.start()
    t0 = time.perf_counter()
    c.seal(updates()[0], ann)
    took = time.perf_counter() - t0
    done.set()
    t.join()
    assert max(gaps) < 0.5 * took, (max(gaps), took)
