/**
 * The check of a study config's `searchImages` (the validation images each trial is scored on; and quant-policy's
 * `faultDrop.images`, those its fault runs score) against its data set, for the evaluations that score on them
 * (`quant-policy`, `ensemble-config`): their `checkData`, run by `hwnas study
 * create` and before a config's study runs. More than the validation split holds is refused, naming both numbers, by
 * the check `hwnas quantize --search-images` makes ({@link requireImagesInSplit}), rather than quietly capped.
 */
import { requireImagesInSplit } from '../data/split.js';

/** What the check reads of an evaluation's options. */
export interface SearchImagesOptions {
  readonly model: string;
  readonly dataset: string;
  readonly seed?: number | undefined;
  readonly searchImages?: number | undefined;
  /** quant-policy's measured fault drop: its weight-fault runs score the first `images` validation images. */
  readonly faultDrop?: { readonly images: number } | undefined;
}

/**
 * Refuses `o.searchImages` or `o.faultDrop.images` above the validation count of `o.dataset` (loaded at `o.model`'s
 * input geometry); nothing to check (and nothing loaded) without either: the default `searchImages`, 1000 or all when
 * fewer, takes what there is.
 */
export async function checkSearchImages(evaluator: string, o: SearchImagesOptions): Promise<void> {
  const counts = [
    ...(o.searchImages !== undefined ? [{ option: 'searchImages', n: o.searchImages }] : []),
    ...(o.faultDrop !== undefined ? [{ option: 'faultDrop.images', n: o.faultDrop.images }] : []),
  ];
  if (counts.length === 0) return;
  const [{ inputNode }, { loadDataset, modelGeometry }, { loadModelSpec }] = await Promise.all([
    import('../ir/shapes.js'),
    import('../data/load.js'),
    import('../onnx/model-source.js'),
  ]);
  const ds = await loadDataset(o.dataset, modelGeometry(inputNode(loadModelSpec(o.model, o.seed ?? 0).graph).shape));
  for (const c of counts) requireImagesInSplit(c.n, `evaluator '${evaluator}' options.${c.option}`, ds.val, 'validation', `options.dataset '${o.dataset}'`);
}
