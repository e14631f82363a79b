"""Scoring and stage decisions: pure functions of (person, events, evidence, rules, now).

config = load_scoring(toml["scoring"], fields=CANONICAL_FIELDS, source="config.toml")
rules = compile_rules(config)                      # once per config
result = score(person, events, rules, now)         # fit, engagement, grade, reasons
decision = decide_stage(last_entry, result, evidence, rules, now)
entry = decision.entry(person.id)                  # ledger row, or None
text = top_reasons(result)                         # <= 255 chars for both CRMs

The same rules on columns, for a chunk of people at once (`scoring.kernel`, numpy):
kernel = compile_kernel(config)                    # raises Unsupported: use the engine
scored = kernel.score(PeopleColumns..., EventColumns..., now)  # fit, ..., grade, stage arrays
scored.score(i), scored.reasons()                  # equal to score(...) and top_reasons(...)
"""

from leadsync.scoring.compile import Ruleset, compile_rules
from leadsync.scoring.decide import Decision, Transition, decide_stage
from leadsync.scoring.engine import score
from leadsync.scoring.explain import explain, top_reasons
from leadsync.scoring.gates import verdict
from leadsync.scoring.model import Contribution, Score
from leadsync.scoring.rules import ScoringConfig, load_scoring

__all__ = [
    "Contribution",
    "Decision",
    "Ruleset",
    "Score",
    "ScoringConfig",
    "Transition",
    "compile_rules",
    "decide_stage",
    "explain",
    "load_scoring",
    "score",
    "top_reasons",
    "verdict",
]
