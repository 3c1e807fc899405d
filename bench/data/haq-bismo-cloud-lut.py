# Converts HAQ's published BISMO-cloud latency lookup table (a NumPy .npy file) into bench/data/haq-bismo-cloud-lut.csv
# (issue 18). Usage, from this repository's root, with the file taken from a checkout of github.com/mit-han-lab/haq:
#   /usr/bin/python3 bench/data/haq-bismo-cloud-lut.py <haq>/lib/simulator/lookup_tables/qmobilenetv2_imagenet100_batch16_latency_table.npy
# Writes the rows (no header comments) to stdout; the '# ' header of the committed file is written by hand.
# The table has shape (53, 8, 8): one entry per quantizable layer of HAQ's MobileNetV2 (QConv2d / QLinear modules in
# model order) and per (weight bits, activation bits) in 1..8; HAQ's environment reads it as table[layer, w - 1, a - 1].
# The layer names printed are hwnas's zoo:mobilenet-v2 node names of the same layers (same torchvision layout).
import sys
import numpy as np

t = np.load(sys.argv[1])
assert t.shape == (53, 8, 8), t.shape
names = ['stem']
blocks = [(1, 16, 1), (6, 24, 2), (6, 32, 3), (6, 64, 4), (6, 96, 3), (6, 160, 3), (6, 320, 1)]
b = 0
for expand, _, n in blocks:
    for _ in range(n):
        if expand != 1:
            names.append(f'b{b}_expand')
        names += [f'b{b}_dw', f'b{b}_project']
        b += 1
names += ['head', 'classifier']
assert len(names) == 53
print('layer,node,wBits,aBits,cycles')
for i, name in enumerate(names):
    for w in range(1, 9):
        for a in range(1, 9):
            print(f'{i},{name},{w},{a},{int(t[i, w - 1, a - 1])}')
