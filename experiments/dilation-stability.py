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
    with torch.no_grad():
        error = (model(x, d).reshape(x.shape[0], -1) - target).abs().mean(1)
        quantiles = torch.quantile(error, torch.tensor([0.0, 0.5, 0.9, 0.99, 1.0]))
        print("test images: %d; per-image L1 error of the linked model at its initial weights:" % x.shape[0])
        print("  min %.3g, median %.3g, 90%% %.3g, 99%% %.3g, max %.3g" % tuple(quantiles.tolist()))
        print("  identity (input unchanged): median %.3g" % (x.reshape(x.shape[0], -1) - target).abs().mean(1).median())
        state = x.reshape(-1, 28, 28)[:traced]
        print("the iterates step^i(x) of the first %d test images (largest |value| over all, and the median image's):" % traced)
        for i in range(1, 10):
            state = networks["step"](state)
            largest = state.reshape(state.shape[0], -1).abs().max(1).values
            print("  i = %d: largest %.3g, median image %.3g" % (i, float(largest.max()), float(largest.median())))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: dilation-stability.py PLAN_DIRECTORY (from cajal train … --plan)")
    main(sys.argv[1])
