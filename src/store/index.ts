export { exportCsv, exportJson, exportOptunaJournal, type StudyExport } from './export.js';
export { MemoryStore } from './memory-store.js';
export { MIGRATIONS, type Migration, SCHEMA_VERSION } from './migrations.js';
export { DEFAULT_STORE_PATH, openProjectStore, SqliteStore, type SqliteStoreOptions } from './sqlite-store.js';
export * from './types.js';
