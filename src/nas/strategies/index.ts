/** Registers the NAS strategies ('distinct', 'two-stage', 'capacity', 'blockwise') in the one strategy registry on import. */
import './distinct.js';
import './two-stage.js';
import './capacity.js';
import './blockwise.js';
