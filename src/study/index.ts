export * from './pruning.js';
export * from './run-study.js';
export { studyFolderName } from './study-folder.js';
export { StudyHistory, type StudyHistoryOptions } from './study-history.js';
