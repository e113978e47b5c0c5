"""Every model of the app's catalog (catalog.json, generated from src/core/models) has its PyTorch
implementation here, and its presets resolve; a model added to the app fails this test until it is
added to the package (models/__init__.py, and a parity case in tests/python/write-references.ts)."""
import unittest

from video_model_playground.config import ConfigError, catalog, resolve_config
from video_model_playground.models import MODELS, create_model


class EveryAppModelIsHere(unittest.TestCase):
    def test_models_match_the_catalog(self):
        self.assertEqual(sorted(MODELS), sorted(catalog()))

    def test_every_variant_of_the_tiny_preset_builds(self):
        for kind, entry in catalog().items():
            for variant in entry["variants"]:
                with self.subTest(kind=kind, variant=variant):
                    model = create_model(kind, resolve_config(kind, variant, "tiny"), 0)
                    names = [t.name for t in model.checkpoint_tensors()]
                    self.assertTrue(names)
                    self.assertEqual(len(set(names)), len(names))
                    self.assertEqual(sorted(model.data_requirements()),
                                     ["batchSize", "channels", "frames", "range", "size"])

    def test_overrides_are_checked(self):
        with self.assertRaisesRegex(ConfigError, "hiddenUnits must be between"):
            resolve_config("lstm", None, "tiny", {"hiddenUnits": 0})
        with self.assertRaisesRegex(ConfigError, "frames must be a multiple"):
            resolve_config("vgan", None, "tiny", {"frames": 6})


if __name__ == "__main__":
    unittest.main()
