export * from './data.js';
export { inlineScript, plotlySource, renderReport, writeFileAtomic, writeReport, type RenderReportOptions } from './html.js';
export { PAGE_BODY, PAGE_CSS, PAGE_SCRIPT } from './client.js';
export { formatNumber, formatTable, type TableColumn } from '../util/table.js';
