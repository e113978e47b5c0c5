"""The app's reference outputs the parity tests compare with, written by
`tests/python/write-references.ts` into $VMP_REFERENCES (`npm run test:python` does both)."""
import json
import os
from pathlib import Path
from typing import Dict, Tuple

import numpy as np

from video_model_playground import safetensors

REPOSITORY = Path(__file__).resolve().parents[2]


def folder() -> Path:
    value = os.environ.get("VMP_REFERENCES")
    if not value:
        raise RuntimeError("VMP_REFERENCES is not set: run these tests with `npm run test:python`, which "
                           "writes the app's reference outputs first")
    return Path(value)


def load(relative: str) -> Tuple[Dict[str, np.ndarray], Dict[str, str]]:
    return safetensors.decode((folder() / relative).read_bytes())


def meta_json(metadata: Dict[str, str], key: str):
    return json.loads(metadata[key])


def relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    """max |actual − expected| / max |expected| (0 for two zero tensors)."""
    scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    difference = float(np.max(np.abs(actual.astype(np.float64) - expected))) if expected.size else 0.0
    return difference / scale if scale > 0 else difference
