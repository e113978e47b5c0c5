"""The app's models in PyTorch, by model kind (the catalog's `model` names)."""
from typing import Dict

from .base import StateError, VideoModel
from .convlstm import ConvLstmForecaster
from .lstm import LstmEncoderDecoder
from .rcnn import VideoLanguageModel
from .vgan import VideoGan

MODELS = {"lstm": LstmEncoderDecoder, "vgan": VideoGan, "rcnn": VideoLanguageModel, "convlstm": ConvLstmForecaster}


def create_model(kind: str, config: Dict, seed: int) -> VideoModel:
    if kind not in MODELS:
        raise ValueError(f'This package has no model "{kind}" (available: {", ".join(MODELS)})')
    return MODELS[kind](config, seed)


__all__ = ["MODELS", "StateError", "VideoModel", "create_model"]
