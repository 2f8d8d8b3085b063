"""Act: put insight where work happens — rules that open cases, notify and tag; cases with SLAs and escalation;
signed webhooks, e-mail and team digests; the agent's context card. See docs/act.md."""

from empathica.act.card import CardSnapshot
from empathica.act.cases import assign, check_slas, comment, set_priority, set_status, sla_report
from empathica.act.engine import Evaluation, evaluate, evaluate_pending, install_rules, load_rule_file, replay
from empathica.act.notify import Delivery, deliver, digest, queue_digests, signature
from empathica.act.rules import Condition, Rule, RuleError, RuleSet, Team, load_rules, parse_rules

__all__ = ["CardSnapshot", "Condition", "Delivery", "Evaluation", "Rule", "RuleError", "RuleSet", "Team", "assign",
           "check_slas", "comment", "deliver", "digest", "evaluate", "evaluate_pending", "install_rules",
           "load_rule_file", "load_rules", "parse_rules", "queue_digests", "replay", "set_priority", "set_status",
           "signature", "sla_report"]
