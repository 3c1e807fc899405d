#!/usr/bin/python3
"""Re-run the BitFusion authors' simulator code on every row of bench/data/bitfusion-sim-layers.csv (issue 18).

Checks that the data file's layer shapes and bit widths are the ones the published sweep
(results/bitfusion-eyeriss-sim-sweep.csv) was computed for: for each row it calls the simulator's own
tiling search (bitfusion/src/optimizer/optimizer.py: _optimize_for_order over the 120 loop orders, then
get_stats_fast on the best tiling, as Simulator.get_conv_cycles does) with the row's configuration and
prints the simulator's cycles next to the sweep's. Nothing of the simulator is copied here: its modules are
imported from a checkout of github.com/hsharma35/bitfusion (commit 04ec1c87c91ef4a681858f84f5a7832d5b65e83b);
only the two modules that need Python 2 (loop_stack, via pipeline) or dnnweaver2 are not loaded, because
the cycle count does not use them. Energies are only the tie-break between equal cycle counts, so unit
costs are used.

Run: /usr/bin/python3 bench/bitfusion-sim-rerun.py <bitfusion checkout> [out.csv]   (about 5 CPU minutes)
"""
import collections
import csv
import importlib.util
import itertools
import os
import sys
import types


def load(root, name, rel):
    spec = importlib.util.spec_from_file_location(name, os.path.join(root, rel))
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def simulator(root):
    load(root, 'bitfusion.src.utils.utils', 'bitfusion/src/utils/utils.py')
    load(root, 'bitfusion.src.simulator.stats', 'bitfusion/src/simulator/stats.py')
    stub = types.ModuleType('bitfusion.src.simulator.loop_stack')
    stub.LoopStack = object  # only get_loop_instructions uses it; the cycle count does not
    sys.modules['bitfusion.src.simulator.loop_stack'] = stub
    opt = load(root, 'bitfusion.src.optimizer.optimizer', 'bitfusion/src/optimizer/optimizer.py')
    acc = load(root, 'bitfusion.src.simulator.accelerator', 'bitfusion/src/simulator/accelerator.py')
    return opt, acc


Unit = collections.namedtuple('Unit', 'core_dynamic_energy wbuf_read_energy wbuf_write_energy ibuf_read_energy '
                              'ibuf_write_energy obuf_read_energy obuf_write_energy')
UNIT = Unit(1, 1, 1, 1, 1, 1, 1)


def cycles(opt, acc, row):
    n, m, bw = int(row['rows']), int(row['cols']), int(row['bandwidthBitsPerCycle'])
    sram = {'wgt': int(row['weightBufBytes']), 'act': int(row['inputBufBytes']), 'out': int(row['outputBufBytes'])}
    a = acc.Accelerator(n, m, 8, 2, sram, bw, 500000000)
    if row['kind'] == 'fc':  # Simulator.get_FC_cycles: a 1x1 convolution on a 1x1 map, channel-wise
        k, o, s, im2col = 1, 1, 1, False
    else:  # Simulator.get_cycles: im2col only when the layer reads the network's input
        k, o, s, im2col = int(row['k']), int(row['outH']), int(row['stride']), row['input'] == '1'
    params = (a, k, o, s, int(row['inC']), int(row['outC']), int(row['batch']), int(row['aBits']), int(row['wBits']), im2col, UNIT)
    best = None
    for order in itertools.permutations(['B/b', 'OW/ow', 'OH/oh', 'IC/ic', 'OC/oc']):
        tiling, order_type, c, e = opt._optimize_for_order(params, order)
        if tiling is not None and (best is None or c < best[2] or (c == best[2] and e < best[3])):
            best = (tiling, order_type, c, e)
    st = opt.get_stats_fast(params, best[0], best[1])
    return st.total_cycles, st.mem_stall_cycles, st.reads['dram'], st.writes['dram']


def main():
    if len(sys.argv) < 2:
        sys.exit('usage: bitfusion-sim-rerun.py <bitfusion checkout> [out.csv]')
    opt, acc = simulator(sys.argv[1])
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, 'data', 'bitfusion-sim-layers.csv')) as f:
        rows = list(csv.DictReader(line for line in f if not line.startswith('#')))
    out = open(sys.argv[2], 'w') if len(sys.argv) > 2 else sys.stdout
    out.write('config,network,layer,simCycles,codeCycles,codeStallCycles,codeDramReadBits,codeDramWriteBits\n')
    memo = {}
    same = 0
    for r in rows:
        key = tuple(r[k] for k in ('config', 'kind', 'input', 'inC', 'outC', 'inH', 'outH', 'k', 'stride', 'wBits', 'aBits', 'batch'))
        if key not in memo:
            memo[key] = cycles(opt, acc, r)
        c = memo[key]
        same += int(c[0] == int(r['simCycles']))
        out.write(','.join(str(x) for x in (r['config'], r['network'], r['layer'], r['simCycles'], *c)) + '\n')
        out.flush()
    sys.stderr.write('%d of %d rows: the code gives exactly the sweep\'s cycles\n' % (same, len(rows)))


if __name__ == '__main__':
    main()
