# Builds bench/data/nb201-hw360.csv (issue 18: a real held-out table for bench/compare-optuna.ts). Inputs:
#   1. a git clone of github.com/GATECH-EIC/HW-NAS-Bench (commit 393bb8a0): dev/proj_edgegpu/arch_configs/cifar100/
#      config_<i>.pkl holds the NAS-Bench-201 architecture string of NB201 index i (plain pickled dicts);
#   2. github.com/roldebijvank/HW-NAS-Bench-360 (commit a9b243e0) results/dataset.parquet, dumped to JSON rows first
#      (no parquet reader in Debian's python3 here), e.g. in a scratch dir: npm i hyparquet hyparquet-compressors and
#      node -e "import('hyparquet').then(async({parquetReadObjects})=>{const{compressors}=await import('hyparquet-compressors');
#        const b=require('fs').readFileSync('dataset.parquet');const r=await parquetReadObjects({file:b.buffer.slice(b.byteOffset,
#        b.byteOffset+b.length),compressors});require('fs').writeFileSync('dataset.json',JSON.stringify(r,(k,v)=>typeof v==='bigint'?Number(v):v))})"
# Usage: python3 nb201-hw360.py <HW-NAS-Bench clone> dataset.json > nb201-hw360.csv (then prepend the '# ' header lines).
import json, pickle, subprocess, sys

OPS = ['none', 'skip_connect', 'nor_conv_1x1', 'nor_conv_3x3', 'avg_pool_3x3']
repo, rows_path = sys.argv[1], sys.argv[2]
names = [f'HEAD:dev/proj_edgegpu/arch_configs/cifar100/config_{i}.pkl' for i in range(15625)]
out = subprocess.run(['git', '-C', repo, 'cat-file', '--batch'], input=('\n'.join(names) + '\n').encode(), capture_output=True, check=True).stdout
pos, archs = 0, []
for i in range(15625):
    nl = out.index(b'\n', pos)
    size = int(out[pos:nl].split()[2])
    archs.append(pickle.loads(out[nl + 1:nl + 1 + size])['arch_str'])
    pos = nl + 2 + size


def code(arch):
    # '|a~0|+|b~0|c~1|+|d~0|e~1|f~2|' -> the op indices of edges 0->1, 0->2, 1->2, 0->3, 1->3, 2->3
    ops = [e.split('~')[0] for grp in arch.split('+') for e in grp.strip('|').split('|')]
    return ''.join(str(OPS.index(o)) for o in ops)


# (device, framework, task) -> latency column; the darcy columns were added in session 31 (search8)
want = {
    ('pi5', 'litert', 'cifar100'): 'pi5_litert_cifar100_ms',
    ('pixel', 'litert', 'ninapro'): 'pixel_litert_ninapro_ms',
    ('pixel', 'litert', 'cifar100'): 'pixel_litert_cifar100_ms',
    ('pixel', 'litert', 'darcy'): 'pixel_litert_darcy_ms',
    ('pi5', 'litert', 'darcy'): 'pi5_litert_darcy_ms',
    ('pi5', 'torchmobile', 'darcy'): 'pi5_torchmobile_darcy_ms',
}
# (device, framework, task) -> energy column (energy_mj: measured on the Pi 5 only)
want_energy = {('pi5', 'torchmobile', 'darcy'): 'pi5_torchmobile_darcy_mj'}
table = {}
for r in json.load(open(rows_path)):
    t = table.setdefault(r['arch_idx'], {})
    t['acc_' + r['task']] = r['accuracy']  # one accuracy per (cell, task): the same on every device
    k = want.get((r['device'], r['framework'], r['task']))
    if k:
        t[k] = r['lat_ms_median']
    k = want_energy.get((r['device'], r['framework'], r['task']))
    if k:
        t[k] = r['energy_mj']
print('nb201_index,cell,acc_cifar100,acc_ninapro,pi5_litert_cifar100_ms,pixel_litert_ninapro_ms,pixel_litert_cifar100_ms,'
      'darcy_score,pixel_litert_darcy_ms,pi5_litert_darcy_ms,pi5_torchmobile_darcy_ms,pi5_torchmobile_darcy_mj')
for i in range(15625):
    t = table[i]
    print(f"{i},{code(archs[i])},{t['acc_cifar100']:.3f},{t['acc_ninapro']:.3f},{t['pi5_litert_cifar100_ms']:.4f},{t['pixel_litert_ninapro_ms']:.4f},{t['pixel_litert_cifar100_ms']:.4f},"
          f"{t['acc_darcy']:.5f},{t['pixel_litert_darcy_ms']:.4f},{t['pi5_litert_darcy_ms']:.4f},{t['pi5_torchmobile_darcy_ms']:.4f},{t['pi5_torchmobile_darcy_mj']:.4f}")
