"""
Where the torch engine's AND-even step and the bench's plain PyTorch loop differ, one part at a
time (docs/training.md, "Speed"). In one process, on one plan, every variant trains its own
copy of the networks, and step k of each runs right after step k of the others, so a burst of
load on a shared machine hits all alike; it prints each variant's median per-step CPU time
(one thread) after a warm-up epoch, as a ratio to the bench's plain loop.

    cajal train examples/train/and-even.cajal --train andEven --engine torch --plan DIR
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 bench/torch-step-parts.py DIR/plan.json [EPOCHS, default 2: one to warm up]

Variants: the bench's plain loop (nn.Linear, x[idx], the `and` written out,
zero_grad(set_to_none=True)); it with torch 1.13's default zero_grad() (zero-fill, then
accumulate); with index_select; with kernels [in, out] (the engine's layout); with the `and` as
the generated module's contraction; the engine's generated module; and that with what the
engine does each step beyond training (accuracy count, loss weighting, an event line).
"""
import json, os, statistics, sys, time
import numpy, torch
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "packages", "train", "python"))
import cajal_torch

cajal_torch.steady_malloc()
torch.set_num_threads(1)
plan = json.load(open(sys.argv[1]))
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
column = {f["name"]: f for f in plan["fields"]}
X1 = torch.from_numpy(numpy.load(column["x1"]["train"])).reshape(-1, 784)
X2 = torch.from_numpy(numpy.load(column["x2"]["train"])).reshape(-1, 784)
T = torch.from_numpy(numpy.load(plan["targets"]["train"]))
orders = torch.from_numpy(numpy.load(plan["orders"])).long()
n, batch = X1.shape[0], plan["batch"]
module = cajal_torch.load_module(plan["module"])
manifest = json.load(open(os.path.join(plan["initialWeights"], "weights.json")))
AND = torch.tensor([1, 0, 0, 0, 0, 1, 1, 1], dtype=torch.float32).reshape(2, 2, 2)  # the compiled `and` (c0 of the module)


def initial(extern):
    folder = os.path.join(plan["initialWeights"], os.path.dirname(manifest["externs"][extern]["model"]))
    return torch.from_numpy(numpy.fromfile(os.path.join(folder, "weights.bin"), dtype="<f4"))


class Dense(torch.nn.Module):
    """A dense layer with its kernel [out, in] (nn.Linear's) or [in, out] (the engine's)."""

    def __init__(self, kernel, bias, in_out):
        super().__init__()
        self.in_out = in_out
        self.weight = torch.nn.Parameter(kernel.clone() if in_out else kernel.t().contiguous())
        self.bias = torch.nn.Parameter(bias.clone())

    def forward(self, x):
        return torch.addmm(self.bias, x, self.weight) if self.in_out else torch.nn.functional.linear(x, self.weight, self.bias)


def plain_net(extern, in_out):
    w = initial(extern)
    return torch.nn.Sequential(Dense(w[:313600].reshape(784, 400), w[313600:314000], in_out), torch.nn.ReLU(),
                               Dense(w[314000:314800].reshape(400, 2), w[314800:], in_out))


def make(choices):
    if choices.get("engine"):
        networks = module.build_networks(list(plan["externs"]))
        cajal_torch.load_weights(plan["initialWeights"], networks)
        model = module.definitions[plan["definition"]](networks)
        params = list(networks.parameters())
        fields = [X1, torch.zeros(n, 10), X2, torch.zeros(n, 10)]  # d1, d2: inputs the model does not read

        def logits_of(idx):
            return model(*[f.index_select(0, idx) for f in fields]).reshape(idx.shape[0], -1)
    else:
        net1, net2 = plain_net("isEven1", choices.get("in_out")), plain_net("isEven2", choices.get("in_out"))
        params = list(net1.parameters()) + list(net2.parameters())
        gather = (lambda X, idx: X.index_select(0, idx)) if choices.get("index_select") else (lambda X, idx: X[idx])

        def logits_of(idx):
            a, c = net1(gather(X1, idx)), net2(gather(X2, idx))
            if choices.get("contract"):
                return module._contract(AND, [c, a])
            return torch.stack([a[:, 0] * c[:, 0], a[:, 0] * c[:, 1] + a[:, 1] * (c[:, 0] + c[:, 1])], 1)
    optimizer = torch.optim.Adam(params, lr=plan["lr"], eps=1e-7)
    zero_fill = choices.get("zero_fill", False)
    extras = choices.get("extras", False)
    events = open(os.devnull, "w")

    def step(epoch, b):
        idx = orders[epoch, b:b + batch]
        target = T.index_select(0, idx) if choices.get("engine") or choices.get("index_select") else T[idx]
        optimizer.zero_grad(set_to_none=not zero_fill)
        prediction = logits_of(idx)
        loss = -torch.mean(torch.sum(target * torch.log_softmax(prediction, 1), 1))
        if extras:
            quality = cajal_torch.quality_sum(True, prediction.detach(), target)
            (loss * (idx.shape[0] / idx.shape[0])).backward()
        else:
            loss.backward()
        optimizer.step()
        value = loss.item()
        if extras:
            quality.item()
            events.write(json.dumps({"event": "batch", "epoch": epoch + 1, "batch": b // batch + 1, "batches": n // batch, "loss": value}) + "\n")
            events.flush()
        return value
    return step


VARIANTS = {
    "plain loop (the bench's)": {},
    "  with zero_grad() zero-fill": {"zero_fill": True},
    "  with index_select": {"index_select": True},
    "  with kernels [in, out]": {"in_out": True},
    "  with the and as a contraction": {"contract": True},
    "engine's generated module": {"engine": True},
    "  and the engine's per-step extras": {"engine": True, "extras": True},
}
steps = {name: make(choices) for name, choices in VARIANTS.items()}
times = {name: [] for name in steps}
losses = {name: 0.0 for name in steps}
for epoch in range(epochs):
    for b in range(0, n, batch):
        for name, step in steps.items():
            start = time.thread_time()
            loss = step(epoch % orders.shape[0], b)
            times[name].append(time.thread_time() - start)
            losses[name] = loss
warm = n // batch
base = statistics.median(times["plain loop (the bench's)"][warm:])
for name, t in times.items():
    median = statistics.median(t[warm:])
    print("%-36s %7.3f ms a step  %.3f×  (last loss %.5f)" % (name, median * 1e3, median / base, losses[name]))
