/**
 * Imports every module that registers evaluations or search strategies by name, so that a study
 * config (and `hwnas study resume`) can name any of them. Add a module here when it registers more.
 */
import '../workers/builtin.js';
import '../transform/strategies/index.js';
import '../quant/strategies/index.js';
import '../nas/strategies/index.js';
