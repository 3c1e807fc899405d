/**
 * The check of a study config's `searchImages` (the validation images each trial is scored on) against its data set,
 * for the evaluations that score on them (`quant-policy`, `ensemble-config`): their `checkData`, run by `hwnas study
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
}

/**
 * Refuses `o.searchImages` above the validation count of `o.dataset` (loaded at `o.model`'s input geometry); nothing to
 * check (and nothing loaded) without `searchImages`: the default, 1000 or all when fewer, takes what there is.
 */
export async function checkSearchImages(evaluator: string, o: SearchImagesOptions): Promise<void> {
  if (o.searchImages === undefined) return;
  const [{ inputNode }, { loadDataset, modelGeometry }, { loadModelSpec }] = await Promise.all([
    import('../ir/shapes.js'),
    import('../data/load.js'),
    import('../onnx/model-source.js'),
  ]);
  const ds = await loadDataset(o.dataset, modelGeometry(inputNode(loadModelSpec(o.model, o.seed ?? 0).graph).shape));
  requireImagesInSplit(o.searchImages, `evaluator '${evaluator}' options.searchImages`, ds.val, 'validation', `options.dataset '${o.dataset}'`);
}
