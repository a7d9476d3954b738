"""Reps who respond to the plan: populations, sales technologies and behaviour models (design §4).

* :class:`Rep`, :class:`Population` — rep profiles as a validated columnar table with verbs;
* :class:`NormalSales`, :class:`DealSales` — sales technologies; :class:`Seasonality`, :class:`Ramp`;
* :func:`best_response` — static best responses; effort models ``static``, ``dynamic``,
  ``fixed_effort``, ``rule_of_thumb`` behind one contract (:mod:`spmopt.reps.behaviour`), deal
  timing, ratchet anticipation and attrition.
"""

from spmopt.reps.behaviour.attrition import HazardAttrition, NoAttrition, Workforce
from spmopt.reps.behaviour.baselines import FixedEffort, RuleOfThumb
from spmopt.reps.behaviour.contract import EffortModel, EffortPolicy
from spmopt.reps.behaviour.dynamic import DynamicBestResponse, DynamicPolicy
from spmopt.reps.behaviour.ratchet import RatchetAnticipation
from spmopt.reps.behaviour.registry import Behaviour, behaviour_from_dict, create, effort_model
from spmopt.reps.behaviour.static import BestResponse, StaticBestResponse, best_response
from spmopt.reps.behaviour.timing import DealTiming, NoTiming, TimingDecision
from spmopt.reps.population import Population, Rep
from spmopt.reps.seasonality import Ramp, Seasonality, split_annual
from spmopt.reps.situation import Situation
from spmopt.reps.technology import DealSales, NormalSales

__all__ = [
    "Behaviour",
    "BestResponse",
    "DealSales",
    "DealTiming",
    "DynamicBestResponse",
    "DynamicPolicy",
    "EffortModel",
    "EffortPolicy",
    "FixedEffort",
    "HazardAttrition",
    "NoAttrition",
    "NoTiming",
    "NormalSales",
    "Population",
    "Ramp",
    "RatchetAnticipation",
    "Rep",
    "RuleOfThumb",
    "Seasonality",
    "Situation",
    "StaticBestResponse",
    "TimingDecision",
    "Workforce",
    "behaviour_from_dict",
    "best_response",
    "create",
    "effort_model",
    "split_annual",
]
