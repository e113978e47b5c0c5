"""Run under torchrun by test_train.py: resumes each shipped checkpoint for 2 steps with the
training CLI's entry point, in one process group, writing `<example>.ddp.safetensors` into the
folder given."""
import sys
from pathlib import Path

from video_model_playground.train import main

from .references import REPOSITORY
from .test_models import EXAMPLES

if __name__ == "__main__":
    out = Path(sys.argv[1])
    for example in EXAMPLES:
        checkpoint = REPOSITORY / "public" / "checkpoints" / f"{example}.safetensors"
        code = main(["--resume", str(checkpoint), "--steps", "2", "--out", str(out / f"{example}.ddp.safetensors")])
        if code != 0:
            sys.exit(code)
