"""`python -m video_model_playground.bench` times every preset's training step and writes the rows
scripts/gpu-bench reads (model, variant, preset, msPerStepMedian, …), smallest presets first."""
import contextlib
import io
import json
import tempfile
import unittest
from pathlib import Path

from video_model_playground.bench import main
from video_model_playground.config import catalog


class TimesEveryPreset(unittest.TestCase):
    def test_rows_and_table(self):
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "torch.jsonl"
            printed = io.StringIO()
            with contextlib.redirect_stdout(printed):
                code = main(["--presets", "tiny", "--warmup", "1", "--steps", "3", "--budget", "0", "--out", str(out)])
            rows = [json.loads(line) for line in out.read_text().splitlines()]
        self.assertEqual(code, 0)
        self.assertEqual([(r["model"], r["variant"], r["preset"]) for r in rows],
                         [(kind, entry["defaultVariant"], "tiny") for kind, entry in catalog().items()])
        for row in rows:
            self.assertEqual((row["steps"], len(row["warmupMs"]), row["backend"]), (3, 1, "pytorch"))
            self.assertLessEqual(row["msPerStepMin"], row["msPerStepMedian"])
            self.assertLessEqual(row["msPerStepMedian"], row["msPerStepMax"])
            self.assertGreater(row["msPerStepMin"], 0)
        self.assertIn("ms/step (median)", printed.getvalue())


if __name__ == "__main__":
    unittest.main()
