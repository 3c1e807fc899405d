/** Test data: an image-list CSV whose labels are numbers other than 0..k-1 (the numbered-class note's case). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';

/**
 * Writes `perLabel` 8x8 RGB PNGs for each of the labels 0, 1 and 7 into `dir` and the list `<dir>/<name>` of
 * `path,label` lines; returns the list's path.
 * @example const csv = await writeNumberedLabelList(dir, 'list_num.csv', 6);
 */
export async function writeNumberedLabelList(dir: string, name: string, perLabel: number): Promise<string> {
  const rows = ['path,label'];
  for (const [i, label] of ['0', '1', '7'].entries())
    for (let k = 0; k < perLabel; k++) {
      const file = `${label}-${k}.png`;
      await sharp({ create: { width: 8, height: 8, channels: 3, background: { r: 40 * i, g: 40 * i, b: 40 * i } } })
        .png()
        .toFile(join(dir, file));
      rows.push(`${file},${label}`);
    }
  writeFileSync(join(dir, name), `${rows.join('\n')}\n`);
  return join(dir, name);
}
