"""The playground's pages in a real browser: Playwright driving Debian's Chromium, headless
(``apt-get install chromium``; Playwright's own browser download is never used).

Each test leaves a screenshot in ``test-artifacts/`` (or ``$CHAINRULE_TEST_ARTIFACTS``), to be
looked at by a person: what the page showed when the test passed.
"""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright
from web_server import running_server

import chainrule as cr
from chainrule.data import arrays
from chainrule.web.app import create_app
from chainrule.web.examples import EXAMPLES
from chainrule.web.weight_chain import weight_chain

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(
    os.environ.get("CHAINRULE_TEST_ARTIFACTS", Path(__file__).parents[1] / "test-artifacts")
)
CAKE = "f(x) = x**2; g(u) = 2*u; h(v) = v + 3; h(g(f(x)))"


@pytest.fixture(scope="module")
def app():
    return create_app()


@pytest.fixture(scope="module")
def base_url(app):
    with running_server(app) as url:  # in a thread of this process: the tests see its sessions
        yield url


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    page = browser.new_page(viewport={"width": 1100, "height": 900})
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.reported_errors = errors
    yield page
    page.close()
    assert errors == [], "the page reported errors"


def _screenshot(page, name):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _number(text):
    return float(text.strip())


def _step_label(page):
    return page.locator("#step-label").inner_text()


def test_typed_seed_example_steps_backward_showing_the_engines_numbers(page, base_url):
    page.goto(base_url + "/")
    page.fill("#source", CAKE)
    page.fill("#at", "x=5")
    page.click("#explain")
    expect(page.locator("#graph svg .node")).to_have_count(4)  # x, f, g, h
    e = cr.explain(CAKE, x=5)
    steps = 1 + len(e.forward) + len(e.backward)  # the inputs, then each op, then each rule
    for index, forward in enumerate(e.forward, start=1):
        page.click("#next")
        assert _number(page.locator(f'[data-forward="{forward.name}"]').inner_text()) == (
            pytest.approx(float(forward.value), rel=1e-5)
        )
        assert _step_label(page).startswith(f"step {index} of {steps}")
    for step in e.backward:
        page.keyboard.press("ArrowRight")
        for c in step.contributions:
            shown = page.locator(f'[data-contribution="{c.source}->{c.target}"]').inner_text()
            assert _number(shown) == pytest.approx(float(c.value), rel=1e-5)
        if step.node == "g":
            _screenshot(page, "explain-backward-step")
    page.keyboard.press("ArrowRight")
    assert _step_label(page) == f"step {steps} of {steps}: gradients"
    assert _number(page.locator('[data-gradient="x"]').inner_text()) == float(e.grad("x")) == 20
    expect(page.locator("#next")).to_be_disabled()
    page.keyboard.press("ArrowLeft")
    assert _step_label(page).startswith(f"step {steps - 1} of {steps}")


def test_seed_example_from_the_menu_gives_every_gradient_and_the_url_reproduces_it(page, base_url):
    example = next(x for x in EXAMPLES if x.id == "neuron")
    page.goto(base_url + "/")
    page.select_option("#examples", example.id)
    expect(page.locator("#graph svg")).to_be_visible()
    e = cr.explain(example.source, at=example.at)
    page.keyboard.press("End")
    for name in example.at:
        shown = page.locator(f'[data-gradient="{name}"]').inner_text()
        assert _number(shown) == pytest.approx(float(e.grad(name)), rel=1e-5)
    for _ in range(3):
        page.click("#prev")
    label, detail = _step_label(page), page.locator("#step-detail").inner_text()
    _screenshot(page, "explain-seed-neuron")

    reopened = page.context.browser.new_page()
    reopened.goto(page.url)  # the address alone brings back the expression, values and step
    expect(reopened.locator("#step-label")).to_have_text(label)
    assert reopened.locator("#step-detail").inner_text() == detail
    reopened.close()


def test_explanation_saved_by_the_cli_opens_in_the_page(page, base_url, tmp_path):
    saved = tmp_path / "two-paths.json"
    e = cr.explain("g(t) = t**2; h(t) = sin(t); f(x, y) = x*y; f(g(t), h(t))", t=1.3)
    saved.write_text(e.to_json())
    page.goto(base_url + "/")
    page.set_input_files("#open-json", str(saved))
    expect(page.locator("#graph svg .node")).to_have_count(4)
    page.keyboard.press("End")
    assert _number(page.locator('[data-gradient="t"]').inner_text()) == pytest.approx(
        float(e.grad("t")), rel=1e-5
    )
    expect(page.locator("#step-detail .fanout")).to_contain_text("t is used 2 times")


def test_bad_expression_shows_the_parsers_message(page, base_url):
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.goto(base_url + "/")
    page.fill("#source", '__import__("os")')
    page.fill("#at", "")
    page.click("#explain")
    expect(page.locator("#error")).to_contain_text("strings are not part of the language")
    _screenshot(page, "explain-error-phone")
    assert page.evaluate("location.search") == ""  # nothing explained: no state to keep
    # The browser logs the refused request itself; the page reported it in #error.
    assert page.reported_errors == [
        "Failed to load resource: the server responded with a status of 400 (Bad Request)"
    ]
    page.reported_errors.clear()


def _bars(page):
    """(norm, bar width in pixels) per layer, as the page shows them."""
    rows = page.locator("#grad-bars .bar-row")
    return {
        row.get_attribute("data-layer"): (
            float(row.get_attribute("data-norm")),
            row.locator(".bar").bounding_box()["width"],
        )
        for row in rows.all()
    }


def test_training_moons_with_sigmoid_at_depth_ten_shrinks_the_first_layers_bar(page, base_url):
    hidden = ",".join(["8"] * 10)
    page.goto(f"{base_url}/train?dataset=moons&activation=sigmoid&hidden={hidden}&lr=0.1")
    expect(page.locator("#grad-bars .bar-row")).to_have_count(11)  # 10 hidden layers + output
    page.click("#play")
    at_least_50 = re.compile(r"step ([5-9]\d|\d{3,}),")  # frames stream in, 10 steps each
    expect(page.locator("#status")).to_contain_text(at_least_50, timeout=60_000)
    page.click("#play")  # pause
    expect(page.locator("#play")).to_have_attribute("aria-pressed", "false")
    paused = page.locator("#status").inner_text()
    page.click("#step")  # one step (after any frame that was on its way when paused)
    expect(page.locator("#status")).not_to_have_text(paused)
    bars = _bars(page)
    first, last = bars["layer 1"], bars["layer 10"]
    assert first[0] < 1e-4 * last[0]  # the gradient vanishes on its way to the input
    assert first[1] < 0.5 * last[1]  # and the bar shows it
    widths = [bars[f"layer {i}"][1] for i in range(1, 11)]
    assert widths == sorted(widths)
    assert "activation=sigmoid" in page.url and f"hidden={hidden.replace(',', '%2C')}" in page.url
    _screenshot(page, "train-moons-sigmoid-depth10")

    with page.context.expect_page() as opened:  # paused: one example's gradients, explained
        page.click("#explain-link")
    explained = opened.value
    expect(explained.locator("#graph svg")).to_be_visible(timeout=20_000)
    explained.keyboard.press("End")
    shown = explained.locator('[data-gradient="0.0.weight"]').inner_text()
    assert shown.startswith("[[") and "e-" in shown  # a matrix of vanishing numbers
    explained.keyboard.press("ArrowLeft")
    _screenshot(explained, "explain-network-gradient")
    explained.close()

    page.check("#residual")  # residual connections carry the gradient back to the input
    page.select_option("#activation", "relu")
    expect(page.locator("#status")).to_contain_text("step 0,")
    page.click("#step")
    expect(page.locator("#status")).to_contain_text("step 1,")
    bars = _bars(page)
    assert bars["layer 1"][1] > 0.5 * bars["layer 10"][1]
    _screenshot(page, "train-moons-relu-residual")


# ----------------------------------------------------------------------------- the user's names
NAMED = "f = x*y; g = sin(f) + f"


def test_users_names_on_the_graph_and_sympy_next_to_each_gradient(page, base_url):
    page.goto(base_url + "/")
    page.fill("#source", NAMED)
    page.fill("#at", "x=1; y=2")
    page.click("#explain")
    expect(page.locator("#graph svg .node")).to_have_count(5)  # x, y, f, u1 = sin(f), g
    labels = [t.text_content() for t in page.locator("#graph svg .node .label").all()]
    assert {"f = x * y", "u1 = sin(f)", "g = u1 + f"} <= set(labels)
    e = cr.explain(NAMED, x=1.0, y=2.0)
    page.keyboard.press("End")
    for name in ("x", "y"):
        shown = page.locator(f'[data-gradient="{name}"]').inner_text()
        assert _number(shown) == pytest.approx(float(e.grad(name)), rel=1e-5)
        symbolic = page.locator(f'[data-symbolic="{name}"]')
        # The server's first SymPy answer waits for its fork server to import SymPy.
        expected = f"{e.gradient_of(name).symbolic} = {_short(e, name)}"
        expect(symbolic).to_have_text(expected, timeout=30_000)
    expect(page.locator("#symbolic-status")).to_have_text("")
    page.keyboard.press("ArrowLeft")  # the last rule: f's gradient, the sum of its two uses
    expect(page.locator("#step-detail")).to_contain_text("Backward through f (Mul)")
    expect(page.locator("#step-detail .fanout")).to_contain_text("∂g/∂f = 0.583853")
    _screenshot(page, "explain-named-values-sympy")
    page.set_viewport_size({"width": 390, "height": 844})
    _screenshot(page, "explain-named-values-sympy-phone")


def _short(e, name):
    """The gradient as the page prints it: six significant digits, as the text rendering."""
    return f"{float(e.gradient_of(name).symbolic_value):.6g}"


def test_sympy_column_says_so_plainly_when_the_server_has_no_sympy(page, base_url):
    # The server's answer without SymPy (tested in test_web_api), given to the page.
    answer = {
        "available": False,
        "derivatives": {},
        "message": "SymPy not installed: pip install 'chainrule[explain]' for this column",
    }
    page.route("**/api/symbolic", lambda route: route.fulfill(json=answer))
    page.goto(base_url + "/")
    page.fill("#source", "x**2")
    page.fill("#at", "x=3")
    page.click("#explain")
    expect(page.locator('[data-symbolic="x"]')).to_have_text("SymPy not installed")
    expect(page.locator("#symbolic-status")).to_have_text(answer["message"])
    page.keyboard.press("End")
    assert _number(page.locator('[data-gradient="x"]').inner_text()) == 6  # the rest as usual


# ----------------------------------------------------------------------------- digits
def _session(app, page):
    """The server's session behind the Train page (the explain link names it)."""
    href = page.locator("#explain-link").get_attribute("href")
    key = re.search(r"session=([^&]+)", href).group(1)
    return app.state.sessions.get(key)


def test_digits_train_with_a_live_confusion_matrix_and_a_weights_chain_on_pause(
    page, base_url, app
):
    page.goto(f"{base_url}/train?dataset=digits&hidden=16&lr=0.3&batch_size=32")
    expect(page.locator("#confusion-view")).to_be_visible()
    expect(page.locator("#boundary-view")).to_be_hidden()
    cells = page.locator("#confusion tbody td")
    expect(cells).to_have_count(100)
    expect(page.locator("#confusion thead th")).to_have_count(11)  # a corner, then 0-9
    page.click("#play")
    at_least_100 = re.compile(r"step ([1-9]\d\d|\d{4,}),")
    expect(page.locator("#status")).to_contain_text(at_least_100, timeout=60_000)
    page.click("#play")  # pause
    expect(page.locator("#play")).to_have_attribute("aria-pressed", "false")
    paused = page.locator("#status").inner_text()
    page.click("#step")  # one step: the matrix then belongs to a frame no stream overwrites
    expect(page.locator("#status")).not_to_have_text(paused)
    counts = [[int(page.locator(f'#confusion td[data-true="{t}"][data-predicted="{p}"]')
                   .inner_text()) for p in range(10)] for t in range(10)]  # fmt: skip
    split = arrays.digits(test_fraction=0.5, seed=0)
    assert sum(map(sum, counts)) == len(split.y_test)
    assert [sum(row) for row in counts] == [int((split.y_test == d).sum()) for d in range(10)]
    session = _session(app, page)
    predicted = session.model(cr.tensor(session.x_test)).detach().numpy().argmax(1)
    assert counts[3][3] == int(((split.y_test == 3) & (predicted == 3)).sum())
    accuracy = float(page.locator("#accuracy").inner_text().rstrip("%"))
    assert accuracy > 70
    _screenshot(page, "train-digits-confusion")

    # Paused: one weight, chosen with the keyboard, as its chain of local derivatives.
    page.select_option("#weight-layer", "0")
    page.fill("#weight-row", "5")
    page.fill("#weight-col", "36")
    page.fill("#weight-example", "7")
    page.locator("#weight-example").press("Enter")
    expect(page.locator("#weight-chain h3")).to_contain_text("weight [5, 36], training example 7")
    product = _number(page.locator("#chain-product").inner_text())
    shown = _number(page.locator("#chain-gradient").inner_text())
    model = session.model
    model.zero_grad()
    loss = session._data_loss(model(cr.tensor(session.x_train[7:8])), session.y_train[7:8])
    loss.backward()
    engine = float(model[0][0].weight.grad.numpy()[5, 36])
    assert shown == pytest.approx(engine, rel=1e-5, abs=1e-12)
    assert product == pytest.approx(engine, rel=1e-4, abs=1e-12)
    factors = page.locator("#weight-chain output[data-factor]")
    assert factors.count() >= 3
    values = [_number(f.inner_text()) for f in factors.all()]
    assert values[-1] == pytest.approx(float(session.x_train[7, 36]), rel=1e-5, abs=1e-9)
    expect(page.locator("#weight-chain")).to_contain_text("the same number")
    _screenshot(page, "train-digits-weight-chain")
    with page.context.expect_page() as opened:  # the same chain on the whole graph
        page.click("text=See it on the whole graph")
    graph = opened.value
    expect(graph.locator("#weight-chain")).to_be_visible(timeout=20_000)
    expect(graph.locator("#chain-gradient")).to_have_text(
        page.locator("#chain-gradient").inner_text()
    )
    expect(graph.locator("#graph .node.on-chain").first).to_be_visible()
    marked = {n.get_attribute("data-node") for n in graph.locator("#graph .node.on-chain").all()}
    expected = weight_chain(session.explain(7).to_dict(), "0.0.weight", 5, 36)["nodes"]
    assert marked == set(expected) and "0.0.weight" in marked
    _screenshot(graph, "explain-digits-weight-chain")
    graph.close()

    # A click on a cell of the output layer's grid explains that weight.
    page.select_option("#weight-layer", "1")
    grid = page.locator("#weight-grid")
    box = grid.bounding_box()
    cell = box["width"] / 16  # the output layer: 10 neurons x 16 inputs
    grid.click(position={"x": 4.5 * cell, "y": 2.5 * cell})
    expect(page.locator("#weight-chain h3")).to_contain_text("output, weight [2, 4]")
    expect(page.locator("#weight-chain")).to_contain_text("the same number")
    page.set_viewport_size({"width": 390, "height": 844})
    _screenshot(page, "train-digits-phone")
