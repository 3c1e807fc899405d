export { formatNumber, formatTable, type TableColumn } from '../util/table.js';
export { PAGE_BODY, PAGE_CSS, PAGE_SCRIPT } from './client.js';
export * from './data.js';
export { inlineScript, plotlySource, type RenderReportOptions, renderReport, writeFileAtomic, writeReport } from './html.js';
