# Builds bench/data/nb201-help-latency.csv (issue 18, session 44, table21): the NAS-Bench-201 latencies that HELP
# (Lee, Lee and Hwang, "HELP: Hardware-adaptive efficient latency prediction for NAS via meta-learning", NeurIPS 2021)
# ships for all 15,625 NB201 cells on 25 devices / batch sizes, keyed by NB201 index, with the cell code of nb201-hw360.csv.
# Inputs:
#   1. github.com/HayeonLee/HELP commit 45f70eb92d0d735970a33b608d1544ad3c52f285: data/nasbench201/latency/<device>.pt
#      (torch.save of a Python list of 15,625 numbers, index = NB201 index) and data/nasbench201/str_arch2idx.pt
#      (NB201 architecture string -> index), copied to one directory;
#   2. bench/data/nb201-hw360.csv of this repository (NB201 index -> cell code, from HW-NAS-Bench's arch strings).
# The .pt files are zip archives holding a pickle; they are read with the standard library only (no torch), with an
# unpickler that refuses every class (plain lists, dicts, numbers and strings only). Every index's architecture string
# is checked against nb201-hw360.csv's cell code.
# Usage: python3 nb201-help-latency.py <dir of .pt files> nb201-hw360.csv > body.csv (then prepend the '# ' header lines).
import os, pickle, sys, zipfile

OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3']
DEVICES = ['1080ti_1', '1080ti_32', '1080ti_256', '2080ti_1', '2080ti_32', '2080ti_256', 'titan_rtx_1', 'titan_rtx_32',
           'titan_rtx_256', 'titanx_1', 'titanx_32', 'titanx_256', 'titanxp_1', 'titanxp_32', 'titanxp_256', 'gold_6226',
           'gold_6240', 'silver_4114', 'silver_4210r', 'essential_ph_1', 'pixel2', 'pixel3', 'samsung_a50', 'samsung_s7',
           'raspi4', 'eyeriss', 'fpga']
src, hw360_path = sys.argv[1], sys.argv[2]


class Plain(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError(f'refused class {module}.{name}')


def load(path):
    z = zipfile.ZipFile(path)
    [name] = [n for n in z.namelist() if n.endswith('/data.pkl')]
    return Plain(z.open(name)).load()


def code(arch):
    # '|a~0|+|b~0|c~1|+|d~0|e~1|f~2|' -> the op indices of edges 0->1, 0->2, 1->2, 0->3, 1->3, 2->3
    ops = [e.split('~')[0] for grp in arch.split('+') for e in grp.strip('|').split('|')]
    return ''.join(str(OPS.index(o)) for o in ops)


known = {}
for line in open(hw360_path):
    if line.startswith('#') or line.startswith('nb201_index'):
        continue
    f = line.split(',')
    known[int(f[0])] = f[1]
idx = load(os.path.join(src, 'str_arch2idx.pt'))
if sorted(idx.values()) != list(range(15625)):
    sys.exit('str_arch2idx.pt: expected the indices 0-15624 once each')
for arch, i in idx.items():
    if code(arch) != known[i]:
        sys.exit(f'NB201 index {i}: HELP has {arch} ({code(arch)}); nb201-hw360.csv has cell {known[i]}')
lat = {}
for d in DEVICES:
    v = load(os.path.join(src, d + '.pt'))
    if len(v) != 15625 or not all(isinstance(x, (int, float)) and x > 0 for x in v):
        sys.exit(f'{d}.pt: expected 15,625 positive numbers')
    lat[d] = v
print('nb201_index,cell,' + ','.join(f'help_{d}_ms' for d in DEVICES))
for i in range(15625):
    print(f'{i},{known[i]},' + ','.join(f'{lat[d][i]:.4f}'.rstrip('0').rstrip('.') for d in DEVICES))
