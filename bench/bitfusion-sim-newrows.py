#!/usr/bin/python3
"""New held-out rows for bitfusion-edge (issue 18, session 34): layer shapes the simulator sweep never had, run
through the BitFusion authors' own tiling search at the sweep's five configurations.

The sweep (bench/data/bitfusion-sim-layers.csv) has 61 layers of 8 benchmarks; every one of its rows now counts as
fit data (session 33 saw its residuals). This script prints rows for layers of other networks (VGG-16, ResNet-50,
SqueezeNet 1.0, GoogLeNet, ResNet-18 at normal width, hwnas's mnist-cnn, NAS-Bench-201 cell convolutions, large
LSTM / dense matmuls), in the same columns, with the simulator's cycles, memory-wait cycles and DRAM bits computed
by the simulator's code (bench/bitfusion-sim-rerun.py's `cycles`: optimizer.py _optimize_for_order over the 120
loop orders, then get_stats_fast; that path reproduced all 305 sweep rows exactly). Shapes whose (kind, inC,
outC, inH, outH, k, stride) occur in the sweep are refused, so no new row is an old shape at other bits.

Bit widths: the sweep's own set, dealt in a fixed rotation over the layers in list order (w/a = 4/4, 2/2, 8/8,
2/4, 4/8), so every network gets several; batch 16 as in the sweep; a layer reading the network input is
im2col'd (input = 1), as Simulator.get_cycles does.

Run: /usr/bin/python3 bench/bitfusion-sim-newrows.py <bitfusion checkout> > bench/data/bitfusion-sim-new.csv
"""
import csv
import importlib.util
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# (network, layer, kind, input, inC, outC, inH, outH, k, stride); conv outH = ceil(inH / stride) ('same') or
# (inH - k) // stride + 1 ('valid'), as bench/cost-validation.ts's layerGraph infers the padding
LAYERS = [
    ('VGG-16', 'conv1_1', 'conv', 1, 3, 64, 224, 224, 3, 1),
    ('VGG-16', 'conv1_2', 'conv', 0, 64, 64, 224, 224, 3, 1),
    ('VGG-16', 'conv2_2', 'conv', 0, 128, 128, 112, 112, 3, 1),
    ('VGG-16', 'conv3_2', 'conv', 0, 256, 256, 56, 56, 3, 1),
    ('VGG-16', 'conv4_1', 'conv', 0, 256, 512, 28, 28, 3, 1),
    ('VGG-16', 'conv4_2', 'conv', 0, 512, 512, 28, 28, 3, 1),
    ('VGG-16', 'conv3_1', 'conv', 0, 128, 256, 56, 56, 3, 1),
    ('VGG-16', 'fc6', 'fc', 0, 25088, 4096, None, None, None, None),
    ('VGG-16', 'fc8', 'fc', 0, 4096, 1000, None, None, None, None),
    ('ResNet-50', 'conv1', 'conv', 1, 3, 64, 224, 112, 7, 2),
    ('ResNet-50', 'conv2_1_a', 'conv', 0, 64, 64, 56, 56, 1, 1),
    ('ResNet-50', 'conv4_1_c', 'conv', 0, 256, 1024, 14, 14, 1, 1),
    ('ResNet-50', 'conv2_1_c', 'conv', 0, 64, 256, 56, 56, 1, 1),
    ('ResNet-50', 'conv3_1_b', 'conv', 0, 128, 128, 56, 28, 3, 2),
    ('ResNet-50', 'conv3_2_c', 'conv', 0, 128, 512, 28, 28, 1, 1),
    ('ResNet-50', 'conv4_2_a', 'conv', 0, 1024, 256, 14, 14, 1, 1),
    ('ResNet-50', 'conv4_1_b', 'conv', 0, 256, 256, 28, 14, 3, 2),
    ('ResNet-50', 'conv5_1_s', 'conv', 0, 1024, 2048, 14, 7, 1, 2),
    ('ResNet-50', 'conv5_2_c', 'conv', 0, 512, 2048, 7, 7, 1, 1),
    ('ResNet-50', 'fc', 'fc', 0, 2048, 1000, None, None, None, None),
    ('SqueezeNet', 'conv1', 'conv', 1, 3, 96, 224, 109, 7, 2),
    ('SqueezeNet', 'fire2/squeeze', 'conv', 0, 96, 16, 55, 55, 1, 1),
    ('SqueezeNet', 'fire2/expand3', 'conv', 0, 16, 64, 55, 55, 3, 1),
    ('SqueezeNet', 'fire5/expand3', 'conv', 0, 32, 128, 27, 27, 3, 1),
    ('SqueezeNet', 'fire9/expand3', 'conv', 0, 64, 256, 13, 13, 3, 1),
    ('SqueezeNet', 'conv10', 'conv', 0, 512, 1000, 13, 13, 1, 1),
    ('GoogLeNet', 'conv2_3x3', 'conv', 0, 64, 192, 56, 56, 3, 1),
    ('GoogLeNet', 'inc3a/3x3', 'conv', 0, 96, 128, 28, 28, 3, 1),
    ('GoogLeNet', 'inc3a/5x5', 'conv', 0, 16, 32, 28, 28, 5, 1),
    ('GoogLeNet', 'inc3a/1x1', 'conv', 0, 192, 64, 28, 28, 1, 1),
    ('GoogLeNet', 'inc4e/3x3', 'conv', 0, 160, 320, 14, 14, 3, 1),
    ('GoogLeNet', 'inc5b/3x3', 'conv', 0, 192, 384, 7, 7, 3, 1),
    ('ResNet-18', 'conv2_x', 'conv', 0, 64, 64, 56, 56, 3, 1),
    ('ResNet-18', 'conv3_x', 'conv', 0, 128, 128, 28, 28, 3, 1),
    ('ResNet-18', 'conv4_x', 'conv', 0, 256, 256, 14, 14, 3, 1),
    ('ResNet-18', 'conv5_x', 'conv', 0, 512, 512, 7, 7, 3, 1),
    ('ResNet-18', 'fc', 'fc', 0, 512, 1000, None, None, None, None),
    ('mnist-cnn', 'conv1', 'conv', 1, 1, 16, 28, 28, 3, 1),
    ('mnist-cnn', 'conv2', 'conv', 0, 16, 32, 14, 14, 3, 1),
    ('mnist-cnn', 'fc', 'fc', 0, 1568, 10, None, None, None, None),
    ('NB201', 'cell1/conv3x3', 'conv', 0, 16, 16, 32, 32, 3, 1),
    ('NB201', 'cell2/conv3x3', 'conv', 0, 32, 32, 16, 16, 3, 1),
    ('NB201', 'cell3/conv3x3', 'conv', 0, 64, 64, 8, 8, 3, 1),
    ('NB201', 'cell1/conv1x1', 'conv', 0, 16, 16, 32, 32, 1, 1),
    ('GNMT-LSTM', 'matmul', 'fc', 0, 2048, 4096, None, None, None, None),
    ('LSTM-2048', 'matmul', 'fc', 0, 4096, 8192, None, None, None, None),
    ('Transformer', 'ffn1', 'fc', 0, 512, 2048, None, None, None, None),
    ('Transformer', 'ffn2', 'fc', 0, 2048, 512, None, None, None, None),
]
BITS = [(4, 4), (2, 2), (8, 8), (2, 4), (4, 8)]  # (wBits, aBits)
BATCH = 16
COLS = ['config', 'rows', 'cols', 'bandwidthBitsPerCycle', 'weightBufBytes', 'inputBufBytes', 'outputBufBytes', 'network',
        'layer', 'kind', 'input', 'batch', 'inC', 'outC', 'inH', 'outH', 'k', 'stride', 'wBits', 'aBits', 'simCycles',
        'simMemWaitCycles', 'simDramReadBits', 'simDramWriteBits']


def shape_key(r):
    return tuple(str(r[k]) if r[k] is not None else '' for k in ('kind', 'inC', 'outC', 'inH', 'outH', 'k', 'stride'))


def main():
    if len(sys.argv) < 2:
        sys.exit('usage: bitfusion-sim-newrows.py <bitfusion checkout> > out.csv')
    spec = importlib.util.spec_from_file_location('rerun', os.path.join(HERE, 'bitfusion-sim-rerun.py'))
    rerun = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(rerun)
    opt, acc = rerun.simulator(sys.argv[1])
    with open(os.path.join(HERE, 'data', 'bitfusion-sim-layers.csv')) as f:
        old = list(csv.DictReader(line for line in f if not line.startswith('#')))
    old_shapes = {tuple(r[k] for k in ('kind', 'inC', 'outC', 'inH', 'outH', 'k', 'stride')) for r in old}
    configs = {}
    for r in old:
        configs.setdefault(r['config'], {k: r[k] for k in COLS[1:7]})
    rows = []
    for i, (net, name, kind, inp, ic, oc, ih, oh, k, s) in enumerate(LAYERS):
        wb, ab = BITS[i % len(BITS)]
        for cid, c in configs.items():
            r = dict(c, config=cid, network=net, layer=name, kind=kind, input=inp, batch=BATCH, inC=ic, outC=oc, inH=ih,
                     outH=oh, k=k, stride=s, wBits=wb, aBits=ab)
            if shape_key(r) in old_shapes:
                sys.exit('%s/%s: this shape is in the sweep already' % (net, name))
            rows.append(r)
    if len({shape_key(r) for r in rows}) != len(LAYERS):
        sys.exit('two new layers share a shape')
    if len({(r['network'], r['layer']) for r in rows}) != len(LAYERS):
        sys.exit('duplicate network/layer names')
    print('# New held-out rows for bitfusion-edge (issue 18, session 34, cost11): layer shapes the sweep in bitfusion-sim-layers.csv never had, costed by the BitFusion authors\' simulator code; committed before any model change')
    print('# source: simulator: github.com/hsharma35/bitfusion at commit 04ec1c87c91ef4a681858f84f5a7832d5b65e83b, optimizer.py _optimize_for_order over the 120 loop orders then get_stats_fast (bench/bitfusion-sim-rerun.py\'s path, which reproduces all 305 sweep rows exactly); unit energies for the tie-break')
    print('# source: configurations: the sweep\'s five (%s), batch 16' % ' '.join(configs))
    print('# source: shapes: VGG-16, ResNet-50 (dense convs, fc), SqueezeNet 1.0, GoogLeNet, ResNet-18 at normal width, hwnas zoo mnist-cnn, NAS-Bench-201 cell convs (C = 16/32/64), GNMT / LSTM / Transformer matmuls; chosen by hand (bench/bitfusion-sim-newrows.py LAYERS) before any model change, no shape (kind, channels, sizes, kernel, stride) of the sweep; bits dealt in a fixed rotation 4/4, 2/2, 8/8, 2/4, 4/8 (w/a)')
    print('# note: criterion (registered with this file): mean |ln(model / simulator cycles)| over all rows, plus cycles Spearman, share within 25%, and DRAM bytes Spearman / median error; scored once, old preset vs new options')
    print(','.join(COLS))
    for r in rows:
        c = rerun.cycles(opt, acc, {k: str(v) for k, v in r.items()})
        r.update(simCycles=c[0], simMemWaitCycles=c[1], simDramReadBits=c[2], simDramWriteBits=c[3])
        print(','.join('' if r[k] is None else str(r[k]) for k in COLS))
        sys.stdout.flush()


if __name__ == '__main__':
    main()
