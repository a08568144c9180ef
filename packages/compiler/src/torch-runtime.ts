/**
 * The Python helpers every generated PyTorch module carries (it imports only `torch`):
 * the neurons of `@cajal/runtime` (packages/runtime/src/neurons.ts, program.ts), op for op,
 * on batched torch tensors (leading batch axis; a batch of 1 broadcasts), the extern
 * networks of the declared architectures with the parameter layout of the tfjs networks
 * (packages/train/src/networks.ts: dense kernels [in, out], conv kernels [kh, kw, in, out],
 * images NHWC, flattened row-major), and encoders/decoders of discrete values.
 * Kept as one text so generated modules are self-contained; it runs on torch 1.13 and 2.x.
 */
export const TORCH_RUNTIME = String.raw`
class MissingNetworksError(Exception):
    """Raised when a definition needs externs that were not linked."""

    def __init__(self, missing):
        self.missing = list(missing)
        if len(self.missing) == 1:
            text = "extern '%s' is not linked: pass a network for it" % self.missing[0]
        else:
            text = "externs %s are not linked: pass a network for each" % ", ".join("'%s'" % m for m in self.missing)
        super().__init__(text)


def _require_networks(required, networks):
    missing = [name for name in dict.fromkeys(required) if networks is None or name not in networks or networks[name] is None]
    if missing:
        raise MissingNetworksError(missing)


def _flatten(t):
    return t.reshape(t.shape[0], -1)


def _same_batch(a, b):
    if a.shape[0] == b.shape[0]:
        return a, b
    if a.shape[0] == 1:
        return a.expand(b.shape[0], *a.shape[1:]), b
    if b.shape[0] == 1:
        return a, b.expand(a.shape[0], *b.shape[1:])
    raise ValueError("batch sizes %d and %d differ (only a batch of 1 broadcasts)" % (a.shape[0], b.shape[0]))


def _to_batch(t, batch):
    return t.expand(batch, *t.shape[1:]) if t.shape[0] == 1 and batch != 1 else t


def _batch_of(inputs):
    batch = 1
    for x in inputs:
        if x.shape[0] != 1:
            if batch != 1 and batch != x.shape[0]:
                raise ValueError("inputs have different batch sizes %d and %d" % (batch, x.shape[0]))
            batch = x.shape[0]
    return batch


def _coefficient(c, i, rank):
    return c[:, i:i + 1].reshape(c.shape[0], *([1] * max(rank - 1, 1)))


def _gate(c, a, b):
    """if c then a else b: c[:,0]·a + c[:,1]·b."""
    rank = max(a.dim(), b.dim())
    return _coefficient(c, 0, rank) * a + _coefficient(c, 1, rank) * b


def _iterate(n, base, step):
    """iter n { zero => base ; succ y => step y }: Σ_{i<k} n[:,i]·stepⁱ(base), k-1 steps."""
    state = base
    total = _coefficient(n, 0, state.dim()) * state
    for i in range(1, n.shape[1]):
        state = step(state)
        total = total + _coefficient(n, i, state.dim()) * state
    return total


def _apply(m, x):
    """A batched function value [batch, dim B · dim A] applied to [batch, dim A]."""
    xs = _flatten(x)
    dim_a = xs.shape[1]
    dim_b = (m.numel() // m.shape[0]) // dim_a
    matrices, columns = _same_batch(m.reshape(m.shape[0], dim_b, dim_a), xs.reshape(xs.shape[0], dim_a, 1))
    out = torch.matmul(matrices, columns)
    return out.reshape(out.shape[0], dim_b)


def _outer(a, b):
    """The tensor product: [batch, dim A · dim B], flat index i·dim B + j."""
    a, b = _flatten(a), _flatten(b)
    product = a.reshape(a.shape[0], a.shape[1], 1) * b.reshape(b.shape[0], 1, b.shape[1])
    return product.reshape(product.shape[0], -1)


def _contract(t, inputs):
    """Σ T[o, i1…in]·x1[i1]⋯xn[in], the largest input axis first (as @cajal/runtime's contract)."""
    n = len(inputs)
    if n == 0:
        return t.reshape(1, -1)
    xs = [_flatten(x) for x in inputs]
    order = sorted(range(n), key=lambda i: -t.shape[i + 1])
    permutation = [0] + [i + 1 for i in reversed(order)]
    permuted = t if permutation == list(range(n + 1)) else t.permute(*permutation)
    d0 = t.shape[order[0] + 1]
    rest = t.numel() // d0
    state = torch.matmul(xs[order[0]], permuted.reshape(rest, d0).t())
    for i in order[1:]:
        d = t.shape[i + 1]
        rest //= d
        matrices, vectors = _same_batch(state.reshape(state.shape[0], rest, d), xs[i].reshape(xs[i].shape[0], d, 1))
        state = torch.matmul(matrices, vectors).reshape(matrices.shape[0], rest)
    return state


def _basis(batch, i, d, like):
    e = torch.zeros(batch, d, dtype=like.dtype, device=like.device)
    e[:, i] = 1
    return e


def _split_pair(p, dim_a, dim_b, body, mode="smaller"):
    """let (x, y) = p in body: p split along its smaller side into basis ⊗ slice terms, or,
    for a body an iter step makes polynomial (mode="both"), Σᵢⱼ pᵢⱼ · body(eᵢ, eⱼ)."""
    batch = p.shape[0]
    grid = p.reshape(batch, dim_a, dim_b)
    total = None
    if mode == "both":
        flat = grid.reshape(batch, dim_a * dim_b)
        for i in range(dim_a):
            for j in range(dim_b):
                out = body(_basis(batch, i, dim_a, p), _basis(batch, j, dim_b, p))
                weight = flat[:, i * dim_b + j].reshape(batch, *([1] * (out.dim() - 1)))
                term = weight * out
                total = term if total is None else total + term
    elif dim_a <= dim_b:
        for i in range(dim_a):
            term = body(_basis(batch, i, dim_a, p), grid[:, i, :])
            total = term if total is None else total + term
    else:
        for j in range(dim_b):
            term = body(grid[:, :, j], _basis(batch, j, dim_b, p))
            total = term if total is None else total + term
    return total


def _materialize(dim_a, body, like):
    """fun x => body as [batch, dim B · dim A]: column j is the body on the basis vector e_j."""
    columns = [_flatten(body(_basis(1, j, dim_a, like))) for j in range(dim_a)]
    batch = max(c.shape[0] for c in columns)
    columns = [_to_batch(c, batch) for c in columns]
    return _flatten(torch.stack(columns, 2))


def _succ(n):
    return torch.cat([torch.zeros_like(n[:, :1]), n[:, :-1]], 1)


def _network(networks, name, arguments, input_shapes, output_shape):
    """One call of an extern's network on all its arguments (a batch of 1 broadcasts); a flat batch."""
    network = networks[name]
    xs = [x.reshape(x.shape[0], *shape) for x, shape in zip(arguments, input_shapes)]
    batch = _batch_of(xs)
    y = network(*[_to_batch(x, batch) for x in xs])
    size = 1
    for d in output_shape:
        size *= d
    if not isinstance(y, torch.Tensor) or y.dim() < 1 or y.shape[0] != batch or y.numel() != batch * size:
        got = list(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__
        raise ValueError("extern '%s': the linked network returned shape %s, expected %s" % (name, got, [batch] + list(output_shape)))
    return y.reshape(batch, -1)


def _bind(value, body):
    """let x = value in body."""
    return body(value)


def _constant(shape, data):
    if isinstance(data, str):
        values = torch.frombuffer(bytearray.fromhex(data), dtype=torch.float32).clone()
    else:
        values = torch.tensor(data, dtype=torch.float32)
    return values.reshape(shape)


class Definition(torch.nn.Module):
    """A compiled definition: constant neurons as buffers, extern networks as a submodule."""

    externs = ()

    def __init__(self, networks=None):
        super().__init__()
        self.register_buffer("_like", torch.zeros(()), persistent=False)
        networks = dict(networks or {})
        if all(isinstance(n, torch.nn.Module) for n in networks.values()):
            self.networks = torch.nn.ModuleDict(networks)
        else:
            self.networks = networks

    def _check(self, inputs):
        _require_networks(self.externs, self.networks)
        if len(inputs) != len(self.metadata["inputs"]):
            names = ", ".join(i["name"] for i in self.metadata["inputs"]) or "none"
            raise TypeError("%s takes %d input(s) (%s), got %d" % (self.metadata["name"], len(self.metadata["inputs"]), names, len(inputs)))
        for x, spec in zip(inputs, self.metadata["inputs"]):
            size = 1
            for d in spec["shape"]:
                size *= d
            if not isinstance(x, torch.Tensor) or x.dim() < 1 or x.numel() != x.shape[0] * size:
                got = list(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
                raise ValueError("%s: input '%s' must have shape [batch, %s], got %s" % (self.metadata["name"], spec["name"], ", ".join(map(str, spec["shape"])), got))
        return _batch_of(inputs)


_ACTIVATIONS = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid, "linear": lambda x: x}


class Network(torch.nn.Module):
    """
    The network of an extern's declared architecture, with the parameters of the tfjs
    network in the same order and layout (so weights move between the engines unchanged):
    dense kernel [in, out] then bias [out]; conv kernel [kh, kw, in, out] then bias [out].
    Inputs are flattened and concatenated; images are NHWC; the result is [batch, *output].
    """

    def __init__(self, architecture, generator=None):
        super().__init__()
        self.architecture = dict(architecture)
        a = self.architecture
        self.inputs = [list(s) for s in a["inputs"]]
        self.output = list(a["outputShape"])
        self.params = torch.nn.ParameterList()
        in_dim = sum(_size(s) for s in self.inputs)
        out_dim = _size(self.output)
        kind = a["architecture"]
        if kind in ("mlp", "linear"):
            width = in_dim
            for units in list(a["layers"]) + [out_dim]:
                self._dense(width, units, generator)
                width = units
        elif kind in ("cnn", "hyperconv"):
            h, w, c = self._image()
            for i, filters in enumerate(a["layers"]):
                self._conv(a["kernel"], c, filters, generator)
                c = filters
                if a["pooling"] == "each" or i == len(a["layers"]) - 1:
                    h, w = h // a["pool"], w // a["pool"]
            width = h * w * c
            if kind == "hyperconv":
                out_dim = a["window"] * a["window"]
            elif a["dense"] > 0:
                self._dense(width, a["dense"], generator)
                width = a["dense"]
            self._dense(width, out_dim, generator)
        elif kind == "conv":
            h, w, c = self._image()
            for filters in a["layers"]:
                self._conv(a["kernel"], c, filters, generator)
                c = filters
            self._conv(a["kernel"], c, self.output[2] if len(self.output) == 3 else 1, generator)
        elif kind != "dilation":
            raise ValueError("architecture '%s' has no PyTorch builder" % kind)
        if not a["learnable"]:
            for p in self.params:
                p.requires_grad_(False)

    def _image(self):
        s = self.inputs[0]
        return (s[0], s[1], 1) if len(s) == 2 else (s[0], s[1], s[2])

    def _add(self, shape, fan_in, fan_out, generator, zero):
        p = torch.zeros(*shape)
        if not zero:
            # Glorot uniform, as the tfjs layers' default kernel initialiser; the per-image
            # kernel step PyTorch's default U(+-1/sqrt(fan_in)), as the authors' (networks.ts).
            limit = (1.0 / fan_in) ** 0.5 if self.architecture["architecture"] == "hyperconv" else (6.0 / (fan_in + fan_out)) ** 0.5
            p.uniform_(-limit, limit, generator=generator)
        self.params.append(torch.nn.Parameter(p))

    def _dense(self, n_in, n_out, generator):
        self._add((n_in, n_out), n_in, n_out, generator, False)
        self._add((n_out,), 0, 0, generator, True)

    def _conv(self, k, c_in, c_out, generator):
        self._add((k, k, c_in, c_out), k * k * c_in, k * k * c_out, generator, False)
        self._add((c_out,), 0, 0, generator, True)

    def forward(self, *inputs):
        if len(inputs) != len(self.inputs):
            raise ValueError("the network takes %d input(s), got %d" % (len(self.inputs), len(inputs)))
        batch = _batch_of(inputs)
        flat = []
        for i, (x, s) in enumerate(zip(inputs, self.inputs)):
            if x.numel() != x.shape[0] * _size(s):
                raise ValueError("input %d has %d numbers per example, expected %d (shape %s)" % (i + 1, x.numel() // max(x.shape[0], 1), _size(s), s))
            flat.append(_to_batch(x.reshape(x.shape[0], -1), batch))
        x = flat[0] if len(flat) == 1 else torch.cat(flat, 1)
        a = self.architecture
        act = _ACTIVATIONS[a["activation"]]
        p = list(self.params)
        kind = a["architecture"]
        if kind in ("mlp", "linear"):
            layers = len(p) // 2
            for i in range(layers):
                x = torch.addmm(p[2 * i + 1], x, p[2 * i])
                if i < layers - 1:
                    x = act(x)
        else:
            h, w, c = self._image()
            x = x.reshape(batch, h, w, c).permute(0, 3, 1, 2)
            if kind == "dilation":
                # tfjs 'same' max pooling: the window never counts the padding (odd windows);
                # then (1 - blend)·x + blend·dilated(x).
                hk, wk = a["element"]
                dilated = torch.nn.functional.max_pool2d(x, (hk, wk), stride=1, padding=(hk // 2, wk // 2))
                if a["blend"] != 1:
                    dilated = torch.lerp(x, dilated, a["blend"])
                x = _flatten(dilated.permute(0, 2, 3, 1))
            elif kind in ("cnn", "hyperconv"):
                image = x
                convs = len(a["layers"])
                for i in range(convs):
                    x = act(_conv_same(x, p[2 * i], p[2 * i + 1]))
                    if a["pooling"] == "each" or i == convs - 1:
                        x = torch.nn.functional.max_pool2d(x, a["pool"], stride=a["pool"])
                x = _flatten(x.permute(0, 2, 3, 1))
                rest = p[2 * convs:]
                for i in range(len(rest) // 2):
                    x = torch.addmm(rest[2 * i + 1], x, rest[2 * i])
                    if i < len(rest) // 2 - 1:
                        x = act(x)
                if kind == "hyperconv":
                    x = _kernel_step(image, torch.tanh(x), a["window"])
            else:
                convs = len(p) // 2
                for i in range(convs):
                    x = _conv_same(x, p[2 * i], p[2 * i + 1])
                    if i < convs - 1:
                        x = act(x)
                x = _flatten(x.permute(0, 2, 3, 1))
        if a["output"] == "softmax":
            x = torch.softmax(x, 1)
        elif a["output"] == "sigmoid":
            x = torch.sigmoid(x)
        return x.reshape(batch, *self.output)


def _size(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def _kernel_step(image, kernels, window):
    """Each image [batch, 1, h, w], padded with background 0, cross-correlated (as conv2d)
    with its own row-major window×window kernel [batch, window²]; no bias. [batch, h·w]."""
    half = window // 2
    columns = torch.nn.functional.unfold(image, window, padding=half)
    return torch.bmm(kernels.unsqueeze(1), columns).reshape(image.shape[0], -1)


def _conv_same(x, kernel, bias):
    """A stride-1 convolution with tfjs's 'same' padding (kernels are odd: k // 2 on each side); kernel HWIO."""
    return torch.nn.functional.conv2d(x, kernel.permute(3, 2, 0, 1), bias, padding=kernel.shape[0] // 2)


def _dim(t):
    kind = t["kind"]
    if kind == "bool":
        return 2
    if kind == "nat":
        return t["bound"]
    if kind == "real":
        return _size(t["dims"])
    if kind == "function":
        return _dim(t["domain"]) * _dim(t["codomain"])
    return _dim(t["left"]) * _dim(t["right"])


def _encode_one(t, value):
    kind = t["kind"]
    if kind == "bool" and isinstance(value, bool):
        return [1.0, 0.0] if value else [0.0, 1.0]
    if kind == "nat" and isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value < t["bound"]:
            raise ValueError("%d is out of range for Nat[%d]" % (value, t["bound"]))
        return [1.0 if i == value else 0.0 for i in range(t["bound"])]
    if kind == "product" and isinstance(value, tuple):
        a, b = _encode_one(t["left"], value[0]), _encode_one(t["right"], value[1])
        return [x * y for x in a for y in b]
    flat = torch.as_tensor(value, dtype=torch.float32).reshape(-1)
    if flat.numel() != _dim(t):
        raise ValueError("expected %d numbers, got %d" % (_dim(t), flat.numel()))
    return flat.tolist()


def encode(type_desc, values):
    """One value per batch element (bool, int, (a, b) tuples, or numbers) → [batch, dim]."""
    return torch.tensor([_encode_one(type_desc, v) for v in values], dtype=torch.float32).reshape(len(values), _dim(type_desc))


def _decode_index(t, index):
    kind = t["kind"]
    if kind == "bool":
        return index == 0
    if kind == "nat":
        return index
    right = _dim(t["right"])
    return (_decode_index(t["left"], index // right), _decode_index(t["right"], index % right))


def decode(type_desc, tensor):
    """Discrete values (Bool → bool, Nat → int, pairs → tuples) of each batch element: the basis value with the largest entry; None for the zero vector."""
    flat = tensor.detach().reshape(tensor.shape[0], -1)
    result = []
    for row in flat:
        if bool((row == 0).all()):
            result.append(None)
        else:
            result.append(_decode_index(type_desc, int(torch.argmax(row))))
    return result
`;
