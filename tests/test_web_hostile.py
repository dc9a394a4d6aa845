"""Hostile input over real HTTP, to a uvicorn server on loopback (127.0.0.1 only): every attack
gets a 4xx answer with a message within a bounded time, the server keeps serving, and its
memory stays bounded. The time bounds are hang guards, not speed tests."""

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from web_server import running_server

from chainrule.web.app import Limits, create_app

HANG_GUARD_S = 5.0
LIMITS = Limits(train_sessions=3, stream_s=2.0)


@pytest.fixture(scope="module")
def base_url():
    with running_server(create_app(LIMITS)) as url:
        yield url


@pytest.fixture
def http(base_url):
    with httpx.Client(base_url=base_url, timeout=HANG_GUARD_S) as client:
        yield client


def _rss_bytes():
    with open("/proc/self/statm") as statm:  # the server runs in this process
        import os

        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


JSON = {"content-type": "application/json"}


def _body(source, **at):
    return json.dumps({"source": source, "at": at}).encode()


_DOUBLINGS = "; ".join(f"f{i}(x) = f{i - 1}(x) + f{i - 1}(x)" for i in range(2, 40))
ATTACKS = [
    ("huge body", b'{"source": "' + b"x" * 5_000_000 + b'"}', 413),
    ("deeply nested JSON", b"[" * 1_000_000 + b"]" * 1_000_000, 413),
    ("nested JSON under the size limit",
     b'{"source": "x", "at": {"x": ' + b"[" * 30_000 + b"]" * 30_000 + b"}}", 400),
    ("deeply nested expression", _body("(" * 2000 + "x" + ")" * 2000, x=1), 400),
    ("__import__", _body("__import__('os').system('id')"), 400),
    ("dunder attribute", _body("x.__class__.__bases__", x=1), 400),
    ("giant exponent", _body("x**(10**10)", x=2), 400),
    ("tower of powers", _body("9**9**9**9"), 400),
    ("overflowing number", b'{"source": "x", "at": {"x": 1e999}}', 422),
    ("invalid JSON", b'{"source": ', 422),
    ("not UTF-8", b'{"source": "\xff\xfe"}', 400),
    ("wrong types", b'{"source": 3, "at": []}', 422),
    ("exponential user functions", _body(f"f1(x) = x + x; {_DOUBLINGS}; f39(y)", y=1), 400),
]  # fmt: skip


@pytest.mark.parametrize(("name", "body", "status"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_attack_gets_a_4xx_with_a_message_in_bounded_time(http, name, body, status):
    answer = http.post("/api/explain", content=body, headers=JSON)
    assert answer.status_code == status, answer.text[:300]
    assert answer.json()["detail"]
    assert answer.elapsed.total_seconds() < HANG_GUARD_S
    assert http.get("/api/examples").status_code == 200  # still serving


def test_overflow_inside_the_computation_is_an_answer_with_a_note_not_an_error(http):
    answer = http.post("/api/explain", json={"source": "f(a) = a**a; f(f(f(x)))", "at": {"x": 9}})
    assert answer.status_code == 200
    explanation = answer.json()["explanation"]
    assert explanation["output"]["value"] == "inf"
    assert explanation["notes"]


def test_layout_of_hostile_explanations_is_refused(http):
    def explanation(forward):
        return {"schema": "chainrule.explain/1", "values": [], "forward": forward}

    many = explanation([{"name": f"u{i}", "inputs": []} for i in range(5000)])
    assert http.post("/api/layout", json=many).status_code == 400
    # A name used before it is defined is drawn as a constant: no cycle, no endless walk.
    cyclic = explanation([{"name": "u1", "inputs": ["u1"]}])
    assert http.post("/api/layout", json=cyclic).status_code == 200


def test_a_thousand_requests_in_a_loop_leave_the_server_serving_in_bounded_memory(http):
    bodies = [body for _, body, _ in ATTACKS if len(body) < 1_000]  # the cheap ones: many
    for _ in range(50):  # warm up, so that caches and pools are already allocated
        http.post("/api/explain", content=bodies[0], headers=JSON)
    before = _rss_bytes()
    statuses = set()
    for i in range(1000):
        answer = http.post("/api/explain", content=bodies[i % len(bodies)], headers=JSON)
        statuses.add(answer.status_code)
    grown = _rss_bytes() - before
    assert statuses <= {400, 413, 422}
    assert grown < 64 * 2**20, f"memory grew by {grown / 2**20:.1f} MiB over 1,000 requests"
    ok = http.post("/api/explain", json={"source": "(x + 2)**2", "at": {"x": 3}})
    assert ok.json()["explanation"]["gradients"][0]["gradient"] == 10.0


def test_many_concurrent_training_streams_are_bounded_and_the_server_keeps_serving(base_url):
    def stream_once(_):
        with httpx.Client(base_url=base_url, timeout=HANG_GUARD_S * 4) as client:
            created = client.post("/api/train/sessions", json={"hidden": [8] * 4})
            if created.status_code != 201:
                return created.status_code
            key = created.json()["id"]
            results = []
            for _ in range(2):  # two pages on the same session: one gets 409
                with client.stream("GET", f"/api/train/sessions/{key}/stream") as events:
                    results.append(events.status_code)
                    if events.status_code == 200:
                        frames = (line for line in events.iter_lines() if line.startswith("data:"))
                        next(frames)
            client.delete(f"/api/train/sessions/{key}")
            return results

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(stream_once, range(8)))
    refused = [r for r in results if r == 429]
    streamed = [r for r in results if isinstance(r, list)]
    assert refused, "more sessions than the limit were created"
    assert streamed and all(r[0] == 200 for r in streamed)
    with httpx.Client(base_url=base_url, timeout=HANG_GUARD_S) as client:
        assert client.get("/api/examples").status_code == 200


def test_a_stream_and_its_second_listener(base_url):
    with httpx.Client(base_url=base_url, timeout=HANG_GUARD_S * 4) as client:
        key = client.post("/api/train/sessions", json={}).json()["id"]
        opened = threading.Event()

        def listen():
            with client.stream("GET", f"/api/train/sessions/{key}/stream") as events:
                opened.set()
                for _ in events.iter_lines():
                    pass

        listener = threading.Thread(target=listen)
        listener.start()
        assert opened.wait(HANG_GUARD_S)
        assert client.get(f"/api/train/sessions/{key}/stream").status_code == 409
        listener.join(timeout=HANG_GUARD_S * 2)  # the stream ends by itself (stream_s)
        assert not listener.is_alive()
        assert client.delete(f"/api/train/sessions/{key}").status_code == 204


def test_concurrent_slow_sympy_requests_are_stopped_and_the_server_keeps_serving():
    # SymPy runs one child process at a time, each killed after its time; requests that
    # cannot get a turn in time get 503. Twelve nested gelu would take SymPy minutes.
    limits = Limits(symbolic_timeout_s=0.5, request_timeout_s=1.0)
    deep = _body("gelu(" * 12 + "x" + ")" * 12, x=0.3)
    with running_server(create_app(limits)) as url:

        def ask(_):
            with httpx.Client(base_url=url, timeout=30) as client:
                return client.post("/api/symbolic", content=deep, headers=JSON)

        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(ask, range(6)))
        assert {a.status_code for a in answers} <= {200, 503}
        stopped = [a.json()["message"] for a in answers if a.status_code == 200]
        assert stopped and set(stopped) == {"SymPy took longer than 0.5 s and was stopped"}
        assert httpx.get(url + "/api/examples", timeout=HANG_GUARD_S).status_code == 200
