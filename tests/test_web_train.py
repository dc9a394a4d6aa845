"""The Train page's sessions (chainrule.web.playground) and endpoints (chainrule.web.train_api):
data sets, the network on the real engine, vanishing gradients shown per layer, and the bounds
on sessions (count, expiry, one stream each)."""

import json

import numpy as np
import pytest
from fastapi.testclient import TestClient

import chainrule as cr
from chainrule.web.app import Limits, create_app
from chainrule.web.playground import FEATURES, Session, TrainConfig, build_network

DEEP = {"dataset": "moons", "hidden": [8] * 10, "lr": 0.1}


def _ratio(frame):
    """First layer's gradient norm over the last hidden layer's."""
    norms = [g["norm"] for g in frame["grad_norms"]]
    return norms[0] / norms[-2]


@pytest.mark.parametrize("dataset", ["circle", "xor", "gaussian", "spiral", "moons"])
def test_each_dataset_has_both_classes_split_as_asked_inside_the_plane(dataset):
    session = Session(TrainConfig(dataset=dataset, samples=200, test_fraction=0.3, noise=0.2))
    train, test = session.points["train"], session.points["test"]
    assert (len(train), len(test)) == (140, 60)
    assert {label for *_, label in train} == {0, 1}
    assert np.abs(np.array(train + test)[:, :2]).max() < 7.5


def test_features_are_the_chosen_functions_of_the_point():
    session = Session(TrainConfig(features=list(FEATURES), samples=20))
    (a, b, _), row = session.points["train"][0], session.x_train[0]
    expected = [a, b, a * a, b * b, a * b, np.sin(a), np.sin(b)]
    assert row == pytest.approx(np.array(expected, dtype=np.float32), abs=2e-3)  # points: 3 dp


def test_network_has_the_layers_asked_and_residual_blocks_where_widths_match():
    model, linears = build_network(TrainConfig(hidden=[3, 3, 2], residual=True, layer_norm=True))
    assert [(lin.in_features, lin.out_features) for lin in linears] == [
        (2, 3),
        (3, 3),
        (3, 2),
        (2, 1),
    ]
    assert "Residual" in repr(model[1]) and "Residual" not in repr(model[0])
    assert "LayerNorm" in repr(model[0])


def test_training_lowers_the_loss_on_the_circle():
    session = Session(TrainConfig(dataset="circle", features=["x1^2", "x2^2"], hidden=[4], lr=0.1))
    before = session.step(0)["train_loss"]
    after = session.step(300)
    assert after["step"] == 300
    assert after["train_loss"] < 0.5 * before
    assert after["test_loss"] < 0.5 * before


def test_gradient_norms_are_the_norms_of_each_weights_grad():
    session = Session(TrainConfig(hidden=[3, 2]))
    frame = session.step(1)
    expected = [float(np.linalg.norm(lin.weight.grad.numpy())) for lin in session.linears]
    assert [g["norm"] for g in frame["grad_norms"]] == expected
    assert [g["layer"] for g in frame["grad_norms"]] == ["layer 1", "layer 2", "output"]


def test_sigmoid_at_depth_ten_vanishes_and_residual_connections_bring_it_back():
    sigmoid = Session(TrainConfig(**DEEP, activation="sigmoid")).step(20)
    assert _ratio(sigmoid) < 1e-6  # each sigmoid' <= 1/4, and small weights: 10 layers
    norms = [g["norm"] for g in sigmoid["grad_norms"]]
    assert norms == sorted(norms)  # shrinking layer by layer toward the input
    residual = Session(TrainConfig(**DEEP, activation="relu", residual=True)).step(20)
    assert _ratio(residual) > 0.1


def test_regularisation_adds_the_weights_penalty_to_the_loss():
    plain = Session(TrainConfig(hidden=[3]))
    l2 = Session(TrainConfig(hidden=[3], regularization="l2", reg_rate=0.1))
    penalty = sum(float((lin.weight.detach().numpy() ** 2).sum()) for lin in plain.linears)
    expected = plain.step(0)["train_loss"] + 0.1 * penalty
    assert l2.step(0)["train_loss"] == pytest.approx(expected, rel=1e-5)


def test_boundary_and_neurons_cover_their_grids():
    frame = Session(TrainConfig(hidden=[3, 2])).step(0)
    assert len(frame["boundary"]["values"]) == frame["boundary"]["size"] ** 2
    assert all(0 <= p <= 1 for p in frame["boundary"]["values"])
    assert [len(layer) for layer in frame["neurons"]] == [3, 2]


# ----------------------------------------------------------------------------- over HTTP
@pytest.fixture
def client():
    return TestClient(create_app(Limits(train_sessions=2, stream_s=0.5)))


def _create(client, **config):
    answer = client.post("/api/train/sessions", json=config)
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_session_starts_steps_and_is_deleted(client):
    created = _create(client, dataset="xor", hidden=[4])
    assert created["frame"]["step"] == 0 and created["config"]["dataset"] == "xor"
    key = created["id"]
    assert client.post(f"/api/train/sessions/{key}/step?count=5").json()["step"] == 5
    assert client.delete(f"/api/train/sessions/{key}").status_code == 204
    assert client.post(f"/api/train/sessions/{key}/step").status_code == 404


def test_stream_sends_frames_then_an_end_event(client):
    key = _create(client, hidden=[2])["id"]
    with client.stream("GET", f"/api/train/sessions/{key}/stream?steps_per_frame=3") as events:
        assert events.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in events.iter_lines() if line]
    frames = [
        json.loads(line[5:]) for line in lines if line.startswith("data:") and line != "data: {}"
    ]
    assert [f["step"] for f in frames[:3]] == [3, 6, 9]
    assert lines[-2:] == ["event: end", "data: {}"]


def test_a_second_stream_of_the_same_session_gets_409(client):
    key = _create(client, hidden=[2])["id"]
    with client.stream("GET", f"/api/train/sessions/{key}/stream") as first:
        next(first.iter_lines())
        second = client.get(f"/api/train/sessions/{key}/stream")
        assert second.status_code == 409
    with client.stream("GET", f"/api/train/sessions/{key}/stream") as third:  # free again
        assert third.status_code == 200


def test_sessions_are_bounded_and_expire():
    app = create_app(Limits(train_sessions=2, session_ttl_s=60))
    client = TestClient(app)
    keys = [_create(client)["id"], _create(client)["id"]]
    full = client.post("/api/train/sessions", json={})
    assert full.status_code == 429
    assert "2 training sessions are running" in full.json()["detail"]
    first = app.state.sessions.get(keys[0])
    first.touched -= 61  # as if left idle for longer than the time to live
    assert client.post(f"/api/train/sessions/{keys[0]}/step").status_code == 404
    assert client.post(f"/api/train/sessions/{keys[1]}/step").status_code == 200
    _create(client)  # room again


@pytest.mark.parametrize(
    "config",
    [{"hidden": [17]}, {"hidden": [2] * 13}, {"features": ["x3"]}, {"features": []},
     {"activation": "softmax"}, {"batch_size": 0}, {"lr": -1}, {"samples": 10**6},
     {"dataset": "mnist"}],
)  # fmt: skip
def test_out_of_bounds_configs_get_422(client, config):
    assert client.post("/api/train/sessions", json=config).status_code == 422


def test_unknown_session_gets_404(client):
    assert client.get("/api/train/sessions/nope/stream").status_code == 404
    assert client.delete("/api/train/sessions/nope").status_code == 404


def test_train_page_is_served(client):
    page = client.get("/train")
    assert page.status_code == 200 and '<script src="/static/train.js"' in page.text


def test_session_uses_the_engine_not_a_copy_of_it():
    session = Session(TrainConfig(hidden=[2]))
    assert isinstance(session.model, cr.nn.Module)
    assert all(isinstance(p, cr.nn.Parameter) for p in session.model.parameters())


def test_explain_endpoint_gives_one_examples_gradients_as_the_engine_computes_them(client):
    key = _create(client, hidden=[3, 2], activation="sigmoid")["id"]
    client.post(f"/api/train/sessions/{key}/step?count=5")
    answer = client.post(f"/api/train/sessions/{key}/explain?index=2")
    assert answer.status_code == 200
    explanation = answer.json()["explanation"]
    gradients = {g["name"]: g["gradient"] for g in explanation["gradients"]}
    assert {"0.0.weight", "1.0.weight", "2.weight"} <= set(gradients)
    assert answer.json()["layout"] is not None
    assert all(step["module"] for step in explanation["forward"][:3])

    session = client.app.state.sessions.get(key)  # the same loss, differentiated by backward()
    model = session.model
    before = [p.grad.numpy().copy() for p in model.parameters()]
    expected = session.explain(2)
    assert gradients["0.0.weight"] == expected.grad("0.0.weight").tolist()
    after = [p.grad.numpy() for p in model.parameters()]
    assert all(np.array_equal(b, a) for b, a in zip(before, after, strict=True))  # untouched
    model.zero_grad()
    logits = model(cr.tensor(session.x_train[2:3])).reshape(-1)
    target = cr.tensor(session.y_train[2:3])
    cr.nn.functional.binary_cross_entropy_with_logits(logits, target).backward()
    np.testing.assert_allclose(gradients["0.0.weight"], model[0][0].weight.grad.numpy(), rtol=1e-6)


def test_explain_endpoint_refuses_an_example_out_of_range(client):
    key = _create(client, samples=20, test_fraction=0.5)["id"]
    answer = client.post(f"/api/train/sessions/{key}/explain?index=10")
    assert answer.status_code == 400
    assert answer.json()["detail"] == "example 10 out of range: 10 training examples"


# ----------------------------------------------------------------------------- digits
DIGITS = {"dataset": "digits", "hidden": [16], "lr": 0.3, "batch_size": 32}


def test_digits_train_an_mlp_and_the_confusion_matrix_counts_the_test_split(client):
    from sklearn.metrics import confusion_matrix

    started = _create(client, **DIGITS)
    assert started["points"] == {"train": [], "test": []}  # no plane to draw
    assert [w["shape"] for w in started["weights"]] == [[16, 64], [10, 16]]
    key = started["id"]
    for _ in range(4):
        frame = client.post(f"/api/train/sessions/{key}/step?count=100").json()
    assert frame["boundary"] is None and frame["neurons"] == []
    confusion = frame["confusion"]
    session = client.app.state.sessions.get(key)
    predicted = session.model(cr.tensor(session.x_test)).detach().numpy().argmax(1)
    expected = confusion_matrix(session.y_test, predicted, labels=range(10))
    assert confusion["classes"] == list(range(10))
    assert confusion["counts"] == expected.tolist()
    assert confusion["accuracy"] == pytest.approx(np.trace(expected) / len(session.y_test))
    assert confusion["accuracy"] > 0.85  # 400 steps of 32 images
    assert frame["test_loss"] < started["frame"]["test_loss"] / 3


def test_digits_loss_is_cross_entropy_over_ten_classes_as_in_pytorch():
    import torch

    session = Session(TrainConfig(**DIGITS))
    session.step(20)
    frame = session.frame()
    logits = session.model(cr.tensor(session.x_train)).detach().numpy()
    expected = torch.nn.functional.cross_entropy(
        torch.tensor(logits), torch.tensor(session.y_train)
    ).item()
    assert frame["train_loss"] == pytest.approx(expected, rel=1e-5)


# ----------------------------------------------------------------------------- one weight's chain
def _engine_gradient(session, index, linear_index):
    """``.grad`` of one layer's weights after backward() of example ``index``'s loss."""
    model = session.model
    model.zero_grad()
    session._data_loss(model(cr.tensor(session.x_train[index : index + 1])),
                       session.y_train[index : index + 1]).backward()  # fmt: skip
    return session.linears[linear_index].weight.grad.numpy()


@pytest.mark.parametrize(
    "config",
    [
        {"hidden": [3, 2], "activation": "sigmoid"},
        {"hidden": [3, 3], "activation": "tanh", "residual": True},
        {"hidden": [4, 4], "activation": "relu", "layer_norm": True},
        DIGITS,
    ],
    ids=["sigmoid", "residual", "layer-norm", "digits"],
)
def test_a_weights_chain_of_local_derivatives_multiplies_to_the_engines_gradient(client, config):
    started = _create(client, **config)
    key = started["id"]
    client.post(f"/api/train/sessions/{key}/step?count=20")
    session = client.app.state.sessions.get(key)
    for linear_index, weight in enumerate(started["weights"]):
        out, inputs = weight["shape"]
        row, col = out - 1, inputs // 2
        answer = client.post(
            f"/api/train/sessions/{key}/weight",
            params={"parameter": weight["parameter"], "row": row, "col": col, "index": 3},
        )
        assert answer.status_code == 200, answer.text
        chain = answer.json()
        values = [factor["value"] for factor in chain["factors"]]
        assert chain["agrees"] and chain["product"] == pytest.approx(np.prod(values))
        engine = _engine_gradient(session, 3, linear_index)[row, col]
        assert chain["gradient"] == pytest.approx(float(engine), rel=1e-5, abs=1e-9)
        assert chain["product"] == pytest.approx(float(engine), rel=1e-4, abs=1e-9)
        forward = {step["name"] for step in session.explain(3).to_dict()["forward"]}
        assert chain["nodes"][-1] == weight["parameter"] and set(chain["nodes"][:-1]) <= forward
        # The last factor is the input the weight multiplies: dz[row]/dW[row, col] = x[col].
        assert chain["factors"][-1]["symbol"].endswith(f"/∂{weight['parameter']}[{row},{col}]")
        upstream = chain["upstream"]
        if upstream is not None:  # a sum the engine collected: its terms add up to it
            total = sum(term["value"] for term in upstream["terms"])
            assert total == pytest.approx(upstream["value"], rel=1e-4, abs=1e-9)


def test_weight_chain_refuses_what_is_not_a_weight(client):
    key = _create(client, hidden=[3])["id"]
    url = f"/api/train/sessions/{key}/weight"
    wrong = client.post(url, params={"parameter": "0.0.bias", "row": 0, "col": 0})
    assert wrong.status_code == 400 and "shape [3]" in wrong.json()["detail"]
    outside = client.post(url, params={"parameter": "0.0.weight", "row": 3, "col": 0})
    assert outside.status_code == 400 and "no weight [3, 0]" in outside.json()["detail"]
    unknown = client.post(url, params={"parameter": "nope", "row": 0, "col": 0})
    assert unknown.status_code == 400 and "no parameter 'nope'" in unknown.json()["detail"]
