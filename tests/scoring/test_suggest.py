"""Points from shrunk log-odds, and suggested rules written as the config's own TOML."""

from __future__ import annotations

import tomllib

import numpy as np
from scipy import sparse

from leadsync.scoring import compile_rules, load_scoring
from leadsync.scoring.attributes import Attribute
from leadsync.scoring.suggest import learn_points, render, rule_table
from leadsync.scoring.thresholds import provisional
from tests.scoring.factories import example_config, example_table

RNG = np.random.default_rng(3)
N = 4_000


def attribute(name: str, was: float | None = None) -> Attribute:
    rule = {"field": "industry", "op": "equals", "value": name}
    return Attribute("industry", name, "fit", name, name, rule, was)


def learn(columns: np.ndarray, outcome: np.ndarray, attributes, usable=None):
    usable = np.ones(columns.shape[1], dtype=bool) if usable is None else usable
    created = np.arange(len(outcome), dtype=float)
    return learn_points(sparse.csr_matrix(columns), outcome, created, attributes, usable)


def test_a_strong_signal_earns_points_in_steps_and_noise_earns_none() -> None:
    signal, noise = RNG.random(N) < 0.3, RNG.random(N) < 0.5
    outcome = RNG.random(N) < np.where(signal, 0.4, 0.1)
    columns = np.column_stack([signal, noise]).astype(float)
    points, learned = learn(columns, outcome, [attribute("signal"), attribute("noise")])
    assert points[0] >= 10 and points[0] % 5 == 0
    assert points[1] == 0 and learned.all()


def test_a_value_below_the_base_rate_earns_negative_points() -> None:
    bad = RNG.random(N) < 0.3
    outcome = RNG.random(N) < np.where(bad, 0.03, 0.2)
    points, _ = learn(bad[:, None].astype(float), outcome, [attribute("bad")])
    assert points[0] < 0


def test_two_groups_of_the_same_people_are_learned_once_under_the_current_rules_name() -> None:
    signal = RNG.random(N) < 0.3
    outcome = RNG.random(N) < np.where(signal, 0.4, 0.1)
    columns = np.column_stack([signal, signal]).astype(float)
    found = [attribute("retail"), attribute("industry-core", was=15)]
    points, learned = learn(columns, outcome, found)
    assert points[0] == 0 and not learned[0]
    assert points[1] > 0 and learned[1]


def test_groups_too_small_to_trust_learn_nothing_and_one_outcome_teaches_nothing() -> None:
    signal = RNG.random(N) < 0.3
    outcome = RNG.random(N) < np.where(signal, 0.4, 0.1)
    column = signal[:, None].astype(float)
    points, learned = learn(column, outcome, [attribute("x")], usable=np.array([False]))
    assert points[0] == 0 and not learned[0]
    assert not learn(column, np.zeros(N, dtype=bool), [attribute("x")])[0].any()


def test_rules_the_gates_name_stay_and_keep_their_points_when_nothing_was_learned() -> None:
    config = example_config()
    demo = next(r for r in config.engagement if r.id == "demo-request")
    rule = {"kind": "form_submission", "max_times": 1}
    found = [Attribute("rule", demo.id, "engagement", demo.id, demo.label, rule, demo.points)]
    table = rule_table(config, found, np.zeros(1), provisional(config), np.zeros(1, dtype=bool))
    assert [(r["id"], r["points"]) for r in table["engagement"]] == [("demo-request", 30)]


def test_the_toml_reads_back_as_the_same_table_and_compiles() -> None:
    table = example_table()
    text = render(table, {"title-executive": "lift 1.3x"})
    assert tomllib.loads(text)["scoring"] == table
    assert '# lift 1.3x\nid = "title-executive"' in text
    assert "value = '\\b(director|head of)\\b'\n" in text  # a regex reads as written
    compile_rules(load_scoring(tomllib.loads(text)["scoring"]))
