#!/usr/bin/python3
"""Builds bench/data/nas-bench-graph.csv from NAS-Bench-Graph's light benchmark files (issue 18, session 35, table12).

Usage: /usr/bin/python3 bench/data/nas-bench-graph.py <dir with arxiv.bench, computers.bench, pubmed.bench> > bench/data/nas-bench-graph.csv
       /usr/bin/python3 bench/data/nas-bench-graph.py <dir> cora,citeseer,photo,cs,physics > bench/data/nas-bench-graph-2.csv
       /usr/bin/python3 bench/data/nas-bench-graph.py <dir> proteins gcn,sage,arma,fc,skip > bench/data/nas-bench-graph-proteins.csv

The optional second argument names the datasets (default arxiv,computers,pubmed: the first CSV, byte for byte as in
session 35); session 36 (table13) wrote the second CSV with cora, citeseer, photo, cs and physics. The optional third
argument restricts the space to a subset of the operations (the benchmark's names, skip among them; default all 9):
session 38 (table15) wrote bench/data/nas-bench-graph-proteins.csv with ogbn-proteins on the 5 operations its light file
covers (gcn, sage, arma, fc, skip: 9 x 5^4 = 5,625 points), where the full space's checks fail (most of its points have
no class in proteins.bench). With a subset the checks are the same on the sub-space: every stored hash must decode to a
point of it, the hashes' classes must be distinct, and every sub-space point but the all-skip ones must have one.

The .bench files are pickled dicts {hash: {valid_perf, perf, latency, para}}. They are read with an unpickler that
imports nothing: every global is refused except the two names numpy uses to pickle a float64 scalar (numpy.dtype and
numpy.core.multiarray.scalar), which are replaced by the local stand-ins below (they accept only an 'f8' dtype and 8
raw bytes, decoded with struct); numpy itself is never imported.

The space (see bench/nas-bench-graph.ts): a link pattern (the input node of each of 4 computing nodes, one of the 9
patterns the benchmark's hash encodes) and 4 operations of 9. Each point is mapped to the benchmark's hash through its
computation class (class_key below, written here from the benchmark paper's description of the space): skip nodes are
contracted into their input, a computing node's class is its operation and the multiset of its children's classes, and
the output is the multiset of leaves that do not carry the raw input (a leaf whose value is the input, through skips,
adds nothing: the benchmark's canonical form drops it). Every stored hash decodes (base 10, link pattern then the 4
operations) to a point; the builder checks that the stored hashes' classes are distinct and that every point's class is
the class of exactly one stored hash, except the 9 points whose 4 operations are all skip (no computing operation; the
benchmark never trained them): their row has an empty hash and empty figures.
"""
import collections, hashlib, itertools, os, pickle, struct, sys

OPS = ["gat", "gcn", "gin", "cheb", "sage", "arma", "graph", "fc", "skip"]
LINKS = ["0000", "0001", "0011", "0012", "0013", "0111", "0112", "0122", "0123"]
DATASETS = ["arxiv", "computers", "pubmed"]
KNOWN = {
    "arxiv": "ogbn-arxiv, the largest graph",
    "computers": "Amazon co-purchase",
    "pubmed": "citation",
    "cora": "citation",
    "citeseer": "citation",
    "photo": "Amazon co-purchase",
    "cs": "Coauthor CS, co-authorship",
    "physics": "Coauthor Physics, co-authorship",
    "proteins": "ogbn-proteins, protein association",
}
MIRROR_COMMIT = "be42534b56f6aaab2c3d6145b10eda9cbde10193"


class _F8Dtype:
    def __init__(self, name, *_):
        if name != "f8":
            raise pickle.UnpicklingError("numpy dtype %r: only f8 is expected in a .bench file" % (name,))
        self.order = "<"

    def __setstate__(self, state):
        self.order = state[1]


def _f8_scalar(dtype, raw):
    if not isinstance(dtype, _F8Dtype) or not isinstance(raw, bytes) or len(raw) != 8:
        raise pickle.UnpicklingError("numpy scalar: expected an f8 dtype and 8 bytes")
    return struct.unpack((">" if dtype.order == ">" else "<") + "d", raw)[0]


class _Restricted(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) == ("numpy", "dtype"):
            return _F8Dtype
        if (module, name) == ("numpy.core.multiarray", "scalar"):
            return _f8_scalar
        raise pickle.UnpicklingError("refused global %s.%s" % (module, name))


def load_bench(path):
    with open(path, "rb") as f:
        data = _Restricted(f).load()
    if not isinstance(data, dict):
        raise SystemExit("%s: expected a dict" % path)
    for h, v in data.items():
        if not isinstance(h, int) or not isinstance(v, dict) or not all(isinstance(v.get(k), float) for k in ("perf", "latency", "para")):
            raise SystemExit("%s: entry %r: expected int -> {perf, latency, para: float}" % (path, h))
    return data


def decode(stored, ops=OPS):
    h, digits = stored, []
    for _ in range(4):
        digits.append(h % 10)
        h //= 10
    if h >= len(LINKS) or any(d >= len(OPS) for d in digits):
        raise SystemExit("hash does not decode to a link pattern and 4 of the 9 operations")
    point = (LINKS[h], tuple(OPS[d] for d in reversed(digits)))
    if any(o not in ops for o in point[1]):
        raise SystemExit("hash %s decodes to %s-%s: an operation outside the sub-space's %s" % (stored, point[0], "-".join(point[1]), ",".join(ops)))
    return point


def class_key(link, ops):
    parent = [int(c) for c in link]  # input node of computing node i + 1 (0: the raw input)
    carries = [0] * 5  # the node whose value node i carries (skips contracted)
    for i in range(1, 5):
        carries[i] = carries[parent[i - 1]] if ops[i - 1] == "skip" else i
    has_child = [False] * 5
    for i in range(1, 5):
        has_child[parent[i - 1]] = True
    out = collections.Counter(carries[i] for i in range(1, 5) if not has_child[i] and carries[i] != 0)
    children = collections.defaultdict(list)
    for i in range(1, 5):
        if ops[i - 1] != "skip":
            children[carries[parent[i - 1]]].append(i)

    def node(v):
        inner = ",".join(sorted(node(c) for c in children[v]))
        return "%s(%s)%s" % ("in" if v == 0 else ops[v - 1], inner, "*%d" % out[v] if out[v] else "")

    return node(0)


def main():
    global DATASETS
    if len(sys.argv) not in (2, 3, 4):
        raise SystemExit(__doc__.split("\n\n")[1])
    src = sys.argv[1]
    if len(sys.argv) >= 3:
        DATASETS = sys.argv[2].split(",")
        bad = [d for d in DATASETS if d not in KNOWN] + (["(repeated)"] if len(set(DATASETS)) != len(DATASETS) else [])
        if bad or not DATASETS:
            raise SystemExit("datasets %r: expected distinct names of %s" % (sys.argv[2], ", ".join(KNOWN)))
    ops = OPS
    if len(sys.argv) == 4:
        ops = sys.argv[3].split(",")
        if len(set(ops)) != len(ops) or any(o not in OPS for o in ops) or "skip" not in ops or len(ops) < 2:
            raise SystemExit("operations %r: expected distinct names of %s, skip among them" % (sys.argv[3], ", ".join(OPS)))
        ops = [o for o in OPS if o in ops]  # the benchmark's order
    subset = ops != OPS
    first = DATASETS == ["arxiv", "computers", "pubmed"]
    benches, shas = {}, {}
    for d in DATASETS:
        p = os.path.join(src, d + ".bench")
        with open(p, "rb") as f:
            shas[d] = hashlib.sha256(f.read()).hexdigest()
        benches[d] = load_bench(p)
    hashes = set(benches[DATASETS[0]])
    for d in DATASETS[1:]:
        if set(benches[d]) != hashes:
            raise SystemExit("%s.bench and %s.bench store different hashes" % (d, DATASETS[0]))
    by_class = {}
    for h in hashes:
        k = class_key(*decode(h, ops))
        if k in by_class:
            raise SystemExit("hashes %d and %d have the same class %s" % (by_class[k], h, k))
        by_class[k] = h
    rows, missing, used = [], 0, set()
    for link in LINKS:
        for point_ops in itertools.product(ops, repeat=4):
            arch = "%s-%s" % (link, "-".join(point_ops))
            h = by_class.get(class_key(link, point_ops))
            if h is None:
                if any(o != "skip" for o in point_ops):
                    raise SystemExit("point %s: its class is in no .bench file" % arch)
                missing += 1
                rows.append(",".join([arch, ""] + [""] * (3 * len(DATASETS))))
                continue
            used.add(h)
            cells = [arch, str(h)]
            for d in DATASETS:
                v = benches[d][h]
                cells += ["%.6g" % v["perf"], "%.6g" % (1000 * v["latency"]), "%.6g" % v["para"]]
            rows.append(",".join(cells))
    if used != hashes:
        raise SystemExit("%d stored hashes are the class of no point" % len(hashes - used))
    out = sys.stdout
    if subset:
        out.write("# NAS-Bench-Graph (Qin et al., \"NAS-Bench-Graph: Benchmarking Graph Neural Architecture Search\", NeurIPS 2022 Datasets and Benchmarks), the sub-space of %d of its 9 operations (%s; %d points, %d classes) with the test performance, latency and parameters the benchmark stores for its class on %s (issue 18, session 38, table15: the benchmark's light file for this dataset stores these operations only; unseen by every hwnas search before the pre-registration)\n" % (len(ops), ", ".join(ops), len(rows), len(hashes), ", ".join(DATASETS)))
    elif first:
        out.write("# NAS-Bench-Graph (Qin et al., \"NAS-Bench-Graph: Benchmarking Graph Neural Architecture Search\", NeurIPS 2022 Datasets and Benchmarks): every point of a GNN space (link pattern + 4 operations; %d points, %d classes) with the test performance, latency and parameters the benchmark stores for its class on three datasets (issue 18, session 35, table12: a space no hwnas search was run or tuned on before the pre-registration)\n" % (len(rows), len(hashes)))
    else:
        out.write("# NAS-Bench-Graph (Qin et al., \"NAS-Bench-Graph: Benchmarking Graph Neural Architecture Search\", NeurIPS 2022 Datasets and Benchmarks), second file: every point of the GNN space of bench/data/nas-bench-graph.csv (%d points, %d classes) with the test performance, latency and parameters the benchmark stores for its class on %d more datasets (issue 18, session 36, table13: datasets no hwnas search was run or tuned on before the pre-registration)\n" % (len(rows), len(hashes), len(DATASETS)))
    out.write("# source: github.com/THUMNLab/NAS-Bench-Graph commit %s (Apache-2.0), nas-bench-graph/light/<dataset>.bench: %s\n" % (MIRROR_COMMIT, "; ".join("%s.bench sha256 %s" % (d, shas[d]) for d in DATASETS)))
    if subset:
        out.write("# source: arch = <link>-<op1>-<op2>-<op3>-<op4>: link = the input node of computing nodes 1-4 (0 the raw input, i node i), one of the 9 patterns the benchmark's hash encodes; ops from %s only (the benchmark's names); leaves (nodes without a child) feed the output\n" % ", ".join(ops))
    else:
        out.write("# source: arch = <link>-<op1>-<op2>-<op3>-<op4>: link = the input node of computing nodes 1-4 (0 the raw input, i node i), one of the 9 patterns the benchmark's hash encodes; ops from gat (2 heads), gcn, gin, cheb, sage, arma, graph (k-GNN), fc, skip; leaves (nodes without a child) feed the output\n")
    out.write("# source: hash = the benchmark's key of the point's class (bench/data/nas-bench-graph.py maps each point through its computation class: skips contracted, leaves carrying the raw input dropped); empty for the %d points whose 4 operations are all skip (no computing operation; not in the benchmark: an error when queried, never a number)\n" % missing)
    out.write("# source: <dataset>_perf = the stored test performance (accuracy; 'perf'), <dataset>_latency_ms = the stored measured latency ('latency', seconds, here x1000), <dataset>_params_m = the stored parameter count in millions ('para'); all rounded to 6 significant digits; datasets: %s\n" % ", ".join("%s (%s)" % (d, KNOWN[d]) for d in DATASETS))
    out.write("# note: built by /usr/bin/python3 bench/data/nas-bench-graph.py%s%s (restricted unpickler: no global is imported)\n" % ("" if first else " <dir> " + ",".join(DATASETS), " " + ",".join(ops) if subset else ""))
    out.write(",".join(["arch", "hash"] + ["%s_%s" % (d, c) for d in DATASETS for c in ("perf", "latency_ms", "params_m")]) + "\n")
    for r in rows:
        out.write(r + "\n")
    print("points %d, classes %d, points without a class in the benchmark %d" % (len(rows), len(hashes), missing), file=sys.stderr)


if __name__ == "__main__":
    main()
