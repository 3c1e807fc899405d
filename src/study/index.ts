export * from './pruning.js';
export * from './run-study.js';
export { StudyHistory, type StudyHistoryOptions } from './study-history.js';
export { studyFolderName } from './study-folder.js';
