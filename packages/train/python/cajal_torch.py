"""
Cajal's PyTorch training engine (`cajal train --engine torch`).

@cajal/train (src/torch-engine.ts) stays the one home of a train block's meaning: it loads
and splits the data, computes the targets, draws the shuffles and initialises the networks
exactly as for tfjs, and hands them over as .npy files, a tfjs-format weights directory and a
JSON plan naming the generated model module (`cajal compile --emit torch`). This script
trains with the same loss, optimiser, batches and epochs, prints the same `--events` lines
(JSON, one per line, rank 0 only) and saves weights atomically in the project's weights
format (weights.json + snapshot-*/EXTERN/model.json + weights.bin, readable by tfjs) after
every epoch. SIGINT/SIGTERM stop after the current batch; the last completed epoch's weights
stay saved. With nproc > 1 it trains data-parallel (DistributedDataParallel; gloo on CPU,
nccl on CUDA) in processes started by torch.multiprocessing on 127.0.0.1, or started by
torchrun (`cajal train --engine torch --plan DIR` writes the plan; docs/training.md): every
process reads only its block of the training rows and trains on the rows of each global batch
that it holds, so the result equals one process with that batch. Usage: python3 cajal_torch.py PLAN.json

Also a library: `load_weights(directory, networks)` loads weights saved by either engine
into the networks of a generated module; `save_weights(...)` writes them.

Runs on PyTorch 1.13 and 2.x (no torch.compile, no torch.vmap).
"""
import ast
import ctypes
import errno
import importlib.util
import json
import math
import os
import re
import shutil
import signal
import socket
import struct
import sys
import time
import traceback

import torch

FORMAT = "cajal-weights/1"
MANIFEST = "weights.json"
# The tool's record of the snapshots it wrote into a weights folder (weights-folder.ts): only
# the snapshots named there are ever removed.
FOLDER_RECORD = ".cajal-weights.json"
FOLDER_RECORD_FORMAT = "cajal-weights-folder/1"
SNAPSHOT_NAME = re.compile(r"^snapshot-\d+-[0-9a-z]+$")

# File-system errors that are the user's situation, in the words of output-files.ts.
WRITE_PROBLEMS = {
    errno.ENOSPC: "no space left on device", errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied", errno.EPERM: "permission denied", errno.EROFS: "read-only file system",
    errno.ENOTDIR: "a part of the path is a file, not a folder", errno.EISDIR: "it is a folder",
    errno.EEXIST: "a part of the path is a file, not a folder", errno.ENAMETOOLONG: "the name is too long",
    errno.EMFILE: "too many open files", errno.EIO: "input/output error",
}


class PlanError(Exception):
    """An error the CLI reports with the train block's location (bad data, mismatched weights)."""

    def __init__(self, kind, message):
        super().__init__(message)
        self.kind = kind


# ---------------------------------------------------------------------------------------
# Files

def npy_header(path):
    """The shape of a float32 little-endian C-order .npy file (as encodeNpy writes) and where its data starts."""
    with open(path, "rb") as f:
        prefix = f.read(12)
        if prefix[:6] != b"\x93NUMPY":
            raise PlanError("data", "%s is not a .npy file" % path)
        if prefix[6] == 1:
            (length,) = struct.unpack("<H", prefix[8:10])
            start = 10
        else:
            (length,) = struct.unpack("<I", prefix[8:12])
            start = 12
        f.seek(start)
        header = ast.literal_eval(f.read(length).decode("latin1"))
    if header["descr"] not in ("<f4", "=f4") or header["fortran_order"]:
        raise PlanError("data", "%s: expected little-endian float32 in C order, got %s" % (path, header["descr"]))
    return tuple(header["shape"]), start + length


def read_npy(path, rows=None):
    """
    A .npy file of npy_header's kind as a tensor; `rows` (first, end) reads only those rows of
    the first axis (a data-parallel process reads its shard, never the whole file).
    """
    shape, offset = npy_header(path)
    first, end = (0, shape[0] if shape else 1) if rows is None else rows
    row = 4
    for d in shape[1:]:
        row *= d
    if rows is not None:
        shape = (end - first,) + shape[1:]
    with open(path, "rb") as f:
        f.seek(offset + first * row)
        payload = bytearray(f.read((end - first) * row))
    if len(payload) != (end - first) * row:
        raise PlanError("data", "%s is shorter than its header says (the plan is damaged; write it again)" % path)
    if len(payload) == 0:  # no examples (e.g. test 0): frombuffer refuses empty buffers
        return torch.zeros(shape)
    return torch.frombuffer(payload, dtype=torch.float32).reshape(shape)


def shard_rows(n, rank, nproc):
    """The training rows process `rank` of `nproc` holds: a contiguous block, sizes differing by at most one."""
    return (n * rank // nproc, n * (rank + 1) // nproc)


def npy_bytes(t):
    """A float32 tensor as a version-1 .npy file (what read_npy and @cajal/compiler's decodeNpy read)."""
    shape = tuple(t.shape)
    header = "{'descr': '<f4', 'fortran_order': False, 'shape': %s, }" % (repr(shape),)
    header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
    payload = t.detach().to("cpu", torch.float32).contiguous().numpy().tobytes() if t.numel() else b""
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode("latin1") + payload


def write_atomic(path, data, what=None):
    """
    As writeFileAtomic (output-files.ts): a temporary NAME.PID.RANDOM.tmp beside the file,
    flushed, renamed over it; on failure the temporary is removed and a user-actionable error
    (ENOSPC, EACCES, EROFS, ...) is a PlanError "cannot write WHAT: reason".
    """
    temporary = "%s.%d.%s.tmp" % (path, os.getpid(), _base36(int.from_bytes(os.urandom(5), "little")))
    created = False
    try:
        os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
        with open(temporary, "wb") as f:
            created = True
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(temporary, path)
        created = False
    except OSError as error:
        if created:
            try:
                os.remove(temporary)
            except OSError:
                pass
        problem = WRITE_PROBLEMS.get(error.errno)
        if problem is None:
            raise
        raise PlanError("write", "cannot write %s: %s." % (what or path, problem))


def load_module(path, name="cajal_model"):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------------------
# Weights in the project's format (packages/train/src/weights.ts)

def confined_path(folder, relative, named_in):
    """As confinedPath (weights.ts): a path a weights file names, refused when it leaves the folder."""
    if not isinstance(relative, str) or relative == "":
        raise PlanError("weights", "%s: expected a file name, got %s." % (named_in, json.dumps(relative)))
    outside = PlanError("weights", "%s names '%s', which is outside %s; a weights folder may only name files inside it." % (named_in, relative, folder))
    if os.path.isabs(relative) or ".." in re.split(r"[\\/]", relative):
        raise outside
    resolved = os.path.join(folder, relative)
    if os.path.exists(resolved):
        inside = os.path.relpath(os.path.realpath(resolved), os.path.realpath(folder))
        if inside.startswith("..") or os.path.isabs(inside):
            raise outside
    return resolved


def _read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as error:
        raise PlanError("weights", "cannot read %s: %s." % (path, "it does not exist" if error.errno == errno.ENOENT else error.strerror))
    except ValueError:
        raise PlanError("weights", "%s is not valid JSON (the weights folder is damaged; train again)." % path)


def read_manifest(directory):
    path = os.path.join(directory, MANIFEST)
    if not os.path.exists(path):
        raise PlanError("weights", "no trained weights in %s: %s is missing (train first with cajal train)." % (directory, MANIFEST))
    manifest = _read_json(path)
    if not isinstance(manifest, dict):
        raise PlanError("weights", "%s: expected a JSON object." % path)
    if manifest.get("format") != FORMAT:
        raise PlanError("weights", "%s: unknown format '%s' (expected %s)." % (path, manifest.get("format"), FORMAT))
    if not isinstance(manifest.get("externs"), dict):
        raise PlanError("weights", "%s: 'externs' is missing." % path)
    for name, entry in manifest["externs"].items():
        if not isinstance(entry, dict):
            raise PlanError("weights", "%s: extern '%s' needs 'model', 'inputs' and 'output'." % (path, name))
        confined_path(directory, entry.get("model"), path)
    return manifest


def _model_weights(model_json_path, folder):
    model = _read_json(model_json_path)
    groups = model.get("weightsManifest") if isinstance(model, dict) else None
    if not isinstance(groups, list) or not all(isinstance(g, dict) and isinstance(g.get("paths"), list) and isinstance(g.get("weights"), list) for g in groups):
        raise PlanError("weights", "%s is not a tfjs layers model (it needs modelTopology and weightsManifest with paths and weights)." % model_json_path)
    specs = [w for group in groups for w in group["weights"]]
    directory = os.path.dirname(model_json_path)
    data = b""
    for group in groups:
        for name in group["paths"]:
            file = os.path.normpath(os.path.join(directory, str(name)))
            with open(confined_path(folder, os.path.relpath(file, folder), model_json_path), "rb") as f:
                data += f.read()
    values = torch.frombuffer(bytearray(data), dtype=torch.float32) if data else torch.zeros(0)
    tensors, offset = [], 0
    for spec in specs:
        if spec.get("dtype", "float32") != "float32":
            raise PlanError("weights", "%s: weight '%s' is %s, expected float32" % (model_json_path, spec["name"], spec["dtype"]))
        n = 1
        for d in spec["shape"]:
            n *= d
        if offset + n > values.numel():
            raise PlanError("weights", "%s: the weight files hold fewer numbers than its weights need (the weights folder is damaged; train again)." % model_json_path)
        tensor = values[offset:offset + n].reshape(spec["shape"])
        finite = torch.isfinite(tensor.reshape(-1))
        if not bool(finite.all()):
            bad = int((~finite).nonzero()[0])
            raise PlanError("weights", "%s: weight '%s' holds %s (entry %d); these weights are unusable (the training that wrote them diverged; train again, e.g. with a smaller lr)."
                            % (model_json_path, spec["name"], _js_number(float(tensor.reshape(-1)[bad])), bad))
        tensors.append((spec["name"], tensor))
        offset += n
    return model, tensors


def _js_number(x):
    """A non-finite float as JavaScript writes it (the messages of both engines read alike)."""
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity") if math.isinf(x) else repr(x)


def load_weights(directory, networks):
    """Loads a weights directory (from either engine) into networks {extern name: Network}, in place."""
    manifest = read_manifest(directory)
    for name, network in networks.items():
        entry = manifest["externs"].get(name)
        if entry is None:
            raise PlanError("weights", "%s has no weights for extern '%s' (it has %s)" % (directory, name, ", ".join(manifest["externs"]) or "none"))
        _, tensors = _model_weights(confined_path(directory, entry["model"], os.path.join(directory, MANIFEST)), directory)
        params = list(network.parameters())
        if len(params) != len(tensors):
            raise PlanError("weights", "extern '%s': the saved network has %d weight tensors, this one %d (was it trained with another architecture?)" % (name, len(tensors), len(params)))
        with torch.no_grad():
            for p, (weight_name, t) in zip(params, tensors):
                if tuple(p.shape) != tuple(t.shape):
                    raise PlanError("weights", "extern '%s': saved weight '%s' has shape %s, the network's has %s" % (name, weight_name, list(t.shape), list(p.shape)))
                p.copy_(t.to(p.device))
    return manifest


def _read_folder_record(directory):
    try:
        with open(os.path.join(directory, FOLDER_RECORD)) as f:
            record = json.load(f)
    except (OSError, ValueError):
        return []
    if not isinstance(record, dict) or record.get("format") != FOLDER_RECORD_FORMAT or not isinstance(record.get("snapshots"), list):
        return []
    return [s for s in record["snapshots"] if isinstance(s, str) and SNAPSHOT_NAME.match(s)]


def _write_folder_record(directory, snapshots, what):
    # Byte for byte what weights-folder.ts writes (JSON.stringify: no spaces).
    write_atomic(os.path.join(directory, FOLDER_RECORD), (json.dumps({"format": FOLDER_RECORD_FORMAT, "snapshots": snapshots}, separators=(",", ":")) + "\n").encode(), what)


def save_weights(directory, networks, templates, info):
    """
    Writes every network atomically, as saveNetworks of weights.ts: the new snapshot recorded
    in the folder's record, written completely, then weights.json renamed over the old one,
    then the older snapshots the record names removed (nothing else). `templates` gives each
    extern's model.json (topology and weight specs) and manifest entry.
    """
    what = "weights to %s" % directory
    snapshot = "snapshot-%d-%s%04x" % (info["epoch"], _base36(int(time.time() * 1000)), int.from_bytes(os.urandom(2), "little"))
    _write_folder_record(directory, _read_folder_record(directory) + [snapshot], what)
    externs = {}
    try:
        for name, network in networks.items():
            template = templates[name]
            relative = snapshot + "/" + name
            target = os.path.join(directory, snapshot, name)
            write_atomic(os.path.join(target, "weights.bin"), b"".join(_float32_bytes(p) for p in network.parameters()), what)
            write_atomic(os.path.join(target, "model.json"), json.dumps(template["modelJson"]).encode(), what)
            externs[name] = dict(template["entry"], model=relative + "/model.json")
        manifest = {"format": FORMAT, "train": info["train"], "epoch": info["epoch"],
                    "saved": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".000Z", "snapshot": snapshot, "externs": externs}
        if info.get("source"):
            manifest["source"] = info["source"]
        write_atomic(os.path.join(directory, MANIFEST), (json.dumps(manifest, indent=2) + "\n").encode(), what)
    except BaseException:
        # Nothing partial stays: the manifest (replaced only by the rename) names the previous snapshot.
        try:
            shutil.rmtree(os.path.join(directory, snapshot))
            _write_folder_record(directory, [s for s in _read_folder_record(directory) if s != snapshot], what)
        except (OSError, PlanError):
            pass  # the record keeps it: the next run removes it
        raise
    for entry in _read_folder_record(directory):
        if entry != snapshot:
            shutil.rmtree(os.path.join(directory, entry), ignore_errors=True)
    _write_folder_record(directory, [snapshot], what)
    return manifest


def non_finite_network(networks):
    """The first network (by extern name) with a NaN or infinite weight, or None."""
    for name, network in networks.items():
        if not all(bool(torch.isfinite(p).all()) for p in network.parameters()):
            return name
    return None


def kept_message(directory, epoch):
    """The words of keptMessage in trainer.ts (both engines say the same)."""
    if not directory:
        return "nothing was saved"
    if epoch > 0:
        return "%s keeps the weights of epoch %d" % (directory, epoch)
    return "nothing was saved (%s is unchanged)" % directory


def diverged_message(what, directory, epoch):
    """The words of divergedMessage in trainer.ts."""
    return "%s; training stopped, %s (try a smaller lr)." % (what, kept_message(directory, epoch))


def _float32_bytes(p):
    """Little-endian float32 bytes of a tensor (through NumPy when torch has it; torch 2.x may not)."""
    values = p.detach().to("cpu", torch.float32).contiguous()
    try:
        return values.numpy().astype("<f4", copy=False).tobytes()
    except RuntimeError:
        flat = values.reshape(-1).tolist()
        return struct.pack("<%df" % len(flat), *flat)


def _base36(n):
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        n, r = divmod(n, 36)
        text = digits[r] + text
        if n == 0:
            return text


# ---------------------------------------------------------------------------------------
# Losses and metrics (as lossOf and qualitySum in trainer.ts)

def loss_of(kind, prediction, target):
    if kind == "cross_entropy":
        return -torch.mean(torch.sum(target * torch.log(torch.clamp(prediction, 1e-7, 1)), 1))
    if kind == "softmax_cross_entropy":
        # On logits, as torch.nn.CrossEntropyLoss (with one-hot or soft targets).
        return -torch.mean(torch.sum(target * torch.log_softmax(prediction, 1), 1))
    if kind == "l1":
        return torch.mean(torch.abs(prediction - target))
    return torch.mean(torch.square(prediction - target))


def quality_sum(discrete, prediction, target):
    if discrete:
        return torch.sum((torch.argmax(prediction, 1) == torch.argmax(target, 1)).float())
    mse = torch.clamp(torch.mean(torch.square(prediction - target), 1), min=1e-10)
    return torch.sum(-10 / math.log(10) * torch.log(mse))


class RMSprop(torch.optim.Optimizer):
    """tfjs's rmsprop (decay 0.9, ε 1e-7 inside the square root, no momentum)."""

    def __init__(self, params, lr, decay=0.9, epsilon=1e-7):
        super().__init__(params, dict(lr=lr, decay=decay, epsilon=epsilon))

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if "square" not in state:
                    state["square"] = torch.zeros_like(p)
                square = state["square"]
                square.mul_(group["decay"]).addcmul_(p.grad, p.grad, value=1 - group["decay"])
                p.addcdiv_(p.grad, torch.sqrt(square + group["epsilon"]), value=-group["lr"])


def optimizer_for(name, params, lr):
    if name == "adam":
        # tfjs's defaults: β1 0.9, β2 0.999, ε 1e-7 (torch's default ε is 1e-8).
        return torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=1e-7)
    if name == "sgd":
        return torch.optim.SGD(params, lr=lr)
    if name == "rmsprop":
        return RMSprop(params, lr)
    raise PlanError("settings", "unknown optimizer '%s'" % name)


# ---------------------------------------------------------------------------------------
# Training

def emit(event):
    sys.stdout.write(json.dumps(event) + "\n")
    sys.stdout.flush()


class Stop:
    """Set by SIGINT/SIGTERM (or, with several processes, by the parent's shared event)."""

    def __init__(self, shared=None):
        self.shared = shared
        self.local = False

    def set(self, *_):
        self.local = True
        if self.shared is not None:
            self.shared.set()

    def requested(self):
        return self.local or (self.shared is not None and self.shared.is_set())


def install_handlers(stop):
    signal.signal(signal.SIGINT, stop.set)
    signal.signal(signal.SIGTERM, stop.set)


def evaluate(model, fields, targets, plan, device, batch_size=256, predictions=None):
    """The test loss and mean quality; with a list `predictions`, the predictions are appended to it."""
    n = targets.shape[0]
    if n == 0:
        return None
    loss_total, quality_total = 0.0, 0.0
    with torch.no_grad():
        for start in range(0, n, batch_size):
            end = min(n, start + batch_size)
            prediction = model(*[f[start:end].to(device) for f in fields]).reshape(end - start, -1)
            if predictions is not None:
                predictions.append(prediction.cpu())
            target = targets[start:end].to(device)
            loss_total += loss_of(plan["loss"], prediction, target).item() * (end - start)
            quality_total += quality_sum(plan["discrete"], prediction, target).item()
    return loss_total / n, quality_total / n


# glibc malloc's parameters (malloc.h) and the values steady_malloc pins: blocks up to 32 MiB
# come from the heap, and up to 64 MiB freed at the heap's top stay mapped.
M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3
STEADY_MALLOC = ((M_MMAP_THRESHOLD, 32 << 20), (M_TRIM_THRESHOLD, 64 << 20))
MALLOC_SETTINGS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")
MALLOC_TUNABLES = ("glibc.malloc.mmap_threshold", "glibc.malloc.trim_threshold")


def steady_malloc():
    """
    Pins glibc malloc's mmap and trim thresholds, so that a training step's temporaries
    (gradients, Adam's scratch: megabytes each) are reused from the heap instead of being
    mapped fresh, zero-filled by the kernel and unmapped again every step. Left alone, glibc
    maps every block over 128 KiB and raises that threshold (up to 32 MiB, the trim threshold
    to twice it) only once such a block is freed, so a run's speed depended on whether loading
    its data happened to free a large buffer (docs/training.md, "Speed"); these are the values
    that rule ends at. Leaves malloc alone where the user set its thresholds
    (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_, GLIBC_TUNABLES) and on C libraries
    without mallopt (macOS, Windows; musl's does nothing). Returns whether it set them.
    """
    tunables = os.environ.get("GLIBC_TUNABLES", "")
    if any(name in os.environ for name in MALLOC_SETTINGS) or any(name in tunables for name in MALLOC_TUNABLES):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    mallopt.restype = ctypes.c_int
    return all([mallopt(parameter, value) == 1 for parameter, value in STEADY_MALLOC])


def worker(rank, plan, port, shared_stop, local_rank=None):
    """One training process. `port` None with nproc > 1: launched by torchrun (env:// rendezvous)."""
    steady_malloc()
    stop = Stop(shared_stop)
    install_handlers(stop)
    nproc = plan["nproc"]
    cuda = plan["device"] == "cuda"
    distributed = nproc > 1
    local_rank = rank if local_rank is None else local_rank
    try:
        if cuda and not torch.cuda.is_available():
            raise PlanError("device", "--device cuda: this PyTorch (%s) sees no CUDA device" % torch.__version__)
        device = torch.device("cuda", local_rank % max(torch.cuda.device_count(), 1)) if cuda else torch.device("cpu")
        if cuda:
            torch.cuda.set_device(device)
        if distributed:
            if "OMP_NUM_THREADS" not in os.environ and not cuda:
                torch.set_num_threads(max(1, (os.cpu_count() or 1) // nproc))
            if port is not None:
                # Started by main() below: this machine only, over loopback.
                os.environ["MASTER_ADDR"] = "127.0.0.1"
                os.environ["MASTER_PORT"] = str(port)
            torch.distributed.init_process_group("nccl" if cuda else "gloo", rank=rank, world_size=nproc)
        run_training(rank, plan, device, stop)
    except PlanError as error:
        if rank == 0:
            emit({"event": "engine-error", "kind": error.kind, "message": str(error)})
        sys.exit(3)
    except Exception as error:  # reported as one line by the CLI; the traceback only on request
        if rank == 0:
            emit({"event": "engine-error", "kind": "internal", "message": "%s: %s" % (type(error).__name__, error),
                  "traceback": traceback.format_exc()})
        sys.exit(3)
    finally:
        if distributed and torch.distributed.is_initialized():
            torch.distributed.destroy_process_group()


def run_training(rank, plan, device, stop):
    nproc = plan["nproc"]
    distributed = nproc > 1
    module = load_module(plan["module"])
    names = list(plan["externs"])
    networks = module.build_networks(names)
    load_weights(plan["initialWeights"], networks)
    model = module.definitions[plan["definition"]](networks).to(device)
    learnable = [p for name in names if plan["externs"][name]["entry"]["learnable"] for p in networks[name].parameters()]
    if not learnable:
        raise PlanError("settings", "the model uses no learnable extern, so there is nothing to train")
    trained = model
    if distributed:
        trained = torch.nn.parallel.DistributedDataParallel(model, device_ids=[device] if device.type == "cuda" else None, broadcast_buffers=False)
    optimizer = optimizer_for(plan["optimizer"], learnable, plan["lr"])

    # Each process holds only its block of the training rows (shard_rows) and, on rank 0 alone,
    # the test set. The global batches stay one process's (the shuffles cover all rows): each
    # process trains on the rows of each batch that it holds, so its share varies from batch to
    # batch, and the loss weighting below keeps the sum the global batch's mean.
    n = npy_header(plan["targets"]["train"])[0][0]
    for f in plan["fields"]:
        rows = npy_header(f["train"])[0][0]
        if rows != n:
            raise PlanError("data", "field '%s' has %d training examples, the targets %d" % (f["name"], rows, n))
    first, end = shard_rows(n, rank, nproc)
    # A process with no rows (fewer examples than processes) still runs forward and backward
    # on every batch (DDP's collectives): it holds row 0, which it weights 0.
    held = (first, end) if end > first else (0, min(1, n))
    # Flat [examples, dim] (the model flattens its inputs anyway): selecting rows of a 2-D
    # tensor with index_select is the cheapest way to gather a batch.
    train_fields = [_rows(read_npy(f["train"], held)) for f in plan["fields"]]
    train_targets = read_npy(plan["targets"]["train"], held)
    test_fields = [_rows(read_npy(f["test"])) for f in plan["fields"]] if rank == 0 else None
    test_targets = read_npy(plan["targets"]["test"]) if rank == 0 else None
    orders = read_npy(plan["orders"]).long()
    if plan.get("ranksDirectory"):
        # For tests of data parallelism: which rows this process held.
        write_atomic(os.path.join(plan["ranksDirectory"], "rank%d.json" % rank), json.dumps(
            {"train": [first, end], "held": train_targets.shape[0], "test": None if test_targets is None else test_targets.shape[0]}).encode())
    batch_size = max(1, min(plan["batch"], n))
    batches = (n + batch_size - 1) // batch_size
    epochs = plan["epochs"]
    test_every = max(1, plan.get("testEvery", 1))
    if rank == 0:
        emit({"event": "start", "train": plan["train"], "epochs": epochs, "examples": n, "test": test_targets.shape[0],
              "batches": batches, "backend": backend_name(plan), "parameters": plan["parameters"], "data": plan["data"],
              "weights": plan.get("weightsDirectory")})
    started = time.perf_counter()
    history = []
    saved = None
    saved_epoch = 0
    cancelled = False
    status = torch.zeros(3, dtype=torch.float64, device=device)
    # An `evaluate every …` schedule: the optimiser steps to evaluate after (trainer.ts's evaluationSteps).
    schedule = set(plan["evaluationSteps"]) if plan.get("evaluationSteps") is not None else None
    step, examples_seen = 0, 0
    last_evaluation = None

    def evaluate_now():
        # With a predictions folder: the test predictions of this evaluation, for measures
        # beyond the mean (per-example PSNR, medians; experiments/dilation.mjs).
        predictions = [] if plan.get("predictionsDirectory") else None
        evaluated = evaluate(model, test_fields, test_targets, plan, device, predictions=predictions)
        if predictions:
            write_atomic(os.path.join(plan["predictionsDirectory"], "step-%d.npy" % step), npy_bytes(torch.cat(predictions)), "the test predictions")
        test = {"loss": evaluated[0] if evaluated else None,
                "accuracy": evaluated[1] if evaluated and plan["discrete"] else None,
                "psnr": evaluated[1] if evaluated and not plan["discrete"] else None}
        emit({"event": "evaluation", "step": step, "examples": examples_seen, "test": test})
        return {"step": step, "evaluated": evaluated}

    if schedule is not None and 0 in schedule and rank == 0:
        last_evaluation = evaluate_now()
    for epoch in range(1, epochs + 1):
        order = orders[epoch - 1]
        loss_sum, quality_total = 0.0, 0.0
        for b in range(batches):
            chosen = order[b * batch_size:min(n, (b + 1) * batch_size)]
            size = chosen.shape[0]
            # The rows of the global batch this process holds (all of them with one process);
            # the loss is scaled so that DDP's mean of the processes' gradients is the gradient
            # of the global batch's mean loss, whatever each process's share.
            local = chosen[(chosen >= first) & (chosen < end)] - held[0] if distributed else chosen
            count = local.shape[0]
            if count == 0:
                # None of this batch's rows: every process must still run forward and backward
                # (DDP's collectives); this one runs one example it holds, weighted 0.
                local = torch.zeros(1, dtype=torch.long)
            inputs = [f.index_select(0, local).to(device, non_blocking=True) for f in train_fields]
            target = train_targets.index_select(0, local).to(device, non_blocking=True)
            optimizer.zero_grad(set_to_none=True)
            prediction = trained(*inputs).reshape(local.shape[0], -1)
            if prediction.shape != target.shape:
                raise PlanError("data", "the model gives %d numbers per example, the target %d" % (prediction.shape[1], target.shape[1]))
            loss = loss_of(plan["loss"], prediction, target)
            quality = quality_sum(plan["discrete"], prediction.detach(), target) * (1 if count else 0)
            (loss * (count * nproc / size)).backward()
            if plan.get("clipNorm") is not None:
                # After backward: with several processes DDP has already averaged the
                # gradients, so this is the global batch's norm, as on one process.
                torch.nn.utils.clip_grad_norm_(learnable, plan["clipNorm"])
            optimizer.step()
            if distributed:
                status[0] = loss.detach() * count
                status[1] = quality
                status[2] = 1.0 if stop.requested() else 0.0
                torch.distributed.all_reduce(status)
                batch_loss = status[0].item() / size
                batch_quality = status[1].item()
                stopping = status[2].item() > 0
            else:
                batch_loss = loss.item()
                batch_quality = quality.item()
                stopping = stop.requested()
            loss_sum += batch_loss * size
            quality_total += batch_quality
            if not math.isfinite(batch_loss):
                raise PlanError("diverged", diverged_message("the loss became %s in epoch %d, batch %d" % (_js_number(batch_loss), epoch, b + 1),
                                                             plan.get("weightsDirectory"), saved_epoch))
            if rank == 0:
                emit({"event": "batch", "epoch": epoch, "batch": b + 1, "batches": batches, "loss": batch_loss})
            step += 1
            examples_seen += size
            if schedule is not None and step in schedule and rank == 0:
                last_evaluation = evaluate_now()
            if stopping and b < batches - 1:
                cancelled = True
                break
        if cancelled:
            break
        # Never save what cannot be loaded back (every process holds the same weights).
        diverged = non_finite_network(networks)
        if diverged is not None:
            raise PlanError("diverged", diverged_message("the weights of extern '%s' became NaN or infinite in epoch %d" % (diverged, epoch),
                                                         plan.get("weightsDirectory"), saved_epoch))
        if rank == 0:
            if schedule is not None:
                # The epoch's test metrics are its last step's evaluation, if it had one.
                evaluated = last_evaluation["evaluated"] if last_evaluation and last_evaluation["step"] == step else None
            else:
                evaluated = evaluate(model, test_fields, test_targets, plan, device) if epoch % test_every == 0 or epoch == epochs else None
            metrics = {
                "epoch": epoch, "examplesSeen": epoch * n, "seconds": time.perf_counter() - started,
                "loss": loss_sum / n,
                "accuracy": quality_total / n if plan["discrete"] else None,
                "psnr": None if plan["discrete"] else quality_total / n,
                "testLoss": evaluated[0] if evaluated else None,
                "testAccuracy": evaluated[1] if evaluated and plan["discrete"] else None,
                "testPsnr": evaluated[1] if evaluated and not plan["discrete"] else None,
            }
            history.append(metrics)
            if plan.get("weightsDirectory"):
                try:
                    save_weights(plan["weightsDirectory"], networks, plan["externs"], {"train": plan["train"], "source": plan.get("source"), "epoch": epoch})
                except PlanError as error:
                    if error.kind != "write":
                        raise
                    # As trainer.ts: say what the folder still holds (the failed save left nothing).
                    raise PlanError("write", "%s; %s." % (str(error).rstrip("."), kept_message(plan["weightsDirectory"], saved_epoch)))
                saved = plan["weightsDirectory"]
                saved_epoch = epoch
            emit(dict({"event": "epoch"}, **metrics))
        if plan.get("ranksDirectory"):
            # For tests of data parallelism: every process's final weights.
            save_weights(os.path.join(plan["ranksDirectory"], "rank%d" % rank), networks, plan["externs"], {"train": plan["train"], "epoch": epoch})
        if stopping:
            cancelled = epoch < epochs
            break
        if distributed:
            torch.distributed.barrier()
    if rank == 0:
        seconds = time.perf_counter() - started
        if cancelled:
            emit({"event": "cancelled", "train": plan["train"], "epochs": len(history), "weights": saved})
        else:
            last = history[-1] if history else {}
            final = {k: last.get(k) for k in ("loss", "accuracy", "psnr", "testLoss", "testAccuracy", "testPsnr")}
            emit({"event": "done", "train": plan["train"], "epochs": len(history), "seconds": seconds, "weights": saved, "final": final})


def backend_name(plan):
    processes = ", %d processes" % plan["nproc"] if plan["nproc"] > 1 else ""
    return "torch %s (%s%s)" % (torch.__version__, plan["device"], processes)


def _rows(t):
    width = 1
    for d in t.shape[1:]:
        width *= d
    return t.reshape(t.shape[0], width)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(argv):
    with open(argv[1]) as f:
        plan = json.load(f)
    if "RANK" in os.environ and "WORLD_SIZE" in os.environ and "LOCAL_RANK" in os.environ:
        # Launched by torchrun (one process per rank, possibly on several machines): the
        # rendezvous is torchrun's (MASTER_ADDR/MASTER_PORT), the process count its WORLD_SIZE.
        plan["nproc"] = int(os.environ["WORLD_SIZE"])
        worker(int(os.environ["RANK"]), plan, None, None, int(os.environ["LOCAL_RANK"]))
        return 0
    nproc = plan["nproc"]
    if nproc <= 1:
        worker(0, plan, None, None)
        return 0
    import torch.multiprocessing as mp
    context = mp.get_context("spawn")
    shared = context.Event()
    stop = Stop(shared)
    install_handlers(stop)
    try:
        mp.spawn(worker, args=(plan, free_port(), shared), nprocs=nproc, join=True)
    except mp.ProcessExitedException:
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
