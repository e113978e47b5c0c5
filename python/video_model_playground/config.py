"""Model configs: the app's presets and schema (catalog.json, written from `src/core/models/*/config.ts`
by `npm run python:catalog`), overrides checked field by field with errors naming the key, and the
checks that span several fields, as the app's `resolveConfig` makes them.
"""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, List


class ConfigError(ValueError):
    """A config value that does not fit, naming the field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


@lru_cache(maxsize=1)
def catalog() -> Dict[str, Dict[str, Any]]:
    """The app's model catalog by model kind."""
    text = (Path(__file__).with_name("catalog.json")).read_text(encoding="utf-8")
    return {entry["kind"]: entry for entry in json.loads(text)["models"]}


def model_entry(kind: str) -> Dict[str, Any]:
    models = catalog()
    if kind not in models:
        raise ConfigError("model", f"model must be one of: {', '.join(models)} (got {kind})")
    return models[kind]


def field_problem(field: Dict[str, Any], value: Any) -> str | None:
    key, kind = field["key"], field["kind"]
    if kind in ("int", "float"):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            return f"{key} must be a number (got {json.dumps(value)})"
        if kind == "int" and value != int(value):
            return f"{key} must be an integer (got {value})"
        if not field["min"] <= value <= field["max"]:
            return f"{key} must be between {field['min']} and {field['max']} (got {value})"
        return None
    if kind == "boolean":
        return None if isinstance(value, bool) else f"{key} must be true or false (got {json.dumps(value)})"
    if value not in field["options"]:
        return f"{key} must be one of {', '.join(field['options'])} (got {json.dumps(value)})"
    return None


def check_value(kind: str, key: str, value: Any) -> None:
    """Checks one value against the model's schema; raises a ConfigError naming the key."""
    fields = {field["key"]: field for field in model_entry(kind)["schema"]}
    if key not in fields:
        raise ConfigError(key, f'Unknown config key "{key}"')
    problem = field_problem(fields[key], value)
    if problem:
        raise ConfigError(key, problem)


def _check_lstm(c: Dict[str, Any]) -> None:
    if c["conditionalReconstruction"] and not c["reconstruct"]:
        raise ConfigError("conditionalReconstruction", "conditionalReconstruction needs a reconstruction decoder")
    if c["conditionalFuture"] and not c["predictFuture"]:
        raise ConfigError("conditionalFuture", "conditionalFuture needs a future decoder")


def _check_vgan(c: Dict[str, Any]) -> None:
    levels = math.log2(c["frameSize"] / 4)
    if levels != int(levels) or levels < 1:
        raise ConfigError("frameSize", f"frameSize must be 8, 16, 32, 64 or 128 (got {c['frameSize']})")
    if c["frames"] % 2 ** int(levels):
        raise ConfigError("frames", f"frames must be a multiple of frameSize / 4 = {2 ** int(levels)}")
    if c["channels"] not in (1, 3):
        raise ConfigError("channels", f"channels must be 1 or 3 (got {c['channels']})")
    if c["variant"] == "one-stream" and c["maskL1Weight"] != 0:
        raise ConfigError("maskL1Weight", "maskL1Weight needs a mask (two-stream or image-to-video)")
    if c["variant"] != "image-to-video" and c["imageL1Weight"] != 0:
        raise ConfigError("imageL1Weight", "imageL1Weight needs the image-to-video variant")


def _check_rcnn(c: Dict[str, Any]) -> None:
    if c["patchSize"] > c["frameSize"]:
        raise ConfigError("patchSize", "patchSize must not exceed frameSize")
    if c["patchStride"] > c["patchSize"] or (c["frameSize"] - c["patchSize"]) % c["patchStride"]:
        raise ConfigError("patchStride", "patches of patchSize at patchStride must tile the frame")
    if c["kernelSize"] % 2 != 1:
        raise ConfigError("kernelSize", f"kernelSize must be odd (got {c['kernelSize']})")
    if c["variant"] == "rnn" and c["kernelSize"] != 1:
        raise ConfigError("kernelSize", "The rNN sees one patch location: kernelSize must be 1")
    if c["extrapolationFrames"] > c["frames"] - 2:
        raise ConfigError("extrapolationFrames", f"extrapolationFrames must be at most frames - 2 = {c['frames'] - 2}")
    if c["kmeansPatches"] < c["dictionarySize"]:
        raise ConfigError("kmeansPatches", "kmeansPatches must be at least dictionarySize")


def _check_convlstm(c: Dict[str, Any]) -> None:
    if c["kernelSize"] % 2 != 1:
        raise ConfigError("kernelSize", f"kernelSize must be odd (got {c['kernelSize']})")
    if c["frameSize"] % c["patchSize"]:
        raise ConfigError("frameSize", f"frameSize ({c['frameSize']}) must be a multiple of patchSize ({c['patchSize']})")


CROSS_FIELD_CHECKS = {"lstm": _check_lstm, "vgan": _check_vgan, "rcnn": _check_rcnn, "convlstm": _check_convlstm}


def resolve_config(kind: str, variant: str | None = None, preset: str | None = None,
                   overrides: Dict[str, Any] | None = None) -> Dict[str, Any]:
    """Preset + variant + overrides → a checked config (the app's `resolveConfig`)."""
    entry = model_entry(kind)
    variant = variant or entry["defaultVariant"]
    preset = preset or entry["defaultPreset"]
    if variant not in entry["variants"]:
        raise ConfigError("variant", f"variant must be one of: {', '.join(entry['variants'])} (got {variant})")
    if preset not in entry["presets"]:
        raise ConfigError("preset", f"preset must be one of: {', '.join(entry['presets'])} (got {preset})")
    config = dict(entry["configs"][variant][preset])
    for key, value in (overrides or {}).items():
        check_value(kind, key, value)
        config[key] = value
    check = CROSS_FIELD_CHECKS.get(kind)
    if check:
        check(config)
    return config


def live_hyperparameter_fields(kind: str, names: List[str]) -> Dict[str, Dict[str, Any]]:
    fields = {field["key"]: field for field in model_entry(kind)["schema"]}
    return {name: fields[name] for name in names}
