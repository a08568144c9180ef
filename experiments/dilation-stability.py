"""
How the linked dilation model's nine hypernetwork steps behave at its initial weights
(issue 13): the per-image L1 error of the whole model, and the size of the iterates
step^i(x), i = 1 … 9. The report of experiments/dilation.mjs quotes it.

    node packages/cli/bin/cajal.js train examples/train/dilation.cajal --train dilation \\
        --engine torch --limit 640 --seed 1 --plan /tmp/dilation-plan-1
    /usr/bin/python3 experiments/dilation-stability.py /tmp/dilation-plan-1 [--init authors --seeds 0-9]

The plan holds the block's data, targets and initial weights (its seed); nothing is trained.
Every line is measured twice: on the images as trained here (0…1, background 0, the kernel
step padding with 0), and as the authors scale them (−1…1, background −1, padding with −1).

--init project (default): the plan's initial weights (the project's initialisers: Glorot
  with zero biases, the hypernetwork's kernels U(±1/√fan_in) with zero biases).
--init authors: every network re-drawn as the authors' scripts leave it, PyTorch's default
  nn.Conv2d / nn.Linear initialisation — weights *and biases* U(±1/√fan_in), the digit reader
  included — from torch.manual_seed(seed), for each seed of --seeds (e.g. 0-9, theirs).
  (Not their exact draws: their parameter order and layouts differ; the same distributions.)
--train-steps N [--lr X] [--scaling ours|authors]: then trains N steps as the authors do (Adam,
  L1, gradient-norm clipping 1.0, batch 64, on the plan's training rows, drawn from the seed)
  in one scaling, and measures again: does training tame the loop?
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "packages", "train", "python"))
import cajal_torch  # noqa: E402

#: An image whose iterate reaches this size (|value|, in 0…1 units) has exploded.
EXPLODED = 10.0


def kernel_step_padding(value):
    """The generated module's per-image kernel step, padding with `value` (the authors: -1) instead of 0."""
    def kernel_step(image, kernels, window):
        half = window // 2
        padded = torch.nn.functional.pad(image, (half, half, half, half), value=value)
        columns = torch.nn.functional.unfold(padded, window)
        return torch.bmm(kernels.unsqueeze(1), columns).reshape(image.shape[0], -1)
    return kernel_step


def pytorch_default_init(networks, seed):
    """PyTorch's default initialisation of nn.Conv2d and nn.Linear (kaiming_uniform with a=√5,
    i.e. U(±1/√fan_in), and the bias U(±1/√fan_in)) for every (kernel, bias) pair, in place."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for name in sorted(networks):
            params = list(networks[name].parameters())
            for kernel, bias in zip(params[0::2], params[1::2]):
                fan_in = 1
                for d in kernel.shape[:-1]:  # dense [in, out], conv [kh, kw, in, out]
                    fan_in *= d
                bound = fan_in ** -0.5
                kernel.uniform_(-bound, bound)
                bias.uniform_(-bound, bound)


SCALINGS = {"ours": ("0…1, pad 0", 1.0, 0.0), "authors": ("−1…1, pad −1 (authors')", 2.0, -1.0)}


def train(module, networks, model, plan, seed, steps, lr, scaling, batch=64):
    """`steps` optimiser steps as the authors train (Adam, L1, clip 1.0) in one scaling; the last loss."""
    _, scale, background = SCALINGS[scaling]
    module._kernel_step = kernel_step_padding(background)
    x = scale * cajal_torch.read_npy(plan["fields"][0]["train"]) + background
    d = cajal_torch.read_npy(plan["fields"][1]["train"])
    target = scale * cajal_torch.read_npy(plan["targets"]["train"]).reshape(x.shape[0], -1) + background
    params = [p for net in networks.values() for p in net.parameters() if p.requires_grad]
    optimizer = cajal_torch.optimizer_for("adam", params, lr)
    generator = torch.Generator().manual_seed(seed)
    losses = []
    for _ in range(steps):
        rows = torch.randint(0, x.shape[0], (batch,), generator=generator)
        optimizer.zero_grad()
        loss = torch.mean(torch.abs(model(x[rows], d[rows]).reshape(batch, -1) - target[rows]))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        optimizer.step()
        losses.append(float(loss))
    return losses


def measure(module, networks, model, x, d, target, traced):
    """One line per scaling: L1 error quantiles of the model, and the iterates' sizes."""
    rows = []
    for name, scale, background in SCALINGS.values():
        module._kernel_step = kernel_step_padding(background)
        xs, ts = scale * x + background, scale * target + background
        with torch.no_grad():
            error = (model(xs, d).reshape(x.shape[0], -1) - ts).abs().mean(1) / scale
            quantiles = torch.quantile(error, torch.tensor([0.5, 0.99, 1.0])).tolist()
            state = xs.reshape(-1, 28, 28)[:traced]
            sizes = []
            for _ in range(9):
                state = networks["step"](state)
                # In 0…1 units: the distance from the background, over the image's pixels.
                largest = ((state - background) / scale).reshape(state.shape[0], -1).abs().max(1).values
                sizes.append(largest)
        exploded = float((sizes[-1] > EXPLODED).float().mean())
        rows.append(dict(scaling=name, median_error=quantiles[0], p99_error=quantiles[1], max_error=quantiles[2],
                         median_1=float(sizes[0].median()), median_9=float(sizes[-1].median()),
                         largest_1=float(sizes[0].max()), largest_9=float(sizes[-1].max()), exploded=exploded))
    return rows


def seeds_of(text):
    if "-" in text:
        first, last = text.split("-")
        return list(range(int(first), int(last) + 1))
    return [int(s) for s in text.split(",")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("plan", help="a plan directory (cajal train … --engine torch --plan DIR)")
    parser.add_argument("--init", choices=("project", "authors"), default="project")
    parser.add_argument("--seeds", default="0-9", help="with --init authors: seeds, e.g. 0-9 or 1,2,3")
    parser.add_argument("--images", type=int, default=640)
    parser.add_argument("--train-steps", type=int, default=0)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--scaling", choices=tuple(SCALINGS), default="authors")
    args = parser.parse_args()
    torch.set_num_threads(1)
    with open(os.path.join(args.plan, "plan.json")) as f:
        plan = json.load(f)
    module = cajal_torch.load_module(plan["module"])
    networks = module.build_networks(list(plan["externs"]))
    model = module.definitions[plan["definition"]](networks)
    x = cajal_torch.read_npy(plan["fields"][0]["test"])[:args.images]
    d = cajal_torch.read_npy(plan["fields"][1]["test"])[:args.images]
    target = cajal_torch.read_npy(plan["targets"]["test"])[:args.images].reshape(x.shape[0], -1)
    identity = float((x.reshape(x.shape[0], -1) - target).abs().mean(1).median())
    print("%d test images; identity's median per-image L1 error %.3g; 'exploded': the iterate after nine steps over %g" % (x.shape[0], identity, EXPLODED))
    print("init | seed | scaling | L1 error median / 99% / max | largest |iterate| after 1 and 9 steps: median image; all images | exploded")
    draws = [("project", "plan's")] if args.init == "project" else [("authors", s) for s in seeds_of(args.seeds)]
    for init, seed in draws:
        if init == "project":
            cajal_torch.load_weights(plan["initialWeights"], networks)
        else:
            pytorch_default_init(networks, seed)
        show = lambda label: [print("%s | %s | %s | %.3g / %.3g / %.3g | %.3g, %.3g; %.3g, %.3g | %.1f%%" % (
            label, seed, r["scaling"], r["median_error"], r["p99_error"], r["max_error"],
            r["median_1"], r["median_9"], r["largest_1"], r["largest_9"], 100 * r["exploded"])) for r in measure(module, networks, model, x, d, target, x.shape[0])]
        show(init)
        sys.stdout.flush()
        if args.train_steps > 0:
            losses = train(module, networks, model, plan, seed if isinstance(seed, int) else 0, args.train_steps, args.lr, args.scaling)
            print("  trained %d steps, lr %g, %s scaling: L1 loss (0…1 units) at steps 1, 2, 5, 10, …: %s" % (
                args.train_steps, args.lr, args.scaling, ", ".join("%.3g" % (losses[i - 1] / SCALINGS[args.scaling][1]) for i in (1, 2, 5, 10, 20, 50, 100, 200, 500) if i <= len(losses))))
            show("%s, after %d steps at lr %g" % (init, args.train_steps, args.lr))
            sys.stdout.flush()


if __name__ == "__main__":
    main()
