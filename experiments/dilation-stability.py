"""
How the linked dilation model's nine hypernetwork steps behave at its initial weights
(issue 13): the per-image L1 error of the whole model, and the size of the iterates
step^i(x), i = 1 … 9. The report of experiments/dilation.mjs quotes it.

    node packages/cli/bin/cajal.js train examples/train/dilation.cajal --train dilation \\
        --engine torch --limit 640 --plan /tmp/dilation-plan
    /usr/bin/python3 experiments/dilation-stability.py /tmp/dilation-plan

The plan holds the block's data, targets and initial weights (seed 1); nothing is trained.
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "packages", "train", "python"))
import cajal_torch  # noqa: E402


def kernel_step_padding(value):
    """The generated module's per-image kernel step, padding with `value` (the authors: -1) instead of 0."""
    def kernel_step(image, kernels, window):
        half = window // 2
        padded = torch.nn.functional.pad(image, (half, half, half, half), value=value)
        columns = torch.nn.functional.unfold(padded, window)
        return torch.bmm(kernels.unsqueeze(1), columns).reshape(image.shape[0], -1)
    return kernel_step


def main(plan_directory, images=640, traced=64):
    torch.set_num_threads(1)
    with open(os.path.join(plan_directory, "plan.json")) as f:
        plan = json.load(f)
    module = cajal_torch.load_module(plan["module"])
    networks = module.build_networks(list(plan["externs"]))
    cajal_torch.load_weights(plan["initialWeights"], networks)
    model = module.definitions[plan["definition"]](networks)
    x = cajal_torch.read_npy(plan["fields"][0]["test"])[:images]
    d = cajal_torch.read_npy(plan["fields"][1]["test"])[:images]
    target = cajal_torch.read_npy(plan["targets"]["test"])[:images].reshape(x.shape[0], -1)
    # As trained here (0...1, background 0), then as the authors scale (-1...1, background -1):
    # the targets commute with that map; L1 is reported in 0...1 units both times.
    for name, scale, background in (("images 0...1, padding 0", 1.0, 0.0), ("images -1...1, padding -1 (the authors')", 2.0, -1.0)):
        module._kernel_step = kernel_step_padding(background)
        xs, ts = scale * x + background, scale * target + background
        with torch.no_grad():
            error = (model(xs, d).reshape(x.shape[0], -1) - ts).abs().mean(1) / scale
            quantiles = torch.quantile(error, torch.tensor([0.0, 0.5, 0.9, 0.99, 1.0]))
            print("%s: %d test images; per-image L1 error of the linked model at its initial weights:" % (name, x.shape[0]))
            print("  min %.3g, median %.3g, 90%% %.3g, 99%% %.3g, max %.3g" % tuple(quantiles.tolist()))
            print("  identity (input unchanged): median %.3g" % (x.reshape(x.shape[0], -1) - target).abs().mean(1).median())
            state = xs.reshape(-1, 28, 28)[:traced]
            print("  the iterates step^i(x) of the first %d test images (largest |value| over all, and the median image's):" % traced)
            for i in range(1, 10):
                state = networks["step"](state)
                largest = state.reshape(state.shape[0], -1).abs().max(1).values
                print("    i = %d: largest %.3g, median image %.3g" % (i, float(largest.max()), float(largest.median())))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: dilation-stability.py PLAN_DIRECTORY (from cajal train … --plan)")
    main(sys.argv[1])
