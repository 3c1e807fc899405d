#!/usr/bin/python3
"""Builds bench/data/ec-nas-bench-5v.csv from EC-NAS-Bench's per-architecture training results (issue 18, session 38, table15).

Usage: /usr/bin/python3 bench/data/ec-nas-bench.py <bare git dir of github.com/PedramBakh/EC-NAS-Bench> > bench/data/ec-nas-bench-5v.csv

EC-NAS-Bench (Bakhtiarifard, Igel, Selvan, "EC-NAS: Energy Consumption-Aware Tabular Benchmarks for Neural Architecture
Search", ICASSP 2024; MIT licence) trained every cell of NAS-Bench-101's space cut to 5 vertices (input, up to 3
operations from conv3x3-bn-relu, conv1x1-bn-relu, maxpool3x3, output; at most 9 edges) for 4 epochs on CIFAR-10 on a
Quadro RTX 6000 and measured the energy. The repository stores, per architecture, a results.json under
ecnas/vendors/ec_nasbench/nasbench/data/train_model_results/energy/5V9E/4_epochs/<2 hex>/<hash>/repeat_1/, and the list
of the space's graphs (hash -> [adjacency matrix, labels]; labels -1 input, -2 output, 0/1/2 the operations in that
order) in ecnas/vendors/ec_nasbench/nasbench/data/graphs/generated_graphs_5V9E.json. The tfrecord tables are Git LFS
pointers (absent), so the results.json files are the source.

The graph hash: this file's own implementation of the vertex-hash refinement NAS-Bench-101 describes (each vertex
starts from the MD5 of its (out-degree, in-degree, label); as many rounds as vertices, each vertex re-hashed from its
sorted in-neighbour hashes, its sorted out-neighbour hashes and its own; the graph's hash is the MD5 of the sorted vertex
hashes). The builder checks that it reproduces every key of the graphs file from the key's graph, that every results
directory and its model_hash name a graph of the file, and writes one row per graph of the file (figures empty where the
repository stores no results for it: a failed query, never a number).

Columns: hash; vertices (2-5, after NAS-Bench-101's pruning of vertices not on an input-output path); adjacency (the
upper triangle of the stored matrix, row by row, as 0/1 characters); ops (the stored labels of the middle vertices,
'|'-separated: conv3x3, conv1x1, maxpool); then from the results.json: val_acc and test_acc (validation and test accuracy
after epoch 4, the last evaluation), energy_kwh (total_energy (kWh): the whole run, 4 epochs of training and the
evaluations, GPU + CPU), train_energy_kwh (the last evaluation's cumulative 'energy (kWh)'), time_s (total_time),
params_m (trainable_params / 1e6), predict_s (the last evaluation's predict_time, seconds).
"""
import hashlib, json, subprocess, sys

GRAPHS = "ecnas/vendors/ec_nasbench/nasbench/data/graphs/generated_graphs_5V9E.json"
RESULTS = "ecnas/vendors/ec_nasbench/nasbench/data/train_model_results/energy/5V9E/4_epochs/"
OPS = ["conv3x3", "conv1x1", "maxpool"]


def md5(s):
    return hashlib.md5(s.encode("utf-8")).hexdigest()


def graph_hash(matrix, labels):
    n = len(matrix)
    out_deg = [sum(matrix[v]) for v in range(n)]
    in_deg = [sum(matrix[w][v] for w in range(n)) for v in range(n)]
    h = [md5(str((out_deg[v], in_deg[v], labels[v]))) for v in range(n)]
    for _ in range(n):
        h = [
            md5("".join(sorted(h[w] for w in range(n) if matrix[w][v])) + "|" + "".join(sorted(h[w] for w in range(n) if matrix[v][w])) + "|" + h[v])
            for v in range(n)
        ]
    return md5(str(sorted(h)))


def git(gitdir, *args):
    return subprocess.run(["git", "--git-dir", gitdir, *args], check=True, capture_output=True).stdout


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__.split("\n\n")[1])
    gitdir = sys.argv[1]
    commit = git(gitdir, "rev-parse", "HEAD").decode().strip()
    raw = git(gitdir, "show", "%s:%s" % (commit, GRAPHS))
    graphs = json.loads(raw)
    for k, (m, labels) in graphs.items():
        n = len(m)
        if not (2 <= n <= 5) or any(len(r) != n for r in m) or len(labels) != n or labels[0] != -1 or labels[-1] != -2 or any(l not in (0, 1, 2) for l in labels[1:-1]):
            raise SystemExit("graph %s: expected a 2-5 vertex matrix with labels -1, 0-2 ..., -2" % k)
        if any(m[i][j] for i in range(n) for j in range(i + 1)) or sum(map(sum, m)) > 9:
            raise SystemExit("graph %s: expected a strictly upper-triangular matrix with at most 9 edges" % k)
        if graph_hash(m, labels) != k:
            raise SystemExit("graph %s: this file's hash gives %s" % (k, graph_hash(m, labels)))
    names = [p for p in git(gitdir, "ls-tree", "-r", "--name-only", commit, RESULTS).decode().splitlines() if p.endswith("/results.json")]
    results = {}
    batch = subprocess.run(
        ["git", "--git-dir", gitdir, "cat-file", "--batch"], input="".join("%s:%s\n" % (commit, p) for p in names).encode(), check=True, capture_output=True
    ).stdout
    pos = 0
    for p in names:
        header_end = batch.index(b"\n", pos)
        size = int(batch[pos:header_end].split()[2])
        body = batch[header_end + 1 : header_end + 1 + size]
        pos = header_end + 2 + size
        parts = p[len(RESULTS) :].split("/")
        if len(parts) != 4 or parts[2] != "repeat_1" or parts[0] != parts[1][:2]:
            raise SystemExit("%s: expected <2 hex>/<hash>/repeat_1/results.json" % p)
        r = json.loads(body)
        h = parts[1]
        if r.get("model_hash") != h or h not in graphs or h in results:
            raise SystemExit("%s: model_hash %r: expected the directory's hash, a graph of the file, once" % (p, r.get("model_hash")))
        last = r["evaluation_results"][-1]
        if last["epochs"] != 4.0:
            raise SystemExit("%s: the last evaluation is at epoch %r; expected 4" % (p, last["epochs"]))
        results[h] = [
            "%.6g" % last["validation_accuracy"],
            "%.6g" % last["test_accuracy"],
            "%.6g" % r["total_energy (kWh)"],
            "%.6g" % last["energy (kWh)"],
            "%.6g" % r["total_time"],
            "%.6g" % (r["trainable_params"] / 1e6),
            "%.6g" % last["predict_time"],
        ]
    out = sys.stdout
    out.write(
        "# EC-NAS-Bench (Bakhtiarifard, Igel, Selvan, \"EC-NAS: Energy Consumption-Aware Tabular Benchmarks for Neural Architecture Search\", ICASSP 2024): NAS-Bench-101's cell space cut to 5 vertices (%d graphs up to isomorphism, %d with results), each trained 4 epochs on CIFAR-10 on an NVIDIA Quadro RTX 6000 with its measured energy (issue 18, session 38, table15: unseen by every hwnas search before the pre-registration)\n"
        % (len(graphs), len(results))
    )
    out.write("# source: github.com/PedramBakh/EC-NAS-Bench commit %s (MIT licence): %s (sha256 %s) and %s<2 hex>/<hash>/repeat_1/results.json (%d files)\n" % (commit, GRAPHS, hashlib.sha256(raw).hexdigest(), RESULTS, len(names)))
    out.write("# source: hash = NAS-Bench-101's graph hash of the cell (recomputed by the builder for every graph); vertices, adjacency (upper triangle row by row) and ops (middle vertices: conv3x3 = conv3x3-bn-relu, conv1x1 = conv1x1-bn-relu, maxpool = maxpool3x3) as stored, after pruning\n")
    out.write("# source: val_acc / test_acc = validation / test accuracy after epoch 4; energy_kwh = total_energy (kWh), the whole run (training and evaluations, GPU and CPU); train_energy_kwh = the epoch-4 evaluation's cumulative energy (kWh); time_s = total_time; params_m = trainable_params / 1e6; predict_s = the epoch-4 evaluation's predict_time; all to 6 significant digits; empty for the graphs without a results.json (a failed query, never a number)\n")
    out.write("# note: built by /usr/bin/python3 bench/data/ec-nas-bench.py <git dir>\n")
    out.write("hash,vertices,adjacency,ops,val_acc,test_acc,energy_kwh,train_energy_kwh,time_s,params_m,predict_s\n")
    for k in sorted(graphs):
        m, labels = graphs[k]
        n = len(m)
        adj = "".join(str(m[i][j]) for i in range(n) for j in range(i + 1, n))
        ops = "|".join(OPS[l] for l in labels[1:-1])
        out.write(",".join([k, str(n), adj, ops] + results.get(k, [""] * 7)) + "\n")
    print("graphs %d, with results %d, without %d" % (len(graphs), len(results), len(graphs) - len(results)), file=sys.stderr)


if __name__ == "__main__":
    main()
