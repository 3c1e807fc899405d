# Per-layer compute cycles from SCALE-Sim v2's own compute model (github.com/scalesim-project/scale-sim-v2),
# for bench/data/scalesim-compute.csv (issue 18). Usage, from the root of a scale-sim-v2 checkout (commit 22f88b1):
#   python3 <this file> configs/eyeriss.cfg topologies/conv_nets/alexnet.csv ws  | sed 's/^/eyeriss,/'
# Uses SCALE-Sim's own compute classes (operand + demand matrices) per layer, without its per-cycle memory
# simulation (too slow on this machine). Prints one CSV line per layer: stall-free compute cycles = rows of the
# demand matrix, SRAM reads per operand, mapping efficiency, compute utilisation.
import sys, time
from scalesim.scale_config import scale_config
from scalesim.topology_utils import topologies
from scalesim.compute.operand_matrix import operand_matrix
from scalesim.compute.systolic_compute_os import systolic_compute_os
from scalesim.compute.systolic_compute_ws import systolic_compute_ws
from scalesim.compute.systolic_compute_is import systolic_compute_is

cfg_file, topo_file, dataflow = sys.argv[1], sys.argv[2], sys.argv[3]
cfg = scale_config(); cfg.read_conf_file(cfg_file)
cfg.df = dataflow
topo = topologies(); topo.load_arrays(topofile=topo_file)
R, C = cfg.get_array_dims()
net = topo_file.split('/')[-1].replace('.csv', '')
for lid in range(topo.get_num_layers()):
    t0 = time.process_time()
    om = operand_matrix(); om.set_params(layer_id=lid, config_obj=cfg, topoutil_obj=topo)
    _, ifm = om.get_ifmap_matrix(); _, fil = om.get_filter_matrix(); _, ofm = om.get_ofmap_matrix()
    cs = {'os': systolic_compute_os, 'ws': systolic_compute_ws, 'is': systolic_compute_is}[dataflow]()
    cs.set_params(config_obj=cfg, ifmap_op_mat=ifm, filter_op_mat=fil, ofmap_op_mat=ofm)
    cs.create_demand_matrices()
    cycles = cs.ifmap_demand_matrix.shape[0]
    p = topo.topo_arrays[lid]
    print(','.join(str(x) for x in [net, p[0].strip(), dataflow, R, C, p[1], p[3], p[5], p[6], p[7],
          cycles, cs.ifmap_reads, cs.filter_reads, cs.ofmap_writes,
          '%.6f' % cs.get_avg_mapping_efficiency(), '%.6f' % cs.get_avg_compute_utilization()]), flush=True)
    print(net, lid, 'cpu %.1f s' % (time.process_time() - t0), file=sys.stderr, flush=True)
    del cs, ifm, fil, ofm, om
