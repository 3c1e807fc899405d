# Builds bench/data/nb201-hw360-pi5.csv (issue 18, session 35, cost12): the Raspberry Pi 5 latencies of HW-NAS-Bench-360,
# one row per measured NB201 isomorphism class, for scoring the cortex-a76 target on thousands of cells.
# Inputs:
#   1. github.com/roldebijvank/HW-NAS-Bench-360 (commit a9b243e0) results/dataset.parquet dumped to JSON rows (no parquet
#      reader in Debian's python3 here; the same hyparquet recipe as bench/data/nb201-hw360.py);
#   2. bench/data/nb201-hw360.csv of this repository (NB201 index -> cell code, from HW-NAS-Bench's arch strings).
# Usage: python3 nb201-hw360-pi5.py dataset.json bench/data/nb201-hw360.csv > body.csv (then prepend the '# ' lines).
import json, sys

rows_path, cells_path = sys.argv[1], sys.argv[2]
cell = {}
with open(cells_path) as f:
    for line in f:
        if line.startswith('#') or line.startswith('nb201_index'):
            continue
        p = line.split(',')
        cell[int(p[0])] = p[1]
FRAMEWORKS = ['litert', 'onnx', 'torchmobile']
TASKS = ['cifar100', 'ninapro', 'darcy']
lat, members = {}, {}
for r in json.load(open(rows_path)):
    if r['device'] != 'pi5':
        continue
    if r['status'] != 'ok':
        raise SystemExit(f"row {r} is not ok")
    rep = r['rep_arch_idx']
    if r['framework'] == 'litert' and r['task'] == 'cifar100':
        members[rep] = members.get(rep, 0) + 1
    k = (rep, r['framework'], r['task'])
    v = r['lat_ms_median']
    if k in lat and lat[k] != v:
        raise SystemExit(f"class {rep}: two latencies for {k}")
    lat[k] = v
reps = sorted(members)
print('rep_index,cell,members,' + ','.join(f'{fw}_{t}_ms' for fw in FRAMEWORKS for t in TASKS))
for rep in reps:
    vals = [lat[(rep, fw, t)] for fw in FRAMEWORKS for t in TASKS]
    print(f"{rep},{cell[rep]},{members[rep]}," + ','.join(f'{v:.5f}' for v in vals))
