/**
 * Node module-loader hooks that let Node load tfjs-core's ES-module files from
 * `@tensorflow/tfjs-core/dist/` (extension-less relative imports, no `"type": "module"`).
 * Used only by `tf.ts` to import tfjs-core's gradient and chained-op registrations, which the
 * package's Node (CommonJS) bundle leaves out. Hooks touch no URL outside that folder.
 */

const MARK = '/@tensorflow/tfjs-core/dist/';
const NODE_BUNDLE = 'tf-core.node.js';

interface ResolveContext {
  readonly parentURL?: string | undefined;
}
interface LoadContext {
  readonly format?: string | null | undefined;
}
type Next<C, R> = (specifierOrUrl: string, context: C) => R;

/** Resolve hook: appends `.js` to extension-less relative imports made from tfjs-core's dist/. */
export function resolve<R>(specifier: string, context: ResolveContext, next: Next<ResolveContext, R>): R {
  const parent = context.parentURL;
  if (parent?.includes(MARK) && (specifier.startsWith('./') || specifier.startsWith('../')) && !/\.(c|m)?js$/.test(specifier)) {
    return next(`${specifier}.js`, context);
  }
  return next(specifier, context);
}

/** Load hook: tfjs-core's dist/*.js files (other than the Node bundle) are ES modules. */
export function load<R>(url: string, context: LoadContext, next: Next<LoadContext, R>): R {
  if (url.includes(MARK) && url.endsWith('.js') && !url.endsWith(NODE_BUNDLE)) {
    return next(url, { ...context, format: 'module' });
  }
  return next(url, context);
}
