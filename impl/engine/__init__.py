"""Executes procedure models (``mckm.models.procedures``) as sans-IO role state machines."""

from mckm.impl.engine.machine import (
    Action,
    Effect,
    EffectContext,
    EffectRegistry,
    Emit,
    RoleMachine,
    Send,
)
from mckm.impl.engine.messages import DictMessage, FieldsView
from mckm.impl.engine.refusal import MIKEY_ERROR_NAMES, StepRefused

__all__ = [
    "MIKEY_ERROR_NAMES",
    "Action",
    "DictMessage",
    "Effect",
    "EffectContext",
    "EffectRegistry",
    "Emit",
    "FieldsView",
    "RoleMachine",
    "Send",
    "StepRefused",
]
