export * from './types.js';
export { MemoryStore } from './memory-store.js';
export { SqliteStore, openProjectStore, DEFAULT_STORE_PATH, type SqliteStoreOptions } from './sqlite-store.js';
export { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations.js';
export { exportCsv, exportJson, exportOptunaJournal, type StudyExport } from './export.js';
